"""Dependencies every router uses: settings, the database session, and who is asking.

`CurrentActor` resolves a bearer JWT, an API key (`Authorization: Bearer ellaai_ak_…` or
`X-API-Key`), checks that the user is not suspended and the login session not revoked, and
enforces maintenance mode. Routers are mounted under a parent that requires it, so every route
is authenticated unless it is mounted elsewhere on purpose (login, health).
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine, bindparam, select
from sqlalchemy.orm import Session, sessionmaker

from server.admin.models import SYSTEM_CONFIG_ID, SystemConfig
from server.auth.models import AuthSession, User
from server.candidates.models import Candidate, Invitation
from server.companies.models import ApiKey, Company
from server.config import Settings
from server.db import DriverStatement
from server.errors import (
    AuthenticationRequired,
    CompanyAccessDenied,
    PermissionDenied,
    RateLimited,
    ServiceUnavailable,
)
from server.ids import digest
from server.mail.service import MailSender
from server.permissions import (
    API_KEY_PERMISSIONS,
    ROLE_PERMISSIONS,
    Role,
    allows,
    effective_permissions,
)
from server.ratelimit import UNLIMITED_PLAN, Decision, Limit, RateLimiter
from server.security import Passwords, read_access_token
from server.storage import BlobStore, LocalBlobStore

API_KEY_PREFIX = "ellaai_ak_"
PLAN_CACHE_SECONDS = 30.0
MAINTENANCE_CACHE_SECONDS = 1.0
# engine -> (maintenance mode, monotonic expiry)
_maintenance: weakref.WeakKeyDictionary[Any, tuple[bool, float]] = weakref.WeakKeyDictionary()


@dataclass
class ServerContext:
    """What the app factory builds once and every request shares."""

    settings: Settings
    sessions: sessionmaker[Session]
    passwords: Passwords
    mail: MailSender
    rate_limiter: RateLimiter
    # Sync pushes run here, on about as many threads as the database has connections (SQLite:
    # one), plus the sandbox's workers. On the shared request pool, dozens of threads took a
    # push each only to wait for the connection and fight over the GIL meanwhile: under 1,000
    # candidates that made the tail.
    push_executor: ThreadPoolExecutor
    extras: dict[str, object] = field(default_factory=dict)
    # company ID -> (plan, monotonic expiry): the plan decides the rate limit on every request.
    plans: dict[str, tuple[str, float]] = field(default_factory=dict)

    @property
    def engine(self) -> Engine:
        """The database engine behind `sessions`."""
        bind = self.sessions.kw["bind"]
        assert isinstance(bind, Engine)
        return bind

    def plan_of(self, db: Session, company_id: str) -> str:
        cached = self.plans.get(company_id)
        if cached and cached[1] > time.monotonic():
            return cached[0]
        plan = db.scalar(select(Company.plan).where(Company.id == company_id)) or "free"
        self.plans[company_id] = (plan, time.monotonic() + PLAN_CACHE_SECONDS)
        return plan


@dataclass(frozen=True)
class Actor:
    """Who is asking: a user, a company's API key, or a candidate holding an invitation."""

    kind: str  # "user" | "api_key" | "candidate"
    id: str
    role: Role
    company_id: str | None
    permissions: list[str]
    email: str | None = None
    session_id: str | None = None
    # A candidate's session reaches this one assessment: the one their invitation named.
    assessment_id: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def can(self, permission: str) -> bool:
        return allows(self.permissions, permission)

    def require(self, permission: str) -> None:
        if not self.can(permission):
            raise PermissionDenied(
                f"This action needs the '{permission}' permission",
                details={"required": permission, "role": self.role.value},
            )

    def can_access_company(self, company_id: str | None) -> bool:
        return self.is_admin or (company_id is not None and company_id == self.company_id)

    def require_company(self, company_id: str | None) -> None:
        """For requests that name a company explicitly: another company's is a 403."""
        if not self.can_access_company(company_id):
            raise CompanyAccessDenied(
                "You do not have access to this company's data",
                details={"companyId": company_id},
            )


# The dependencies that only read what the app holds are `async def`: FastAPI runs a plain `def`
# dependency in its thread pool, a hop that costs more than they do.


async def get_context(request: Request) -> ServerContext:
    return context_of(request)


def context_of(request: Request) -> ServerContext:
    context: ServerContext = request.app.state.context
    return context


Context = Annotated[ServerContext, Depends(get_context)]


async def get_settings(context: Context) -> Settings:
    return context.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_db(context: Context) -> Iterator[Session]:
    with context.sessions() as session:
        yield session


DbSession = Annotated[Session, Depends(get_db)]


async def get_blobs(context: Context) -> BlobStore:
    return blob_store(context)


def blob_store(context: ServerContext) -> BlobStore:
    """Uploaded media: files under the data directory unless the app was given another store."""
    blobs = context.extras.get("blobs")
    if blobs is None:
        blobs = LocalBlobStore(context.settings.data_dir / "blobs")
        context.extras["blobs"] = blobs
    return blobs  # type: ignore[return-value]


Blobs = Annotated[BlobStore, Depends(get_blobs)]


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def request_credential(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    api_key = request.headers.get("x-api-key", "").strip()
    return api_key or None


# Built once: on every request, making the statement cost more than running it.
# Plain columns on the driver's cursor, not ORM objects, for the candidates' login sessions:
# their sync engine asks every few seconds. The first row is read (one invitation per session).
_CANDIDATE_LOGIN = DriverStatement(
    select(
        AuthSession.revoked_at,
        AuthSession.subject_id,
        Candidate.id,
        Candidate.company_id,
        Candidate.email,
        Invitation.assessment_id,
    )
    .outerjoin(Candidate, Candidate.id == AuthSession.subject_id)
    .outerjoin(
        Invitation,
        (Invitation.session_id == AuthSession.id)
        & (Invitation.candidate_id == AuthSession.subject_id),
    )
    .where(AuthSession.id == bindparam("session_id"))
)
_USER_LOGIN = (
    select(AuthSession, User)
    .outerjoin(User, User.id == AuthSession.subject_id)
    .where(AuthSession.id == bindparam("session_id"))
)


def resolve_actor(db: Session, settings: Settings, credential: str) -> Actor:
    """The caller, read afresh on every request (a logout or a suspension takes effect at once),
    in one query: the login session with whom it belongs to."""
    if credential.startswith(API_KEY_PREFIX):
        return _api_key_actor(db, credential)
    claims = read_access_token(settings, credential)
    if claims.user_id.startswith("candidate_"):
        row = _CANDIDATE_LOGIN.first(db, {"session_id": claims.session_id})
        if row is None:
            raise _session_ended()
        revoked_at, subject_id, candidate_id, company_id, email, assessment_id = row
        if revoked_at is not None or subject_id != claims.user_id:
            raise _session_ended()
        if candidate_id is None or assessment_id is None:
            raise _invitation_gone()
        return _candidate(candidate_id, company_id, email, assessment_id, claims.session_id)
    found = db.execute(_USER_LOGIN, {"session_id": claims.session_id}).first()
    session = _live_session(found[0] if found else None, claims.user_id)
    assert found is not None
    return _user_session_actor(found[1], session.id)


def _session_ended() -> AuthenticationRequired:
    return AuthenticationRequired("This session has ended; sign in again")


def _invitation_gone() -> AuthenticationRequired:
    return AuthenticationRequired("This invitation no longer exists")


def _live_session(session: AuthSession | None, user_id: str) -> AuthSession:
    if session is None or session.revoked_at is not None or session.subject_id != user_id:
        raise _session_ended()
    return session


def session_actor(db: Session, session: AuthSession) -> Actor:
    """Who a login session belongs to, checked again now: suspension takes effect at once."""
    if session.subject_id.startswith("candidate_"):
        return candidate_actor(db, session.subject_id, session.id)
    return _user_session_actor(db.get(User, session.subject_id), session.id)


def _user_session_actor(user: User | None, session_id: str) -> Actor:
    if user is None:
        raise AuthenticationRequired("This account no longer exists")
    refuse_inactive(user)
    return user_actor(user, session_id)


def user_actor(user: User, session_id: str | None) -> Actor:
    role = Role(user.role)
    return Actor(
        kind="user",
        id=user.id,
        role=role,
        company_id=user.company_id,
        permissions=effective_permissions(role, user.extra_permissions),
        email=user.email,
        session_id=session_id,
    )


def candidate_actor(db: Session, candidate_id: str, session_id: str) -> Actor:
    """A candidate signed in with an invitation: their own record, that invitation's assessment
    and their attempts at it, nothing else."""
    candidate = db.get(Candidate, candidate_id)
    invitation = db.scalar(
        select(Invitation).where(
            Invitation.session_id == session_id, Invitation.candidate_id == candidate_id
        )
    )
    return _candidate_actor(candidate, invitation, session_id)


def _candidate_actor(
    candidate: Candidate | None, invitation: Invitation | None, session_id: str
) -> Actor:
    if candidate is None or invitation is None:
        raise _invitation_gone()
    return _candidate(
        candidate.id, candidate.company_id, candidate.email, invitation.assessment_id, session_id
    )


def _candidate(
    candidate_id: str, company_id: str, email: str, assessment_id: str, session_id: str
) -> Actor:
    return Actor(
        kind="candidate",
        id=candidate_id,
        role=Role.CANDIDATE,
        company_id=company_id,
        permissions=list(ROLE_PERMISSIONS[Role.CANDIDATE]),
        email=email,
        session_id=session_id,
        assessment_id=assessment_id,
    )


def refuse_inactive(user: User) -> None:
    """Refuse a suspended account (until its suspension ends) and one never activated."""
    if user.status == "suspended" and (
        user.suspended_until is None or user.suspended_until > datetime.now(UTC)
    ):
        raise AuthenticationRequired(
            "This account is suspended", details={"reason": "account_suspended"}
        )
    if user.status == "invited":
        raise AuthenticationRequired(
            "This account has not been activated; use the invitation sent by email"
        )


def _api_key_actor(db: Session, credential: str) -> Actor:
    key = db.scalar(select(ApiKey).where(ApiKey.key_hash == digest(credential)))
    if key is None or key.revoked_at is not None:
        raise AuthenticationRequired("API key is invalid or has been rotated")
    return Actor(
        kind="api_key",
        id=key.id,
        role=Role.RECRUITER,
        company_id=key.company_id,
        permissions=list(API_KEY_PERMISSIONS),
    )


def maintenance_mode(db: Session) -> bool:
    """Read at most once a second per database: every request asks. The admin endpoint that
    switches it forgets the cached answer, so this process sees the switch at once."""
    bind = db.get_bind()
    cached = _maintenance.get(bind)
    now = time.monotonic()
    if cached is not None and cached[1] > now:
        return cached[0]
    config = db.get(SystemConfig, SYSTEM_CONFIG_ID)
    on = bool(config and config.maintenance_mode)
    _maintenance[bind] = (on, now + MAINTENANCE_CACHE_SECONDS)
    return on


def forget_maintenance_mode(db: Session) -> None:
    _maintenance.pop(db.get_bind(), None)


def refuse_during_maintenance(db: Session, actor: Actor | None) -> None:
    if (actor is None or not actor.is_admin) and maintenance_mode(db):
        raise ServiceUnavailable(
            "The service is down for maintenance; try again later",
            code="MAINTENANCE_MODE",
            retry_after=300,
        )


# Declared so the OpenAPI document shows both ways to authenticate; read by `request_credential`.
_bearer = HTTPBearer(auto_error=False, description="An access token or an `ellaai_ak_` API key")
_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False)


def get_actor(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    _bearer_credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    _api_key: Annotated[str | None, Depends(_api_key_header)],
) -> Actor:
    return authenticate(request, db, settings)


# What `_bearer` and `_api_key_header` declare, for a route that authenticates inline.
OPENAPI_SECURITY: list[dict[str, list[str]]] = [{"HTTPBearer": []}, {"APIKeyHeader": []}]


def authenticate(request: Request, db: Session, settings: Settings) -> Actor:
    """The caller of `request` (see `resolve_actor`); during maintenance, administrators only."""
    credential = request_credential(request)
    if credential is None:
        refuse_during_maintenance(db, None)
        raise AuthenticationRequired(
            "Authentication required: send 'Authorization: Bearer <token>' or 'X-API-Key'"
        )
    actor = resolve_actor(db, settings, credential)
    refuse_during_maintenance(db, actor)
    request.state.actor = actor
    return actor


CurrentActor = Annotated[Actor, Depends(get_actor)]


def require(permission: str) -> Callable[[Actor], Actor]:
    """A dependency that lets the route run only for actors holding `permission`."""

    def check(actor: CurrentActor) -> Actor:
        actor.require(permission)
        return actor

    return check


def require_admin(actor: CurrentActor) -> Actor:
    if not actor.is_admin:
        raise PermissionDenied("Only system administrators may do this", details={"required": "*"})
    return actor


AdminActor = Annotated[Actor, Depends(require_admin)]


def _refuse_if_limited(decision: Decision) -> None:
    if not decision.allowed:
        headers = rate_limit_headers(decision)
        raise RateLimited(
            f"Rate limit exceeded. Try again in {decision.retry_after} seconds.",
            retry_after=decision.retry_after,
            headers=headers,
            meta={
                "retryAfter": decision.retry_after,
                "limit": decision.limit,
                "remaining": decision.remaining,
                "resetTime": datetime.fromtimestamp(decision.reset_at, UTC).isoformat(),
            },
        )


def rate_limit_headers(decision: Decision) -> dict[str, str]:
    headers = {
        "X-RateLimit-Limit": str(decision.limit),
        "X-RateLimit-Remaining": str(decision.remaining),
        "X-RateLimit-Reset": str(decision.reset_at),
    }
    if not decision.allowed:
        headers["X-RateLimit-Retry-After"] = str(decision.retry_after)
    return headers


def limit_actor(response: Response, actor: CurrentActor, db: DbSession, context: Context) -> None:
    decision = count_request(context, db, actor)
    if decision is not None:
        response.headers.update(rate_limit_headers(decision))


def count_request(context: ServerContext, db: Session, actor: Actor) -> Decision | None:
    """Count the request against the caller's bucket, sized by their company's plan (refused
    with `RateLimited` when it is empty); None when rate limits are off."""
    if not context.settings.rate_limits_enabled:
        return None
    plan = UNLIMITED_PLAN
    if actor.company_id is not None and actor.kind != "candidate":
        plan = context.plan_of(db, actor.company_id)
    per_minute, burst = context.settings.rate_limit_plans.get(
        plan, context.settings.rate_limit_plans[UNLIMITED_PLAN]
    )
    decision = context.rate_limiter.hit(f"{actor.kind}:{actor.id}", Limit(per_minute, burst))
    _refuse_if_limited(decision)
    return decision


def limit_client_address(request: Request, response: Response, context: Context) -> None:
    """Before authentication (login, refresh) the bucket is the client's address."""
    if not context.settings.rate_limits_enabled:
        return
    per_minute, burst = context.settings.anonymous_rate_limit
    decision = context.rate_limiter.hit(
        f"ip:{client_ip(request) or 'unknown'}", Limit(per_minute, burst)
    )
    _refuse_if_limited(decision)
    response.headers.update(rate_limit_headers(decision))
