"""Companies: creation with their first member and API key, settings, members, key rotation."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from server.assessments.models import Assessment
from server.audit import service as audit
from server.auth.models import User
from server.auth.service import create_member_invite
from server.candidates.models import Candidate, Invitation
from server.companies.models import ApiKey, Company
from server.config import Settings
from server.deps import API_KEY_PREFIX, Actor
from server.errors import Conflict, ValidationFailed, not_found
from server.ids import digest, new_id, new_secret
from server.mail.service import MailSender
from server.pagination import PageParams, paginate
from server.permissions import Role, effective_permissions, ungrantable
from server.schemas.common import Pagination
from server.schemas.companies import (
    ApiKeyIssued,
    CompanyCreate,
    CompanyCreated,
    CompanyDetail,
    CompanyUpdate,
    Member,
    MemberCreate,
    MemberCreated,
    Usage,
)

# The first member of a new company runs it: members, settings and the API key.
COMPANY_MANAGER_PERMISSIONS = ["company:manage", "members:manage"]


def create_company(
    db: Session, *, actor: Actor, data: CompanyCreate, settings: Settings, mail: MailSender
) -> CompanyCreated:
    company = Company(
        id=new_id("company"),
        name=data.name,
        email=data.email.lower(),
        domain=data.domain,
        plan=data.plan,
        settings=data.settings,
        billing=data.billing.model_dump(mode="json", by_alias=True, exclude_none=True)
        if data.billing
        else {},
    )
    db.add(company)
    db.flush()
    key, _ = _issue_api_key(db, company.id)
    if db.scalar(select(User.id).where(User.email == company.email)) is None:
        _add_member(
            db,
            company=company,
            email=company.email,
            role=Role.RECRUITER,
            permissions=COMPANY_MANAGER_PERMISSIONS,
            names=(None, None),
            send_invitation=True,
            settings=settings,
            mail=mail,
        )
    audit.record(
        db,
        "COMPANY_CREATED",
        actor_id=actor.id,
        actor_email=actor.email,
        company_id=company.id,
        target_type="company",
        target_id=company.id,
    )
    db.commit()
    return CompanyCreated(
        id=company.id,
        name=company.name,
        domain=company.domain,
        plan=company.plan,
        status=company.status,
        api_key=key,
        created_at=company.created_at,
        setup_complete=company.setup_complete,
    )


def _issue_api_key(db: Session, company_id: str) -> tuple[str, ApiKey]:
    """A new key: the secret (shown once) and its stored record."""
    secret = new_secret(API_KEY_PREFIX)
    key = ApiKey(
        id=new_id("apikey"),
        company_id=company_id,
        key_hash=digest(secret),
        prefix=secret[: len(API_KEY_PREFIX) + 6],
        created_at=datetime.now(UTC),
    )
    db.add(key)
    return secret, key


def rotate_api_key(db: Session, *, actor: Actor, company_id: str) -> ApiKeyIssued:
    company = get_company(db, actor=actor, company_id=company_id)
    db.execute(
        update(ApiKey)
        .where(ApiKey.company_id == company.id, ApiKey.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )
    secret, key = _issue_api_key(db, company.id)
    audit.record(
        db,
        "API_KEY_ROTATED",
        actor_id=actor.id,
        actor_email=actor.email,
        company_id=company.id,
        target_type="company",
        target_id=company.id,
    )
    db.commit()
    return ApiKeyIssued(api_key=secret, prefix=key.prefix, created_at=key.created_at)


def get_company(db: Session, *, actor: Actor, company_id: str) -> Company:
    """A company the actor may see; naming another company is a 403, an unknown one a 404."""
    company = db.get(Company, company_id)
    if company is None:
        if not actor.is_admin:
            actor.require_company(company_id)
        raise not_found("Company", company_id)
    actor.require_company(company.id)
    return company


def list_companies(
    db: Session, *, actor: Actor, params: PageParams, status: str | None, plan: str | None
) -> tuple[list[Company], Pagination]:
    stmt = select(Company)
    if not actor.is_admin:
        stmt = stmt.where(Company.id == actor.company_id)
    if status:
        stmt = stmt.where(Company.status == status)
    if plan:
        stmt = stmt.where(Company.plan == plan)
    return paginate(db, stmt, params, order_by=Company.created_at, id_column=Company.id)


def company_detail(db: Session, company: Company) -> CompanyDetail:
    members = list(
        db.scalars(select(User).where(User.company_id == company.id).order_by(User.created_at))
    )
    return CompanyDetail(
        id=company.id,
        name=company.name,
        email=company.email,
        domain=company.domain,
        plan=company.plan,
        status=company.status,
        created_at=company.created_at,
        updated_at=company.updated_at,
        settings=company.settings,
        billing=company.billing,
        setup_complete=company.setup_complete,
        usage=_usage(db, company.id, members=len(members)),
        members=[member_out(m) for m in members],
    )


def _usage(db: Session, company_id: str, *, members: int) -> Usage:
    month_start = datetime.now(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)

    def count(stmt: Select[int]) -> int:
        return int(db.scalar(stmt) or 0)

    return Usage(
        members=members,
        assessments=count(
            select(func.count())
            .select_from(Assessment)
            .where(Assessment.company_id == company_id, Assessment.status != "archived")
        ),
        candidates=count(
            select(func.count()).select_from(Candidate).where(Candidate.company_id == company_id)
        ),
        monthly_invites=count(
            select(func.count())
            .select_from(Invitation)
            .where(Invitation.company_id == company_id, Invitation.sent_at >= month_start)
        ),
    )


def member_out(user: User) -> Member:
    return Member(
        user_id=user.id,
        email=user.email,
        role=user.role,
        status=user.status,
        permissions=effective_permissions(Role(user.role), user.extra_permissions),
        joined_at=user.created_at,
    )


def update_company(
    db: Session, *, actor: Actor, company_id: str, data: CompanyUpdate
) -> CompanyDetail:
    company = get_company(db, actor=actor, company_id=company_id)
    changes = data.model_dump(exclude_unset=True)
    if ("plan" in changes or "status" in changes) and not actor.is_admin:
        raise ValidationFailed(
            "Only system administrators change a company's plan or status",
            details={"field": "plan" if "plan" in changes else "status"},
        )
    for field in ("name", "domain", "plan", "status"):
        if field in changes and changes[field] is not None:
            setattr(company, field, changes[field])
    if data.settings is not None:
        company.settings = {**company.settings, **data.settings}
    if data.billing is not None:
        company.billing = {
            **company.billing,
            **data.billing.model_dump(mode="json", by_alias=True, exclude_none=True),
        }
    company.updated_at = datetime.now(UTC)
    audit.record(
        db,
        "COMPANY_UPDATED",
        actor_id=actor.id,
        actor_email=actor.email,
        company_id=company.id,
        target_type="company",
        target_id=company.id,
        details={"fields": sorted(changes)},
    )
    db.commit()
    return company_detail(db, company)


def add_member(
    db: Session,
    *,
    actor: Actor,
    company_id: str,
    data: MemberCreate,
    settings: Settings,
    mail: MailSender,
) -> MemberCreated:
    company = get_company(db, actor=actor, company_id=company_id)
    refused = ungrantable(data.permissions)
    if refused:
        raise ValidationFailed(
            "Some permissions cannot be granted",
            details={"field": "permissions", "message": "not grantable", "value": refused},
        )
    if db.scalar(select(User.id).where(User.email == data.email.lower())) is not None:
        raise Conflict(
            "A user with this email already exists",
            code="USER_EXISTS",
            details={"field": "email", "value": data.email},
        )
    user = _add_member(
        db,
        company=company,
        email=data.email.lower(),
        role=Role(data.role),
        permissions=data.permissions,
        names=(data.first_name, data.last_name),
        send_invitation=data.send_invitation,
        settings=settings,
        mail=mail,
    )
    audit.record(
        db,
        "MEMBER_ADDED",
        actor_id=actor.id,
        actor_email=actor.email,
        company_id=company.id,
        target_type="user",
        target_id=user.id,
        details={"role": data.role, "permissions": data.permissions},
    )
    db.commit()
    return MemberCreated(**member_out(user).model_dump(), invitation_sent=data.send_invitation)


def _add_member(
    db: Session,
    *,
    company: Company,
    email: str,
    role: Role,
    permissions: list[str],
    names: tuple[str | None, str | None],
    send_invitation: bool,
    settings: Settings,
    mail: MailSender,
) -> User:
    user = User(
        id=new_id("user"),
        email=email,
        role=role.value,
        company_id=company.id,
        extra_permissions=permissions,
        first_name=names[0],
        last_name=names[1],
        status="invited",
    )
    db.add(user)
    db.flush()
    token = create_member_invite(db, settings, user)
    if send_invitation:
        link = f"{settings.public_url.rstrip('/')}/accept-invite?token={token}"
        mail.send(
            db,
            to=email,
            subject=f"You have been invited to {company.name} on EllaAI",
            body=(
                f"You have been added to {company.name} as {role.value}.\n"
                f"Set your password to sign in: {link}\n"
                f"Or POST /api/auth/accept-invite with this token: {token}\n"
            ),
            kind="member_invite",
            company_id=company.id,
        )
    return user
