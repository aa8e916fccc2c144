"""The FastAPI application factory."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI

from server.admin.router import router as admin_router
from server.assessments.code_runner import close_code_runner
from server.assessments.router import attempts_router
from server.assessments.router import router as assessments_router
from server.auth import router as auth_routes
from server.bootstrap import ensure_admin
from server.candidates.router import router as candidates_router
from server.companies.router import router as companies_router
from server.config import Settings
from server.db import (
    connection_count,
    make_engine,
    make_sessionmaker,
    transaction,
    upgrade_database,
)
from server.deps import ServerContext, get_actor, limit_actor, limit_client_address
from server.execution.router import router as execution_router
from server.http import (
    RequestContextMiddleware,
    UnstorableTextMiddleware,
    install_error_handlers,
    ok,
)
from server.idempotency.middleware import IdempotencyMiddleware
from server.mail.service import MailboxSender, MailSender
from server.proctoring.router import router as proctoring_router
from server.questions.router import router as questions_router
from server.ratelimit import make_rate_limiter
from server.schemas.common import API_VERSION, Envelope, ErrorEnvelope
from server.security import Passwords
from server.sync.router import PushDispatch
from server.sync.router import push_router as sync_push_router
from server.sync.router import router as sync_router

# The garbage collector's first generation (default 700): see `create_app`'s lifespan.
YOUNG_OBJECTS_BEFORE_COLLECTION = 20_000

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorEnvelope, "description": description}
    for status, description in [
        (400, "Malformed request"),
        (401, "AUTHENTICATION_REQUIRED"),
        (403, "INSUFFICIENT_PERMISSIONS or COMPANY_ACCESS_DENIED"),
        (404, "RESOURCE_NOT_FOUND"),
        (409, "Conflict"),
        (413, "PAYLOAD_TOO_LARGE"),
        (422, "VALIDATION_ERROR"),
        (429, "RATE_LIMIT_EXCEEDED"),
        (503, "MAINTENANCE_MODE"),
    ]
}


def build_api() -> APIRouter:
    """Every route, once; mounted under both `/api` and `/v1`."""
    api = APIRouter(responses=ERROR_RESPONSES)

    @api.get("/health", tags=["system"], summary="Liveness")
    def health() -> Envelope[dict[str, str]]:
        return ok({"status": "ok", "version": API_VERSION})

    api.include_router(auth_routes.public, dependencies=[Depends(limit_client_address)])
    # Authenticates inline, with the same checks as `protected` (see its module).
    api.include_router(sync_push_router)
    # Everything below requires a caller; a route opts out only by living above.
    protected = APIRouter(dependencies=[Depends(get_actor), Depends(limit_actor)])
    protected.include_router(auth_routes.protected)
    protected.include_router(companies_router)
    protected.include_router(admin_router)
    protected.include_router(proctoring_router)
    protected.include_router(sync_router)
    protected.include_router(questions_router)
    protected.include_router(assessments_router)
    protected.include_router(attempts_router)
    protected.include_router(candidates_router)
    protected.include_router(execution_router)
    api.include_router(protected)
    return api


def create_context(settings: Settings, *, mail: MailSender | None = None) -> ServerContext:
    """Connect to the database, migrate it, and make the first administrator if configured."""
    engine = make_engine(settings.resolved_database_url)
    upgrade_database(engine)
    context = ServerContext(
        settings=settings,
        sessions=make_sessionmaker(engine),
        passwords=Passwords(settings),
        mail=mail or MailboxSender(),
        rate_limiter=make_rate_limiter(settings.redis_url),
        # A push whose coding answer runs in the sandbox lets go of its connection meanwhile.
        push_executor=ThreadPoolExecutor(
            connection_count(engine) + settings.execution_workers, thread_name_prefix="sync-push"
        ),
    )
    if settings.admin_email and settings.admin_password:
        with transaction(context.sessions) as db:
            ensure_admin(
                db, context.passwords, email=settings.admin_email, password=settings.admin_password
            )
    return context


def close_context(context: ServerContext) -> None:
    close_code_runner(context)
    context.push_executor.shutdown()
    context.engine.dispose()


def create_app(settings: Settings | None = None, *, mail: MailSender | None = None) -> FastAPI:
    """The app, with its context in `app.state.context` (closed when the app shuts down)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # What start-up made lives as long as the process: kept out of the garbage collector's
        # full passes, which otherwise walked all ~200,000 of those objects each time (pauses of
        # 110-180 ms that queued a few hundred pushes under 1,000 candidates; now 20-45 ms).
        gc.collect()
        gc.freeze()
        # A push of 100 events holds a few thousand objects alive at once: with the default
        # 700 young objects, nearly every push started a collection that scanned objects all
        # still in use (3.4% of a push's instructions on PostgreSQL, measured by callgrind).
        # With room for a request's objects, they die by reference count before a collection.
        gc.set_threshold(YOUNG_OBJECTS_BEFORE_COLLECTION)
        yield
        close_context(app.state.context)

    app = FastAPI(
        title="EllaAI Platform API",
        version=API_VERSION,
        description="Proctored technical assessments. Every response uses the envelope "
        "`{success, data, error, meta}`; errors carry one of the documented codes.",
        lifespan=lifespan,
    )
    app.state.context = create_context(settings, mail=mail)
    install_error_handlers(app)
    # The last added runs first: request IDs and the body cap wrap idempotency.
    app.add_middleware(IdempotencyMiddleware)
    # The sync push, served before routing: within the request ID, body cap and text checks.
    app.add_middleware(PushDispatch)
    app.add_middleware(UnstorableTextMiddleware)
    app.add_middleware(RequestContextMiddleware, max_body_bytes=settings.max_body_bytes)
    api = build_api()
    app.include_router(api, prefix="/api")
    app.include_router(api, prefix="/v1", include_in_schema=False)
    return app
