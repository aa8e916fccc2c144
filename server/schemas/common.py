"""The response envelope, error body, pagination and the camelCase base of every wire model."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

T = TypeVar("T")

API_VERSION = "1.0"


class WireModel(BaseModel):
    """camelCase on the wire, snake_case in Python; unknown request fields are refused."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", from_attributes=True
    )


class OutModel(BaseModel):
    """Response bodies: camelCase on the wire, built from ORM objects or dicts."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, from_attributes=True)


class Pagination(OutModel):
    limit: int
    has_next: bool
    next_cursor: str | None = None


class Meta(OutModel):
    timestamp: datetime
    request_id: str
    version: str = API_VERSION
    pagination: Pagination | None = None


class ErrorBody(OutModel):
    code: str = Field(examples=["VALIDATION_ERROR"])
    message: str
    details: Any = None


class Envelope(OutModel, Generic[T]):
    """Every successful response: `{"success": true, "data": ..., "meta": {...}}`."""

    success: bool = True
    data: T
    meta: Meta


class ErrorEnvelope(OutModel):
    """Every failed response: `{"success": false, "error": {...}, "meta": {...}}`."""

    success: bool = False
    error: ErrorBody
    meta: Meta
