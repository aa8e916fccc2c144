"""The first system administrator, from the environment at start or from `create-admin`."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.audit import service as audit
from server.auth.models import User
from server.ids import new_id
from server.permissions import Role
from server.security import Passwords


def ensure_admin(db: Session, passwords: Passwords, *, email: str, password: str) -> bool:
    """Create an administrator with this email unless a user with it exists; True if created."""
    email = email.strip().lower()
    if db.scalar(select(User.id).where(User.email == email)) is not None:
        return False
    user = User(
        id=new_id("user"),
        email=email,
        password_hash=passwords.hash(password),
        role=Role.ADMIN.value,
        status="active",
    )
    db.add(user)
    audit.record(db, "ADMIN_CREATED", target_type="user", target_id=user.id, actor_email=email)
    try:
        db.commit()
    except IntegrityError:  # another worker starting at the same moment made it first
        db.rollback()
        return False
    return True
