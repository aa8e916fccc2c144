"""`/api/sync`: the push endpoint of the client's sync engine, and a device's acknowledged seq."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from starlette.concurrency import run_in_threadpool

from server.deps import Blobs, Context, CurrentActor, DbSession
from server.http import ok
from server.schemas.common import Envelope
from server.schemas.sync import DeviceState, PushResult
from server.sync import service

router = APIRouter(prefix="/sync", tags=["sync"])


@router.post(
    "/push",
    summary="Apply a device's outbox entries, each exactly once",
    description="Body: `server.schemas.sync.PushRequest` (schemaVersion, deviceId, entries).",
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": {}}}}
    },
)
async def push(
    request: Request, actor: CurrentActor, db: DbSession, ctx: Context, blobs: Blobs
) -> Envelope[PushResult]:
    # The raw bytes are validated once by pydantic-core: the hot path of ingest (FACTS.md).
    parsed, rejected = service.parse_push(await request.body())
    result = await run_in_threadpool(
        service.push,
        db,
        actor=actor,
        context=ctx,
        request=parsed,
        rejected=rejected,
        blobs=blobs,
    )
    return ok(result)


@router.get("/devices/{device_id}", summary="What the server has acknowledged from a device")
def device_state(
    device_id: Annotated[str, Path(max_length=64)], actor: CurrentActor, db: DbSession
) -> Envelope[DeviceState]:
    return ok(service.device_state(db, actor=actor, device_id=device_id))
