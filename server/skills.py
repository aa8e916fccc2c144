"""Skill filters that work the same on SQLite and PostgreSQL.

Skills are kept as a JSON list for output and, for filtering, as one normalised text column
`|react|javascript|`: a `LIKE '%|react|%'` per wanted skill needs no JSON operators, which the two
backends spell differently.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, and_
from sqlalchemy.orm import InstrumentedAttribute


def normalise(skill: str) -> str:
    return skill.strip().lower().replace("|", " ")


def skill_index(skills: Iterable[str]) -> str:
    names = sorted({normalise(s) for s in skills if s.strip()})
    return "|" + "|".join(names) + "|" if names else ""


def parse_filter(values: list[str] | None) -> list[str]:
    """`?skills=react,python` and `?skills=react&skills=python` mean the same."""
    wanted = [normalise(p) for v in values or [] for p in v.split(",")]
    return [w for w in wanted if w]


def has_all(column: InstrumentedAttribute[Any], skills: list[str]) -> ColumnElement[bool]:
    """Rows whose skills include every one of `skills`."""
    return and_(*(column.like(f"%|{_escape(s)}|%", escape="\\") for s in skills))


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
