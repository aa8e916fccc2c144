"""Cursor pagination shared by every list endpoint: opaque keyset cursors, `limit` 1-100."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import Query
from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import InstrumentedAttribute, Session

from server.errors import ValidationFailed
from server.schemas.common import Pagination

T = TypeVar("T")

MAX_LIMIT = 100
DEFAULT_LIMIT = 20


@dataclass(frozen=True)
class PageParams:
    limit: int
    cursor: str | None


def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size")] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=512, description="From `nextCursor`")] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor)


def _encode(values: list[Any]) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, datetime) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str, kinds: list[type]) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != len(kinds):
            raise ValueError("wrong shape")
        return [
            datetime.fromisoformat(v) if kind is datetime else kind(v)
            for v, kind in zip(values, kinds, strict=True)
        ]
    except (ValueError, TypeError, json.JSONDecodeError) as exc:
        raise ValidationFailed(
            "cursor is not valid", details={"field": "cursor", "message": "invalid cursor"}
        ) from exc


def paginate(
    db: Session,
    stmt: Select[T],
    params: PageParams,
    *,
    order_by: InstrumentedAttribute[Any],
    id_column: InstrumentedAttribute[Any],
    descending: bool = True,
) -> tuple[list[T], Pagination]:
    """One page of `stmt` in keyset order (order_by, id); the cursor names the last row seen."""
    kind = _python_type(order_by)
    if params.cursor:
        last_value, last_id = _decode(params.cursor, [kind, str])
        if descending:
            stmt = stmt.where(
                or_(order_by < last_value, and_(order_by == last_value, id_column < last_id))
            )
        else:
            stmt = stmt.where(
                or_(order_by > last_value, and_(order_by == last_value, id_column > last_id))
            )
    if descending:
        stmt = stmt.order_by(order_by.desc(), id_column.desc())
    else:
        stmt = stmt.order_by(order_by.asc(), id_column.asc())
    rows = list(db.scalars(stmt.limit(params.limit + 1)))
    has_next = len(rows) > params.limit
    rows = rows[: params.limit]
    next_cursor = None
    if has_next and rows:
        last = rows[-1]
        next_cursor = _encode([getattr(last, order_by.key), getattr(last, id_column.key)])
    return rows, Pagination(limit=params.limit, has_next=has_next, next_cursor=next_cursor)


def _python_type(column: InstrumentedAttribute[Any]) -> type:
    try:
        python_type: type = column.type.python_type
    except NotImplementedError:
        return str
    return python_type if python_type in (datetime, int, float) else str
