"""Errors of the `sync` package: the SDK's and the journal's, under one root.

Tree::

    EllaAIError                   root: catch this to catch everything below
    ├── ConnectionFailed          the server could not be reached or did not answer (offline,
    │                             DNS, refused, reset, timed out): the user's environment, retry
    ├── APIError                  the server answered with the spec's error envelope
    │   ├── BadRequestError       400, 422 VALIDATION_ERROR (and other 4xx not named below)
    │   ├── AuthenticationError   401 AUTHENTICATION_REQUIRED
    │   ├── PermissionDeniedError 403 INSUFFICIENT_PERMISSIONS, COMPANY_ACCESS_DENIED
    │   ├── NotFoundError         404 RESOURCE_NOT_FOUND
    │   ├── ConflictError         409 (CONFLICT, UNSUPPORTED_SCHEMA_VERSION, ...)
    │   ├── GoneError             410
    │   ├── RateLimitError        429 RATE_LIMIT_EXCEEDED; `retry_after` in seconds
    │   └── ServerError           5xx, including 503 MAINTENANCE_MODE
    └── JournalError              the local journal cannot be used (disk full, corrupt file)

Every `APIError` carries the spec's `code`, `message`, `details`, the HTTP `status` and the
server's `request_id`, which is what support asks for.
"""

from __future__ import annotations

from typing import Any


class EllaAIError(Exception):
    """Root of every error this package raises."""


class ConnectionFailed(EllaAIError):
    """No answer from the server: the network is down, the server is not listening, or it timed
    out. Offline is normal for the sync engine; it waits and tries again."""


class JournalError(EllaAIError):
    """The local journal could not be read or written."""


class APIError(EllaAIError):
    """The server refused the request with one of the spec's error codes."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str,
        details: Any = None,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}" + (f" (request {request_id})" if request_id else ""))
        self.message = message
        self.status = status
        self.code = code
        self.details = details
        self.request_id = request_id
        self.retry_after = retry_after


class BadRequestError(APIError):
    pass


class AuthenticationError(APIError):
    @property
    def token_expired(self) -> bool:
        return isinstance(self.details, dict) and self.details.get("reason") == "token_expired"


class PermissionDeniedError(APIError):
    pass


class NotFoundError(APIError):
    pass


class ConflictError(APIError):
    pass


class GoneError(APIError):
    pass


class RateLimitError(APIError):
    pass


class ServerError(APIError):
    pass


_BY_STATUS: dict[int, type[APIError]] = {
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    410: GoneError,
    429: RateLimitError,
}


def api_error(
    status: int,
    code: str,
    message: str,
    *,
    details: Any = None,
    request_id: str | None = None,
    retry_after: float | None = None,
) -> APIError:
    """The exception class for an HTTP status, built from an error envelope."""
    cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else BadRequestError)
    return cls(
        message,
        status=status,
        code=code,
        details=details,
        request_id=request_id,
        retry_after=retry_after,
    )
