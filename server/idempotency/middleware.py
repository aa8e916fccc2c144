"""`Idempotency-Key` on every write, in the HTTP layer (Stripe's semantics).

The SDK sends a key with every POST and PATCH and retries when an answer is lost; without this a
retried create would create twice. The first request with a key reserves it and runs; its answer
(any status but 429 and 5xx) is kept for `KEEP_FOR`. A repeat with the same key and the same
request gets that answer again, marked `Idempotent-Replayed: true`; the same key with another
request is a 409 `IDEMPOTENCY_KEY_REUSED`; a repeat while the first still runs is a 409
`IDEMPOTENCY_KEY_IN_USE` with `Retry-After`. A 429 or 5xx frees the key: the retry runs anew.

A key belongs to who sent it: the user an access token names, the API key, or, without
credentials, the body itself, so a retried login or token refresh is answered again only to
someone who sends the same secret (a refresh token replayed by a retry is not taken for theft).

Sync push and submit-answer keep their own handling, stored in the transaction of their change:
they are passed through.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

import anyio
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.config import Settings
from server.db import utcnow
from server.deps import API_KEY_PREFIX, ServerContext, request_credential
from server.errors import AuthenticationRequired
from server.http import buffered_body, error_response
from server.idempotency.models import IdempotentRequest
from server.ids import digest
from server.security import read_access_token

WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
KEEP_FOR = timedelta(hours=24)
# A reservation this old without an answer belongs to a request that died with its worker.
ABANDONED_AFTER = timedelta(minutes=2)
PRUNE_EVERY_S = 60.0
MAX_KEY_LENGTH = 255
MAX_KEPT_BODY = 1_000_000  # bigger answers are not kept: the key is freed instead
OWN_HANDLING = re.compile(r"/(sync/push|assessments/[^/]+/submit-answer)/?$")


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._next_prune = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in WRITE_METHODS
            or OWN_HANDLING.search(scope["path"])
        ):
            await self.app(scope, receive, send)
            return
        key = Headers(scope=scope).get("idempotency-key")
        if key is None:
            await self.app(scope, receive, send)
            return
        key = key.strip()
        if not key or len(key) > MAX_KEY_LENGTH:
            response = error_response(
                422,
                "VALIDATION_ERROR",
                f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters",
                {"field": "Idempotency-Key", "message": "invalid length", "value": key[:300]},
            )
            await response(scope, receive, send)
            return
        body, receive = await buffered_body(receive)
        # Read per request: an app's context is replaced when it is rebuilt (the tests do).
        context: ServerContext = scope["app"].state.context
        principal = _principal(context.settings, scope, body)
        if principal is None:  # credentials that are refused anyway: nothing to remember
            await self.app(scope, receive, send)
            return
        held = Held(context.sessions, principal, key)
        found = await anyio.to_thread.run_sync(
            partial(self._reserve, held, _fingerprint(scope, body))
        )
        if found is None:
            await self._run(held, scope, receive, send)
        else:
            await _answer_again(found, _fingerprint(scope, body), scope, receive, send)

    async def _run(self, held: Held, scope: Scope, receive: Receive, send: Send) -> None:
        status = 500
        content_type: str | None = None
        chunks: list[bytes] = []

        async def keeping_send(message: Message) -> None:
            nonlocal status, content_type
            if message["type"] == "http.response.start":
                status = message["status"]
                content_type = Headers(raw=message.get("headers", [])).get("content-type")
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, keeping_send)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(held.release)
            raise
        body = b"".join(chunks)
        if status >= 500 or status == 429 or len(body) > MAX_KEPT_BODY:
            await anyio.to_thread.run_sync(held.release)
        else:
            await anyio.to_thread.run_sync(partial(held.keep, status, content_type, body))

    def _reserve(self, held: Held, fingerprint: str) -> IdempotentRequest | None:
        """None when this request now holds the key; else the request that holds it."""
        while True:
            now = utcnow()
            with held.sessions() as db:
                if time.monotonic() >= self._next_prune:
                    self._next_prune = time.monotonic() + PRUNE_EVERY_S
                    db.execute(
                        delete(IdempotentRequest).where(
                            IdempotentRequest.created_at < now - KEEP_FOR
                        )
                    )
                    db.commit()
                db.add(
                    IdempotentRequest(
                        principal=held.principal,
                        key=held.key,
                        fingerprint=fingerprint,
                        created_at=now,
                    )
                )
                try:
                    db.commit()
                    return None
                except IntegrityError:
                    db.rollback()
                found = db.get(IdempotentRequest, (held.principal, held.key))
                if found is None:
                    continue  # freed meanwhile: try again
                if _take_over(db, found, fingerprint, now):
                    return None
                db.expunge(found)
                return found


@dataclass(frozen=True)
class Held:
    """A key reserved by the request running now."""

    sessions: sessionmaker[Session]
    principal: str
    key: str

    def keep(self, status: int, content_type: str | None, body: bytes) -> None:
        with self.sessions() as db:
            db.execute(
                update(IdempotentRequest)
                .where(
                    IdempotentRequest.principal == self.principal, IdempotentRequest.key == self.key
                )
                .values(status_code=status, content_type=content_type, body=body)
            )
            db.commit()

    def release(self) -> None:
        with self.sessions() as db:
            db.execute(
                delete(IdempotentRequest).where(
                    IdempotentRequest.principal == self.principal,
                    IdempotentRequest.key == self.key,
                    IdempotentRequest.status_code.is_(None),
                )
            )
            db.commit()


def _principal(settings: Settings, scope: Scope, body: bytes) -> str | None:
    credential = request_credential(Request(scope))
    if credential is None:
        return f"anon:{hashlib.sha256(body).hexdigest()}"
    if credential.startswith(API_KEY_PREFIX):
        return f"key:{digest(credential)}"
    try:
        return f"user:{read_access_token(settings, credential).user_id}"
    except AuthenticationRequired:
        return None


def _take_over(db: Session, found: IdempotentRequest, fingerprint: str, now: datetime) -> bool:
    """Take a key whose answer is past keeping, or whose request was abandoned."""
    expired = found.created_at < now - KEEP_FOR
    abandoned = found.status_code is None and found.created_at < now - ABANDONED_AFTER
    if not (expired or abandoned):
        return False
    taken = db.execute(
        update(IdempotentRequest)
        .where(
            IdempotentRequest.principal == found.principal,
            IdempotentRequest.key == found.key,
            IdempotentRequest.created_at == found.created_at,
        )
        .values(
            fingerprint=fingerprint,
            status_code=None,
            content_type=None,
            body=None,
            created_at=now,
        )
    )
    db.commit()
    return bool(taken.rowcount)  # type: ignore[attr-defined]


async def _answer_again(
    found: IdempotentRequest, fingerprint: str, scope: Scope, receive: Receive, send: Send
) -> None:
    if found.status_code is None:
        response = error_response(
            409,
            "IDEMPOTENCY_KEY_IN_USE",
            "A request with this Idempotency-Key is still being processed; retry shortly",
            {"idempotencyKey": found.key},
            headers={"Retry-After": "1"},
        )
    elif found.fingerprint != fingerprint:
        response = error_response(
            409,
            "IDEMPOTENCY_KEY_REUSED",
            "This Idempotency-Key was already used with a different request",
            {"idempotencyKey": found.key},
        )
    else:
        body = found.body or b""
        headers = [
            (b"idempotent-replayed", b"true"),
            (b"content-length", str(len(body)).encode()),
        ]
        if found.content_type:
            headers.append((b"content-type", found.content_type.encode("latin-1")))
        await send({"type": "http.response.start", "status": found.status_code, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return
    await response(scope, receive, send)


def _fingerprint(scope: Scope, body: bytes) -> str:
    request = hashlib.sha256()
    for part in (scope["method"], scope["path"], scope.get("query_string", b"").decode("latin-1")):
        request.update(part.encode() + b"\0")
    request.update(body)
    return request.hexdigest()
