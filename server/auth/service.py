"""Signing in and out: password, OIDC ID token and invitation logins, refresh rotation with reuse
detection, logout, and members accepting their invitation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server.audit import service as audit
from server.auth.models import AuthSession, IdentityLink, MemberInvite, RefreshToken, User
from server.candidates.models import Candidate, Invitation
from server.config import OidcProvider, Settings
from server.deps import (
    Actor,
    ServerContext,
    refuse_during_maintenance,
    refuse_inactive,
    resolve_actor,
    session_actor,
    user_actor,
)
from server.errors import AuthenticationRequired, Gone, NotFound
from server.ids import digest, new_id, new_secret
from server.permissions import ROLE_PERMISSIONS, Role
from server.schemas.auth import SessionUser, TokenPair
from server.security import issue_access_token

REFRESH_PREFIX = "ellaai_rt_"
OIDC_ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"]


def session_user(actor: Actor) -> SessionUser:
    return SessionUser(
        uid=actor.id,
        email=actor.email,
        role=actor.role.value,
        company_id=actor.company_id,
        permissions=actor.permissions,
        candidate_id=actor.id if actor.kind == "candidate" else None,
        assessment_id=actor.assessment_id,
    )


def open_session(
    db: Session, settings: Settings, actor: Actor, *, session_id: str | None = None
) -> TokenPair:
    """A new login session for `actor`: an access token and the first refresh token."""
    now = datetime.now(UTC)
    session = AuthSession(
        id=session_id or new_id("session"),
        subject_id=actor.id,
        expires_at=now + timedelta(seconds=settings.refresh_token_ttl_seconds),
    )
    db.add(session)
    db.flush()
    return _tokens(db, settings, actor, session)


def _tokens(db: Session, settings: Settings, actor: Actor, session: AuthSession) -> TokenPair:
    refresh = new_secret(REFRESH_PREFIX)
    db.add(RefreshToken(id=new_id("rt"), session_id=session.id, token_hash=digest(refresh)))
    access, ttl = issue_access_token(settings, user_id=actor.id, session_id=session.id)
    actor = Actor(**{**actor.__dict__, "session_id": session.id})
    return TokenPair(token=access, refresh_token=refresh, expires_in=ttl, user=session_user(actor))


def login_with_password(
    db: Session, context: ServerContext, *, email: str, password: str, ip: str | None
) -> TokenPair:
    user = db.scalar(select(User).where(User.email == email.lower()))
    if user is None or not context.passwords.verify(user.password_hash, password):
        audit.record(
            db,
            "USER_LOGIN_FAILED",
            actor_id=user.id if user else None,
            actor_email=email.lower(),
            company_id=user.company_id if user else None,
            ip=ip,
            details={"method": "password", "reason": "bad_credentials"},
        )
        db.commit()
        raise AuthenticationRequired("Invalid email or password")
    if user.password_hash and context.passwords.needs_rehash(user.password_hash):
        user.password_hash = context.passwords.hash(password)
    return _finish_login(db, context.settings, user, method="password", ip=ip)


def _finish_login(
    db: Session, settings: Settings, user: User, *, method: str, ip: str | None
) -> TokenPair:
    try:
        actor = user_actor(user, None)
        refuse_inactive(user)
    except AuthenticationRequired as refusal:
        audit.record(
            db,
            "USER_LOGIN_FAILED",
            actor_id=user.id,
            actor_email=user.email,
            company_id=user.company_id,
            ip=ip,
            details={"method": method, "reason": refusal.message},
        )
        db.commit()
        raise
    refuse_during_maintenance(db, actor)
    user.last_login_at = datetime.now(UTC)
    tokens = open_session(db, settings, actor)
    audit.record(
        db,
        "USER_LOGIN",
        actor_id=user.id,
        actor_email=user.email,
        company_id=user.company_id,
        ip=ip,
        details={"method": method},
    )
    db.commit()
    return tokens


def login_with_id_token(
    db: Session, context: ServerContext, *, id_token: str, ip: str | None
) -> TokenPair:
    claims = verify_id_token(context, id_token)
    issuer, subject = str(claims["iss"]), str(claims["sub"])
    link = db.scalar(
        select(IdentityLink).where(IdentityLink.issuer == issuer, IdentityLink.subject == subject)
    )
    user = db.get(User, link.user_id) if link else None
    if user is None:
        email = str(claims.get("email", "")).lower()
        if not email or claims.get("email_verified") is not True:
            raise AuthenticationRequired(
                "This identity is not linked to an account and carries no verified email"
            )
        user = db.scalar(select(User).where(User.email == email))
        if user is None:
            audit.record(
                db,
                "USER_LOGIN_FAILED",
                actor_email=email,
                ip=ip,
                details={"method": "id_token", "issuer": issuer, "reason": "no_account"},
            )
            db.commit()
            raise AuthenticationRequired("No account exists for this identity")
        db.add(IdentityLink(id=new_id("identity"), user_id=user.id, issuer=issuer, subject=subject))
    return _finish_login(db, context.settings, user, method="id_token", ip=ip)


def verify_id_token(context: ServerContext, id_token: str) -> dict[str, Any]:
    """Check an OpenID Connect ID token against the configured issuer's JWKS and audience."""
    try:
        unverified = jwt.decode(id_token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise AuthenticationRequired("ID token is malformed") from exc
    provider = next(
        (p for p in context.settings.oidc_providers if p.issuer == unverified.get("iss")), None
    )
    if provider is None:
        raise AuthenticationRequired("ID token is from an issuer this server does not trust")
    try:
        signing_key = _jwks_client(context, provider).get_signing_key_from_jwt(id_token)
        claims: dict[str, Any] = jwt.decode(
            id_token,
            signing_key.key,
            algorithms=OIDC_ALGORITHMS,
            audience=provider.audience,
            issuer=provider.issuer,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
    except jwt.PyJWKClientConnectionError as exc:
        raise AuthenticationRequired("The identity provider's keys could not be fetched") from exc
    except jwt.PyJWTError as exc:
        raise AuthenticationRequired(f"ID token is not valid: {exc}") from exc
    return claims


def _jwks_client(context: ServerContext, provider: OidcProvider) -> jwt.PyJWKClient:
    key = f"jwks:{provider.jwks_url}"
    client = context.extras.get(key)
    if not isinstance(client, jwt.PyJWKClient):
        client = jwt.PyJWKClient(provider.jwks_url, cache_keys=True, lifespan=3600, timeout=10)
        context.extras[key] = client
    return client


def refresh(db: Session, settings: Settings, *, refresh_token: str, ip: str | None) -> TokenPair:
    """Rotate: the presented token is spent; presenting a spent one revokes its whole family."""
    record = db.scalar(select(RefreshToken).where(RefreshToken.token_hash == digest(refresh_token)))
    if record is None:
        raise AuthenticationRequired("Refresh token is invalid")
    session = db.get(AuthSession, record.session_id)
    now = datetime.now(UTC)
    if session is None or session.revoked_at is not None or session.expires_at <= now:
        raise AuthenticationRequired("This session has ended; sign in again")
    if record.used_at is not None:
        revoke_session(db, session, reason="refresh_token_reuse")
        audit.record(
            db,
            "REFRESH_TOKEN_REUSE",
            actor_id=session.subject_id,
            target_type="session",
            target_id=session.id,
            ip=ip,
        )
        db.commit()
        raise AuthenticationRequired(
            "Refresh token was already used; the session has been revoked",
            details={"reason": "refresh_token_reuse"},
        )
    # Conditional update: of two concurrent refreshes with one token, only one wins.
    spent = db.execute(
        update(RefreshToken)
        .where(RefreshToken.id == record.id, RefreshToken.used_at.is_(None))
        .values(used_at=now)
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        db.rollback()
        raise AuthenticationRequired("Refresh token was already used")
    actor = session_actor(db, session)
    tokens = _tokens(db, settings, actor, session)
    db.commit()
    return tokens


def revoke_session(db: Session, session: AuthSession, *, reason: str) -> None:
    if session.revoked_at is None:
        session.revoked_at = datetime.now(UTC)
        session.revoked_reason = reason


def revoke_all_sessions(db: Session, subject_id: str, *, reason: str) -> None:
    db.execute(
        update(AuthSession)
        .where(AuthSession.subject_id == subject_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC), revoked_reason=reason)
    )


def logout(
    db: Session,
    settings: Settings,
    *,
    access_token: str | None,
    refresh_token: str | None,
    ip: str | None,
) -> None:
    """End the session named by an access token or a refresh token (either is enough)."""
    session: AuthSession | None = None
    if access_token:
        actor = resolve_actor(db, settings, access_token)
        if actor.session_id is None:
            raise AuthenticationRequired("API keys have no session to end")
        session = db.get(AuthSession, actor.session_id)
    elif refresh_token:
        record = db.scalar(
            select(RefreshToken).where(RefreshToken.token_hash == digest(refresh_token))
        )
        session = db.get(AuthSession, record.session_id) if record else None
    if session is None:
        raise AuthenticationRequired("Send the token to invalidate")
    revoke_session(db, session, reason="logout")
    audit.record(
        db,
        "USER_LOGOUT",
        actor_id=session.subject_id,
        target_type="session",
        target_id=session.id,
        ip=ip,
    )
    db.commit()


def create_member_invite(db: Session, settings: Settings, user: User) -> str:
    token = new_secret("ellaai_mi_")
    db.add(
        MemberInvite(
            id=new_id("memberinvite"),
            user_id=user.id,
            token_hash=digest(token),
            expires_at=datetime.now(UTC) + timedelta(seconds=settings.member_invite_ttl_seconds),
        )
    )
    return token


def accept_member_invite(
    db: Session,
    context: ServerContext,
    *,
    token: str,
    password: str,
    first_name: str | None,
    last_name: str | None,
    ip: str | None,
) -> TokenPair:
    invite = db.scalar(select(MemberInvite).where(MemberInvite.token_hash == digest(token)))
    if invite is None:
        raise NotFound("Invitation not found")
    if invite.accepted_at is not None:
        raise Gone("This invitation has already been used", code="INVITATION_USED")
    if invite.expires_at <= datetime.now(UTC):
        raise Gone("This invitation has expired", code="INVITATION_EXPIRED")
    user = db.get(User, invite.user_id)
    if user is None:
        raise NotFound("Invitation not found")
    invite.accepted_at = datetime.now(UTC)
    user.password_hash = context.passwords.hash(password)
    if user.status == "invited":
        user.status = "active"
    user.first_name = first_name or user.first_name
    user.last_name = last_name or user.last_name
    audit.record(
        db,
        "MEMBER_INVITE_ACCEPTED",
        actor_id=user.id,
        actor_email=user.email,
        company_id=user.company_id,
        ip=ip,
    )
    return _finish_login(db, context.settings, user, method="invite", ip=ip)


def login_with_invite(
    db: Session, context: ServerContext, *, invite_token: str, ip: str | None
) -> TokenPair:
    """A candidate signs in with their invitation, once: the token opens one login session.

    The session then lives on through its refresh tokens (rotated as for every user), which is
    how a candidate resumes after the access token expires. A candidate who lost the session
    altogether asks the recruiter for a new invitation; their attempt in progress is waiting.
    """
    now = datetime.now(UTC)
    invitation = db.scalar(select(Invitation).where(Invitation.token_hash == digest(invite_token)))
    candidate = db.get(Candidate, invitation.candidate_id) if invitation else None
    if invitation is None or candidate is None:
        raise AuthenticationRequired("Invitation token is invalid")
    refusal = None
    if invitation.used_at is not None:
        refusal = Gone(
            "This invitation has already been used to sign in; continue in the session it "
            "opened, or ask for a new invitation",
            code="INVITATION_USED",
        )
    elif invitation.expires_at <= now:
        refusal = Gone("This invitation has expired", code="INVITATION_EXPIRED")
    if refusal is not None:
        audit.record(
            db,
            "CANDIDATE_LOGIN_FAILED",
            actor_id=candidate.id,
            actor_email=candidate.email,
            company_id=candidate.company_id,
            ip=ip,
            details={"invitationId": invitation.id, "reason": refusal.code},
        )
        db.commit()
        raise refusal
    refuse_during_maintenance(db, None)
    session_id = new_id("session")
    # Conditional update: of two logins racing with one token, exactly one opens a session.
    claimed = db.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.used_at.is_(None))
        .values(used_at=now, session_id=session_id)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        db.rollback()
        raise Gone("This invitation has already been used to sign in", code="INVITATION_USED")
    actor = Actor(
        kind="candidate",
        id=candidate.id,
        role=Role.CANDIDATE,
        company_id=candidate.company_id,
        permissions=list(ROLE_PERMISSIONS[Role.CANDIDATE]),
        email=candidate.email,
        assessment_id=invitation.assessment_id,
    )
    tokens = open_session(db, context.settings, actor, session_id=session_id)
    audit.record(
        db,
        "CANDIDATE_LOGIN",
        actor_id=candidate.id,
        actor_email=candidate.email,
        company_id=candidate.company_id,
        ip=ip,
        details={"method": "invite", "invitationId": invitation.id},
    )
    db.commit()
    return tokens
