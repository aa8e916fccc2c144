"""`/api/sync`: the push endpoint of the client's sync engine, and a device's acknowledged seq.

The push is the server's hot path (every candidate pushes every few seconds, a reconnecting
device floods it), so it is mounted apart from the routes whose dependencies authenticate: it
authenticates inline with the same functions (`server.deps.authenticate`, `count_request`) and
does all of its blocking work in one go: on SQLite on the event loop itself, on PostgreSQL (and
for a push with code to grade) in one call on the context's push executor.

`PushDispatch` serves it from the middleware stack, inside the request-ID, body-cap and
unstorable-text middlewares, before FastAPI's routing and request plumbing (which cost about a
fifth of a small push); the route below stays for the OpenAPI document and for paths the
dispatcher does not know (a `root_path` mount).
"""

from __future__ import annotations

import asyncio
import contextvars
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from server.deps import (
    OPENAPI_SECURITY,
    CurrentActor,
    DbSession,
    ServerContext,
    authenticate,
    blob_store,
    context_of,
    count_request,
    rate_limit_headers,
)
from server.errors import AppError
from server.http import app_error_response, json_response, ok
from server.ratelimit import Decision
from server.schemas.common import Envelope
from server.schemas.sync import DeviceState, PushResult
from server.sync import service

router = APIRouter(prefix="/sync", tags=["sync"])
# Authenticates inline (module docstring): mount it outside the authenticating parent.
push_router = APIRouter(prefix="/sync", tags=["sync"])


@push_router.post(
    "/push",
    summary="Apply a device's outbox entries, each exactly once",
    description="Body: `server.schemas.sync.PushRequest` (schemaVersion, deviceId, entries).",
    response_model=Envelope[PushResult],
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": {}}}},
        "security": OPENAPI_SECURITY,
    },
)
async def push(request: Request) -> Response:
    body = await request.body()
    context = context_of(request)
    decision: Decision | None = None
    if context.engine.dialect.name == "sqlite":
        # SQLite works in this process on its one connection: a hop to a thread adds nothing
        # but handing the GIL back and forth on each of its calls, which under 1,000
        # candidates cost the median push 100+ ms. A push that must run code goes to a thread.
        try:
            return _push(request, context, body, inline=True)
        except _RunsCode as runs_code:
            decision = runs_code.decision
    # The thread runs in a copy of this request's context (its request ID for logs and errors).
    job = contextvars.copy_context().run
    future = context.push_executor.submit(job, _push, request, context, body, counted=decision)
    return await asyncio.wrap_future(future)


PUSH_PATHS = frozenset({"/api/sync/push", "/v1/sync/push"})


class PushDispatch:
    """Answers `POST /api/sync/push` (and `/v1`) with `push` itself; our errors become their
    envelope here, as the app's handler would make it, and the rest reach the outer
    middleware's 500 as before."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] not in PUSH_PATHS:
            await self.app(scope, receive, send)
            return
        response: Response
        try:
            response = await push(Request(scope, receive))
        except AppError as exc:
            response = app_error_response(exc)
        await response(scope, receive, send)


class _RunsCode(Exception):
    """`service.RunsCode`, with the request's rate-limit decision (counted once)."""

    def __init__(self, decision: Decision | None) -> None:
        self.decision = decision


def _push(
    request: Request,
    context: ServerContext,
    body: bytes,
    *,
    inline: bool = False,
    counted: Decision | None = None,
) -> Response:
    with context.sessions() as db:
        actor = authenticate(request, db, context.settings)
        decision = counted or count_request(context, db, actor)
        # The raw bytes are validated once by pydantic-core: the hot path of ingest (FACTS.md).
        parsed, rejected = service.parse_push(body)
        try:
            result = service.push(
                db,
                actor=actor,
                context=context,
                request=parsed,
                rejected=rejected,
                blobs=blob_store(context),
                inline=inline,
            )
        except service.RunsCode:
            raise _RunsCode(decision) from None
    response = json_response(ok(result))
    if decision is not None:
        response.headers.update(rate_limit_headers(decision))
    return response


@router.get("/devices/{device_id}", summary="What the server has acknowledged from a device")
def device_state(
    device_id: Annotated[str, Path(max_length=64)], actor: CurrentActor, db: DbSession
) -> Envelope[DeviceState]:
    return ok(service.device_state(db, actor=actor, device_id=device_id))
