"""The response envelope, error body, pagination and the camelCase base of every wire model."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

T = TypeVar("T")

API_VERSION = "1.0"

# Moments a client reports (events, saves): beyond these they are a broken clock or a probe, and
# the far ends would not even convert to UTC (9999-12-31T23:59-05:00 overflowed into a 500).
EARLIEST_MOMENT = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_MOMENT = datetime(2999, 12, 31, tzinfo=UTC)


def plausible_moment(moment: datetime) -> datetime:
    """`moment` if it lies between 2000 and 2999 (any offset); a ValueError saying so if not."""
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:
        utc = None
    if utc is None or not EARLIEST_MOMENT <= utc <= LATEST_MOMENT:
        raise ValueError("timestamp must lie between the years 2000 and 2999")
    return moment


Moment = Annotated[AwareDatetime, AfterValidator(plausible_moment)]


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
