"""The EllaAI Python SDK: `EllaAI(api_key=...)`, resources named like the spec's sections.

    from sync import EllaAI

    client = EllaAI(api_key="ellaai_ak_...", base_url="https://api.ellaai.com/v1")
    assessment = client.assessments.create(title="Python Developer Assessment",
                                           company_id="company123", questions=["py1"])
    page = client.candidates.list(company_id="company123", status="completed")
    run = client.execution.run(language="python", code="print(1)",
                               test_cases=[{"stdin": "", "expected_output": "1"}])

`base_url` is the API's root (`https://host/api` or `https://host/v1`); a bare server address
(`http://host:8000`, no path) means its `/api`. A URL with any other path is taken as the root as
given (a gateway that maps it to the API).

Keyword arguments are snake_case and go on the wire in the spec's camelCase; results are the
envelope's `data` as plain dicts (lists come as a `Page` with `next_cursor`). Failures raise the
tree in `sync.errors`.

Requests are retried with exponential back-off and full jitter when that is safe: reads (GET,
PUT, DELETE are idempotent) and every write, because the SDK sends each write with an
`Idempotency-Key` that stays the same across its retries. `Retry-After` is honoured. An expired
access token is refreshed once through `POST /auth/refresh` and the request replayed. The HTTP
transport is injectable (`httpx.Client(transport=...)`), which the tests use to put a
fault-injecting proxy between client and server.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from sync import resources
from sync.errors import APIError, AuthenticationError, ConnectionFailed, api_error
from sync.wire import Page, Tokens

DEFAULT_BASE_URL = "http://127.0.0.1:8000/api"
USER_AGENT = "ellaai-python/0.1"
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
KEY_IN_USE = "IDEMPOTENCY_KEY_IN_USE"
MAX_RETRY_AFTER = 60.0

TokensCallback = Callable[[Tokens], None]


@dataclass
class RetryPolicy:
    """Exponential back-off with full jitter: attempt n waits uniform(0, min(cap, base * 2**n))."""

    max_retries: int = 4
    base_delay: float = 0.25
    max_delay: float = 8.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), MAX_RETRY_AFTER)
        return random.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))


@dataclass
class _Auth:
    """Credentials shared by a client and its `with_options` copies; refreshes one at a time."""

    api_key: str | None = None
    tokens: Tokens | None = None
    on_tokens: TokensCallback | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def header(self) -> dict[str, str]:
        if self.tokens is not None:
            return {"Authorization": f"Bearer {self.tokens.access}"}
        if self.api_key is not None:
            return {"Authorization": f"Bearer {self.api_key}"}
        return {}

    def store(self, data: Mapping[str, Any]) -> Tokens:
        self.tokens = Tokens(access=str(data["token"]), refresh=data.get("refreshToken"))
        if self.on_tokens is not None:
            self.on_tokens(self.tokens)
        return self.tokens


def api_base_url(url: str) -> str:
    """The API root for `url`: a bare server address gets `/api`; a URL with a path is kept."""
    base = url.rstrip("/")
    return base if urlsplit(base).path else f"{base}/api"


class EllaAI:
    """A client for the EllaAI REST API. Thread-safe; share one per process."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        token: str | None = None,
        refresh_token: str | None = None,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 15.0,
        max_retries: int = 4,
        http_client: httpx.Client | None = None,
        on_tokens: TokensCallback | None = None,
    ) -> None:
        """`api_key` for integrations; `token` (+ `refresh_token`) for a signed-in user or
        candidate, or neither and then `client.auth.login(...)`. `on_tokens` is called with every
        new token pair so the caller can persist the rotated refresh token."""
        self.base_url = api_base_url(base_url)
        tokens = Tokens(token, refresh_token) if token else None
        self._auth = _Auth(api_key=api_key, tokens=tokens, on_tokens=on_tokens)
        self._http = http_client or httpx.Client(timeout=timeout)
        self._owns_http = http_client is None
        self.retry = RetryPolicy(max_retries=max_retries)
        self._attach_resources()

    def _attach_resources(self) -> None:
        self.auth = resources.Auth(self)
        self.assessments = resources.Assessments(self)
        self.questions = resources.Questions(self)
        self.candidates = resources.Candidates(self)
        self.execution = resources.Execution(self)
        self.companies = resources.Companies(self)
        self.admin = resources.Admin(self)
        self.proctor = resources.Proctor(self)
        self.sync = resources.Sync(self)

    def with_options(self, *, max_retries: int | None = None) -> EllaAI:
        """A copy sharing the connection pool and credentials, with another retry policy."""
        copy = object.__new__(EllaAI)
        copy.__dict__.update(self.__dict__)
        copy._owns_http = False
        copy.retry = RetryPolicy(
            max_retries=self.retry.max_retries if max_retries is None else max_retries,
            base_delay=self.retry.base_delay,
            max_delay=self.retry.max_delay,
        )
        copy._attach_resources()
        return copy

    @property
    def tokens(self) -> Tokens | None:
        return self._auth.tokens

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> EllaAI:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- requests ----------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        content: bytes | None = None,
        authenticated: bool = True,
    ) -> Any:
        """Send one API call and return the envelope's `data` (a `Page` for paginated lists)."""
        body, meta = self._send(
            method, path, json=json, params=params, content=content, authenticated=authenticated
        )
        if isinstance(body, list) and meta.get("pagination") is not None:
            return Page(body, meta["pagination"])
        return body

    def request_bytes(self, method: str, path: str) -> bytes:
        """A call whose answer is not JSON (a snapshot image)."""
        return self._call(method, path, json=None, params=None, content=None).content

    def iterate(
        self, path: str, params: Mapping[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every item of a paginated list, fetching pages as they are consumed."""
        query = dict(params or {})
        while True:
            page = self.request("GET", path, params=query)
            yield from page
            if not isinstance(page, Page) or not page.has_next or not page.next_cursor:
                return
            query["cursor"] = page.next_cursor

    def _send(
        self,
        method: str,
        path: str,
        *,
        json: Any,
        params: Mapping[str, Any] | None,
        content: bytes | None,
        authenticated: bool,
    ) -> tuple[Any, dict[str, Any]]:
        response = self._call(
            method, path, json=json, params=params, content=content, authenticated=authenticated
        )
        envelope = response.json()
        return envelope.get("data"), envelope.get("meta") or {}

    def _call(
        self,
        method: str,
        path: str,
        *,
        json: Any,
        params: Mapping[str, Any] | None,
        content: bytes | None,
        authenticated: bool = True,
    ) -> httpx.Response:
        """`_exchange`, replayed once with a refreshed token when the access token expired."""
        headers = {"Idempotency-Key": str(uuid.uuid4())} if method not in IDEMPOTENT_METHODS else {}
        if content is not None:
            headers["Content-Type"] = "application/json"
        exchange = {"headers": headers, "json": json, "params": params, "content": content}
        try:
            return self._exchange(method, path, authenticated=authenticated, **exchange)
        except AuthenticationError as error:
            if not (authenticated and error.token_expired and self._refresh()):
                raise
            return self._exchange(method, path, **exchange)

    def _exchange(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str],
        json: Any,
        params: Mapping[str, Any] | None,
        content: bytes | None,
        authenticated: bool = True,
    ) -> httpx.Response:
        """The request with retries: every write carries an Idempotency-Key, so all may retry."""
        url = f"{self.base_url}{path}"
        attempt = 0
        while True:
            sent = {"User-Agent": USER_AGENT, **headers}
            if authenticated:
                sent.update(self._auth.header())
            try:
                response = self._http.request(
                    method, url, headers=sent, json=json, params=params, content=content
                )
            except httpx.TransportError as exc:
                if attempt >= self.retry.max_retries:
                    raise ConnectionFailed(f"{method} {path}: {exc!r}") from exc
                time.sleep(self.retry.delay(attempt, None))
                attempt += 1
                continue
            if response.is_success:
                return response
            error = _error_from(response)
            # a retry that overtook its first attempt, still running on the server, waits for it
            retryable = response.status_code in RETRY_STATUSES or error.code == KEY_IN_USE
            if not retryable or attempt >= self.retry.max_retries:
                raise error
            time.sleep(self.retry.delay(attempt, error.retry_after))
            attempt += 1

    def _refresh(self) -> bool:
        """Trade the refresh token for a new pair; False when there is none or it is refused."""
        stale = self._auth.tokens
        with self._auth.lock:
            if self._auth.tokens is not stale:
                return True  # another thread refreshed meanwhile
            if stale is None or stale.refresh is None:
                return False
            try:
                data, _ = self._send(
                    "POST",
                    "/auth/refresh",
                    json={"refreshToken": stale.refresh},
                    params=None,
                    content=None,
                    authenticated=False,
                )
            except AuthenticationError:
                return False
            self.use_tokens(data)
            return True

    def use_tokens(self, data: Mapping[str, Any]) -> Tokens:
        """Sign in with a login answer (`token`, `refreshToken`): later calls use it."""
        return self._auth.store(data)


def _error_from(response: httpx.Response) -> APIError:
    request_id = response.headers.get("x-request-id")
    retry_after = _retry_after(response.headers.get("retry-after"))
    try:
        body = response.json()
        error = body["error"]
        code, message, details = str(error["code"]), str(error["message"]), error.get("details")
        if retry_after is None:
            retry_after = _retry_after((body.get("meta") or {}).get("retryAfter"))
    except (ValueError, KeyError, TypeError):
        code, message, details = f"HTTP_{response.status_code}", response.text[:200], None
    return api_error(
        response.status_code,
        code,
        message,
        details=details,
        request_id=request_id,
        retry_after=retry_after,
    )


def _retry_after(value: object) -> float | None:
    try:
        return float(str(value)) if value is not None else None
    except ValueError:
        return None
