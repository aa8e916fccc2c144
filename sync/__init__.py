"""The desktop client's data layer and the public Python SDK.

`EllaAI` is the SDK (httpx); `Journal` is the local SQLite journal (every answer version, every
proctoring event, the outbox); `SyncEngine` pushes the outbox to the server in order and keeps
the server's clock. No Qt here: the UI subscribes with plain callbacks.
"""

from sync.client import EllaAI, RetryPolicy, api_base_url
from sync.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    ConnectionFailed,
    EllaAIError,
    GoneError,
    JournalError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)
from sync.wire import Page, Tokens

__all__ = [
    "APIError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "ConnectionFailed",
    "EllaAI",
    "EllaAIError",
    "GoneError",
    "JournalError",
    "NotFoundError",
    "Page",
    "PermissionDeniedError",
    "RateLimitError",
    "RetryPolicy",
    "ServerError",
    "Tokens",
    "api_base_url",
]
