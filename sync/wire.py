"""Small shapes shared by the SDK's modules: results, pages, tokens, camelCase arguments."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic.alias_generators import to_camel

Data = dict[str, Any]


def camel_params(values: Mapping[str, Any]) -> dict[str, Any]:
    """snake_case keyword arguments as the spec's camelCase fields; None values are dropped."""
    return {to_camel(k): v for k, v in values.items() if v is not None}


@dataclass
class Tokens:
    """An access token and the refresh token that renews it (rotated on every refresh)."""

    access: str
    refresh: str | None = None


class Page(list[Data]):
    """One page of a list endpoint; `next_cursor` asks for the next."""

    def __init__(self, items: list[Data], pagination: Mapping[str, Any] | None) -> None:
        super().__init__(items)
        pagination = pagination or {}
        self.has_next: bool = bool(pagination.get("hasNext", False))
        self.next_cursor: str | None = pagination.get("nextCursor")
