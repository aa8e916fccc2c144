"""Server settings, read from the environment (and a `.env` file) by pydantic-settings."""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET = "development-secret-do-not-use-in-production"


class OidcProvider(BaseModel):
    """An OpenID Connect issuer whose ID tokens `POST /api/auth/login {"idToken"}` accepts."""

    issuer: str
    jwks_url: str
    audience: str


class IceServer(BaseModel):
    """A STUN or TURN server handed to WebRTC clients."""

    urls: str
    username: str | None = None
    credential: str | None = None


class Settings(BaseSettings):
    """Everything the server reads from its environment. Handed in by a dependency; never global."""

    model_config = SettingsConfigDict(env_file=".env", env_prefix="", extra="ignore")

    environment: Literal["development", "test", "production"] = Field(
        default="development", validation_alias="ELLA_ENV"
    )
    data_dir: Path = Field(default=Path("data"), validation_alias="ELLA_DATA_DIR")
    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    redis_url: str | None = Field(default=None, validation_alias="REDIS_URL")
    secret_key: str = Field(default=DEVELOPMENT_SECRET, validation_alias="ELLA_SECRET_KEY")
    public_url: str = Field(default="http://127.0.0.1:8000", validation_alias="ELLA_PUBLIC_URL")

    access_token_ttl_seconds: int = Field(default=3600, validation_alias="ELLA_ACCESS_TOKEN_TTL")
    refresh_token_ttl_seconds: int = Field(
        default=30 * 24 * 3600, validation_alias="ELLA_REFRESH_TOKEN_TTL"
    )
    member_invite_ttl_seconds: int = 7 * 24 * 3600
    # A candidate's invitation, when the recruiter gives no due date.
    candidate_invite_ttl_seconds: int = Field(
        default=7 * 24 * 3600, validation_alias="ELLA_CANDIDATE_INVITE_TTL"
    )
    # Answers arriving this long after an attempt's `expiresAt` are still accepted: they were
    # given in time and spent the difference on the network (or in the client's outbox).
    answer_grace_seconds: int = Field(
        default=30, ge=0, validation_alias="ELLA_ANSWER_GRACE_SECONDS"
    )

    # Argon2id cost. The defaults follow RFC 9106's second recommendation; tests lower them.
    argon2_time_cost: int = Field(default=3, validation_alias="ELLA_ARGON2_TIME_COST")
    argon2_memory_kib: int = Field(default=65536, validation_alias="ELLA_ARGON2_MEMORY_KIB")

    admin_email: str | None = Field(default=None, validation_alias="ELLA_ADMIN_EMAIL")
    admin_password: str | None = Field(default=None, validation_alias="ELLA_ADMIN_PASSWORD")

    oidc_providers_json: str = Field(default="[]", validation_alias="ELLA_OIDC_PROVIDERS")
    ice_servers_json: str = Field(default="[]", validation_alias="ELLA_ICE_SERVERS")

    rate_limits_enabled: bool = Field(default=True, validation_alias="ELLA_RATE_LIMITS_ENABLED")
    # plan -> (requests per minute, burst), the spec's "Rate Limits by Plan" table.
    rate_limit_plans: dict[str, tuple[int, int]] = Field(
        default={"free": (60, 10), "pro": (600, 50), "enterprise": (6000, 200)},
        validation_alias="ELLA_RATE_LIMIT_PLANS",
    )
    # Per client address on the routes that come before authentication (login, refresh).
    anonymous_rate_limit: tuple[int, int] = Field(
        default=(120, 30), validation_alias="ELLA_ANONYMOUS_RATE_LIMIT"
    )

    # The Code Execution API's maxima: requests above them are clamped, and the response says so.
    execution_max_time_limit_ms: int = Field(
        default=10_000, validation_alias="ELLA_EXECUTION_MAX_TIME_MS"
    )
    execution_max_memory_mb: int = Field(
        default=256, validation_alias="ELLA_EXECUTION_MAX_MEMORY_MB"
    )
    # The sandbox's pool: runs at once, and how many more may wait for a worker; past that a run
    # is refused (503 with Retry-After) and an answer is kept for the sweep to grade. A waiting
    # answer holds a request thread, so the queue stays far below the thread pool's 40.
    execution_workers: int = Field(default=2, ge=1, validation_alias="ELLA_EXECUTION_WORKERS")
    execution_queue: int = Field(default=8, ge=0, validation_alias="ELLA_EXECUTION_QUEUE")

    max_body_bytes: int = Field(default=5 * 1024 * 1024, validation_alias="ELLA_MAX_BODY_BYTES")

    @model_validator(mode="after")
    def _refuse_development_secret(self) -> Settings:
        if self.environment != "development" and self.secret_key == DEVELOPMENT_SECRET:
            raise ValueError(
                f"ELLA_SECRET_KEY must be set to a private value when ELLA_ENV={self.environment}"
                " (the development secret is accepted only with ELLA_ENV=development)"
            )
        if self.environment == "production" and len(self.secret_key) < 32:
            raise ValueError("ELLA_SECRET_KEY must be at least 32 characters in production")
        return self

    @property
    def resolved_database_url(self) -> str:
        """`DATABASE_URL`, or a SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'ellaai.db').resolve()}"

    @cached_property
    def oidc_providers(self) -> list[OidcProvider]:
        return [OidcProvider.model_validate(p) for p in json.loads(self.oidc_providers_json)]

    @cached_property
    def ice_servers(self) -> list[IceServer]:
        return [IceServer.model_validate(s) for s in json.loads(self.ice_servers_json)]
