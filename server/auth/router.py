"""`/api/auth/*`: login, refresh, logout, verify, me, accept-invite."""

from __future__ import annotations

from fastapi import APIRouter, Request

from server.auth import service
from server.auth.models import User
from server.deps import Context, CurrentActor, DbSession, client_ip
from server.errors import AuthenticationRequired
from server.http import ok
from server.schemas.auth import (
    AcceptInviteRequest,
    CurrentUser,
    LoggedOut,
    LoginRequest,
    LogoutRequest,
    Profile,
    RefreshRequest,
    TokenPair,
    VerifyResult,
)
from server.schemas.common import Envelope
from server.security import read_access_token

public = APIRouter(prefix="/auth", tags=["auth"])
protected = APIRouter(prefix="/auth", tags=["auth"])


@public.post("/login", summary="Sign in with a password, an OIDC ID token or an invitation")
def login(body: LoginRequest, request: Request, db: DbSession, ctx: Context) -> Envelope[TokenPair]:
    ip = client_ip(request)
    if body.id_token is not None:
        return ok(service.login_with_id_token(db, ctx, id_token=body.id_token, ip=ip))
    if body.invite_token is not None:
        return ok(service.login_with_invite(db, ctx, invite_token=body.invite_token, ip=ip))
    assert body.email is not None and body.password is not None  # the model checked
    return ok(service.login_with_password(db, ctx, email=body.email, password=body.password, ip=ip))


@public.post("/refresh", summary="Rotate a refresh token for a new access token")
def refresh(
    body: RefreshRequest, request: Request, db: DbSession, ctx: Context
) -> Envelope[TokenPair]:
    return ok(
        service.refresh(db, ctx.settings, refresh_token=body.refresh_token, ip=client_ip(request))
    )


@public.post("/logout", summary="End the session of an access or refresh token")
def logout(
    request: Request, db: DbSession, ctx: Context, body: LogoutRequest | None = None
) -> Envelope[LoggedOut]:
    header = request.headers.get("authorization", "")
    scheme, _, bearer = header.partition(" ")
    access = (body.token if body else None) or (
        bearer.strip() if scheme.lower() == "bearer" else None
    )
    service.logout(
        db,
        ctx.settings,
        access_token=access or None,
        refresh_token=body.refresh_token if body else None,
        ip=client_ip(request),
    )
    return ok(LoggedOut())


@public.post("/accept-invite", summary="A new member sets a password and signs in")
def accept_invite(
    body: AcceptInviteRequest, request: Request, db: DbSession, ctx: Context
) -> Envelope[TokenPair]:
    return ok(
        service.accept_member_invite(
            db,
            ctx,
            token=body.token,
            password=body.password,
            first_name=body.first_name,
            last_name=body.last_name,
            ip=client_ip(request),
        )
    )


@protected.get("/verify", summary="Check that the presented token is valid")
def verify(request: Request, actor: CurrentActor, ctx: Context) -> Envelope[VerifyResult]:
    expires_at = None
    if actor.kind != "api_key":
        token = request.headers["authorization"].partition(" ")[2].strip()
        expires_at = read_access_token(ctx.settings, token).expires_at
    return ok(
        VerifyResult(
            valid=True,
            uid=actor.id,
            role=actor.role.value,
            company_id=actor.company_id,
            expires_at=expires_at,
        )
    )


@protected.get("/me", summary="The signed-in user")
def me(actor: CurrentActor, db: DbSession) -> Envelope[CurrentUser]:
    base = service.session_user(actor).model_dump()
    if actor.kind != "user":
        return ok(CurrentUser(**base))
    user = db.get(User, actor.id)
    if user is None:
        raise AuthenticationRequired("This account no longer exists")
    profile = Profile(first_name=user.first_name, last_name=user.last_name, **_profile(user))
    return ok(
        CurrentUser(
            **base, profile=profile, last_login_at=user.last_login_at, created_at=user.created_at
        )
    )


def _profile(user: User) -> dict[str, str | None]:
    return {k: user.profile.get(k) for k in ("avatar", "timezone")}
