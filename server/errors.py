"""Domain errors raised by services; one exception handler turns them into the spec's envelope.

Tree::

    AppError                      base; carries the spec's error `code`, a message and details
    ├── ValidationFailed          VALIDATION_ERROR (422)
    ├── AuthenticationRequired    AUTHENTICATION_REQUIRED (401)
    ├── PermissionDenied          INSUFFICIENT_PERMISSIONS (403)
    ├── CompanyAccessDenied       COMPANY_ACCESS_DENIED (403)
    ├── NotFound                  RESOURCE_NOT_FOUND (404)
    ├── Conflict                  CONFLICT / a more specific code (409)
    ├── Gone                      a more specific code (410), e.g. an expired invitation
    ├── RateLimited               RATE_LIMIT_EXCEEDED (429)
    └── ServiceUnavailable        MAINTENANCE_MODE / SERVICE_UNAVAILABLE (503)

Only `server.http` knows the HTTP status of each class.
"""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    """A failure the caller can act on, described with one of the spec's error codes."""

    code = "INTERNAL_ERROR"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details


class ValidationFailed(AppError):
    code = "VALIDATION_ERROR"


class AuthenticationRequired(AppError):
    code = "AUTHENTICATION_REQUIRED"


class PermissionDenied(AppError):
    code = "INSUFFICIENT_PERMISSIONS"


class CompanyAccessDenied(AppError):
    code = "COMPANY_ACCESS_DENIED"


class NotFound(AppError):
    code = "RESOURCE_NOT_FOUND"


class Conflict(AppError):
    code = "CONFLICT"


class Gone(AppError):
    code = "GONE"


class RateLimited(AppError):
    code = "RATE_LIMIT_EXCEEDED"

    def __init__(
        self,
        message: str,
        *,
        retry_after: int,
        headers: dict[str, str] | None = None,
        meta: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.headers = headers or {}
        self.meta = meta or {}


class ServiceUnavailable(AppError):
    code = "SERVICE_UNAVAILABLE"

    def __init__(
        self, message: str, *, code: str | None = None, retry_after: int | None = None
    ) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


def not_found(kind: str, resource_id: str) -> NotFound:
    return NotFound(f"{kind} {resource_id!r} was not found", details={"id": resource_id})
