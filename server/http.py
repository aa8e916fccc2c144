"""HTTP plumbing shared by every router: request IDs, the envelope, and the error handlers."""

from __future__ import annotations

import json
import logging
import re
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server import errors
from server.schemas.common import Envelope, ErrorBody, ErrorEnvelope, Meta, Pagination

log = logging.getLogger(__name__)

T = TypeVar("T")

_request_id: ContextVar[str] = ContextVar("request_id", default="")

STATUS_OF: list[tuple[type[errors.AppError], int]] = [
    (errors.ValidationFailed, 422),
    (errors.AuthenticationRequired, 401),
    (errors.PermissionDenied, 403),
    (errors.CompanyAccessDenied, 403),
    (errors.NotFound, 404),
    (errors.Conflict, 409),
    (errors.Gone, 410),
    (errors.RateLimited, 429),
    (errors.ServiceUnavailable, 503),
]


def current_request_id() -> str:
    return _request_id.get() or _new_request_id()


def _new_request_id() -> str:
    return f"req_{uuid.uuid4().hex[:16]}"


def meta(pagination: Pagination | None = None) -> Meta:
    return Meta(timestamp=datetime.now(UTC), request_id=current_request_id(), pagination=pagination)


# Held here: a parametrised generic made per call (`Envelope[T]`) is a new class each time once
# the last one is collected, which cost about a tenth of the server's CPU on small requests.
_ENVELOPE = Envelope[Any]


def ok(data: T, *, pagination: Pagination | None = None) -> Envelope[T]:
    """Wrap a route's result in the spec's envelope."""
    return _ENVELOPE(data=data, meta=meta(pagination))


def json_response(envelope: Envelope[Any], status: int = 200) -> Response:
    """The envelope as FastAPI would send it, serialized by pydantic-core in one pass: for a hot
    route that returns its `Response` itself (FastAPI would validate the model again first)."""
    return Response(
        envelope.model_dump_json(by_alias=True), status_code=status, media_type="application/json"
    )


def error_response(
    status: int,
    code: str,
    message: str,
    details: Any = None,
    headers: dict[str, str] | None = None,
    meta_extra: dict[str, Any] | None = None,
) -> JSONResponse:
    body = ErrorEnvelope(error=ErrorBody(code=code, message=message, details=details), meta=meta())
    content = jsonable_encoder(body.model_dump(by_alias=True))
    content["meta"].update(meta_extra or {})
    return JSONResponse(content, status_code=status, headers=headers)


def app_error_response(exc: errors.AppError) -> JSONResponse:
    """The envelope of one of our errors, with its status and headers (`Retry-After`, the rate
    limit's)."""
    status = next((s for cls, s in STATUS_OF if isinstance(exc, cls)), 500)
    headers: dict[str, str] = {}
    meta_extra = None
    if isinstance(exc, errors.RateLimited):
        headers.update(exc.headers)
        meta_extra = exc.meta
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return error_response(status, exc.code, exc.message, exc.details, headers or None, meta_extra)


class RequestContextMiddleware:
    """Takes `X-Request-ID` from the request (or makes one), echoes it, and caps body size."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        given = headers.get(b"x-request-id", b"").decode("latin-1").strip()
        request_id = given[:128] if given else _new_request_id()
        token = _request_id.set(request_id)
        try:
            declared = headers.get(b"content-length")
            if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
                await self._too_large(scope, receive, send)
                return
            started = False
            tagged = self._tagged(send, request_id)

            async def watching_send(message: Message) -> None:
                nonlocal started
                started = started or message["type"] == "http.response.start"
                await tagged(message)

            try:
                await self.app(scope, self._capped(receive), watching_send)
            except _BodyTooLarge:
                # read by a middleware that needs the whole body (routes see FastAPI's 400)
                if started:
                    raise
                await self._too_large(scope, receive, send)
            except Exception:
                # Here, not in a Starlette handler, so the error still carries the request ID.
                log.exception("unhandled error in %s %s", scope["method"], scope["path"])
                if started:
                    raise
                response = error_response(500, "INTERNAL_ERROR", "An unexpected error occurred")
                await response(scope, receive, tagged)
        finally:
            _request_id.reset(token)

    def _capped(self, receive: Receive) -> Receive:
        seen = 0

        async def capped_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body_bytes:
                    raise _BodyTooLarge
            return message

        return capped_receive

    @staticmethod
    def _tagged(send: Send, request_id: str) -> Send:
        async def tagged_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"x-request-id", request_id.encode("latin-1")),
                    # served media (snapshots) are what they say, never sniffed into a page
                    (b"x-content-type-options", b"nosniff"),
                ]
            await send(message)

        return tagged_send

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            413,
            "PAYLOAD_TOO_LARGE",
            f"Request body is larger than {self.max_body_bytes} bytes",
        )
        await response(scope, receive, self._tagged(send, current_request_id()))


class UnstorableTextMiddleware:
    """Refuses text that no database keeps, before a route sees it, as a 422: a NUL character
    (PostgreSQL's text cannot hold one) or a lone UTF-16 surrogate (not UTF-8: once stored it
    failed every later read of the record), in a JSON body, the path or the query."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        where = _unstorable_in_url(scope)
        if where is None and scope["method"] in _BODY_METHODS:
            content_type = dict(scope["headers"]).get(b"content-type", b"").decode("latin-1")
            if _is_json(content_type or None):
                body, receive = await buffered_body(receive)
                if _SUSPECT_ESCAPE.search(body):
                    where = _unstorable_json(body)
        if where is None:
            await self.app(scope, receive, send)
            return
        response = error_response(
            422,
            "VALIDATION_ERROR",
            "Text may not contain NUL characters or unpaired surrogates",
            {"field": where, "message": "unstorable character", "value": None},
        )
        await response(scope, receive, send)


_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# JSON escapes of NUL and of surrogates; only bodies holding one are parsed to check them
_SUSPECT_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _unstorable(text: str) -> bool:
    return _UNSTORABLE.search(text) is not None


def _unstorable_in_url(scope: Scope) -> str | None:
    if _unstorable(scope["path"]):
        return "path"
    if b"%00" in scope.get("query_string", b"") or b"\0" in scope.get("query_string", b""):
        return "query"
    return None


def _unstorable_json(body: bytes) -> str | None:
    """Where in the JSON `body` unstorable text is (`entries.2.event.type`; `body` for the
    top level or a key), or None."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return None  # not JSON: the route says so
    pending: list[tuple[tuple[str, ...], Any]] = [((), parsed)]
    while pending:
        path, item = pending.pop()
        if isinstance(item, str):
            if _unstorable(item):
                return ".".join(path) or "body"
        elif isinstance(item, dict):
            for key, value in item.items():
                if _unstorable(key):
                    return ".".join(path) or "body"
                pending.append(((*path, key), value))
        elif isinstance(item, list):
            pending.extend(((*path, str(i)), value) for i, value in enumerate(item))
    return None


async def buffered_body(receive: Receive) -> tuple[bytes, Receive]:
    """The whole request body, and a `receive` that hands it to the app again."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    delivered = False

    async def replaying_receive() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replaying_receive


class _BodyTooLarge(Exception):
    """A streamed body went past the cap after the headers said nothing."""


# What a validation error repeats of the input: never a secret, never more than a line of it.
_SECRET_FIELD = re.compile(r"password|secret|token|api_?key|credential", re.IGNORECASE)
ECHO_LIMIT = 200


def _echoed(field: str, value: Any) -> Any:
    if _SECRET_FIELD.search(field):
        return "[hidden]"
    if isinstance(value, str):
        return value if len(value) <= ECHO_LIMIT else value[:ECHO_LIMIT] + "…"
    if isinstance(value, dict | list | tuple | set | bytes):
        return None  # a whole object (the body, say) may hold secrets and megabytes
    return value


def _is_json(content_type: str | None) -> bool:
    return content_type is None or "json" in content_type.lower()


def _field_path(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc[1:]] if loc and loc[0] in ("body", "query", "path") else loc
    return ".".join(str(p) for p in parts) or "body"


def install_error_handlers(app: FastAPI) -> None:
    """Turn every failure, ours or the framework's, into the spec's error envelope."""

    @app.exception_handler(errors.AppError)
    async def app_error(_: Request, exc: errors.AppError) -> JSONResponse:
        return app_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = exc.errors()
        if any(p.get("type") == "json_invalid" for p in problems):
            return error_response(400, "VALIDATION_ERROR", "Request body is not valid JSON")
        listed = []
        for p in problems:
            field = _field_path(tuple(p.get("loc", ())))
            value = p.get("input") if p.get("type") != "missing" else None
            listed.append(
                {"field": field, "message": p.get("msg", "invalid"), "value": _echoed(field, value)}
            )
        first = listed[0] if listed else {"field": "body", "message": "invalid", "value": None}
        details = {**first, "errors": listed}
        message = "Request validation failed"
        if first["field"] == "body" and not _is_json(request.headers.get("content-type")):
            message = "Request body must be JSON, sent with Content-Type: application/json"
        return error_response(422, "VALIDATION_ERROR", message, details)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            message = f"No route {request.method} {request.url.path}"
            if exc.detail and exc.detail != "Not Found":
                message = str(exc.detail)
            return error_response(404, "RESOURCE_NOT_FOUND", message)
        if isinstance(exc.__cause__, _BodyTooLarge):
            return error_response(413, "PAYLOAD_TOO_LARGE", "Request body is too large")
        if exc.status_code == 405:
            return error_response(
                405,
                "METHOD_NOT_ALLOWED",
                f"{request.method} is not allowed on {request.url.path}",
                headers=dict(exc.headers or {}),
            )
        if exc.status_code == 400:  # FastAPI could not read the body (not UTF-8, say)
            return error_response(
                400, "VALIDATION_ERROR", "Request body could not be read as UTF-8 JSON"
            )
        return error_response(exc.status_code, "HTTP_ERROR", str(exc.detail))
