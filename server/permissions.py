"""Roles and the spec's permission strings (`assessments:create`, `candidates:read`, `*`).

A permission `resource:manage` grants every action on that resource; `*` grants everything.
"""

from __future__ import annotations

from enum import StrEnum

from server.schemas.auth import PERMISSION_ACTIONS, PERMISSION_RESOURCES


class Role(StrEnum):
    ADMIN = "admin"
    ELLA_RECRUITER = "ella_recruiter"
    RECRUITER = "recruiter"
    HIRING_MANAGER = "hiring_manager"
    CANDIDATE = "candidate"


_RECRUITER = [
    "assessments:manage",
    "questions:manage",
    "candidates:manage",
    "analytics:read",
    "proctoring:manage",
    "execution:run",
    "webhooks:manage",
    "company:read",
]

ROLE_PERMISSIONS: dict[Role, list[str]] = {
    Role.ADMIN: ["*"],
    Role.ELLA_RECRUITER: [
        "assessments:read",
        "questions:read",
        "candidates:read",
        "analytics:read",
        "company:read",
        "support:manage",
    ],
    Role.RECRUITER: _RECRUITER,
    Role.HIRING_MANAGER: [
        "assessments:read",
        "questions:read",
        "candidates:read",
        "analytics:read",
        "proctoring:read",
        "execution:run",
        "company:read",
    ],
    Role.CANDIDATE: ["attempts:own", "execution:run", "proctoring:own"],
}

# What an API key may do inside its company: a recruiter's work, nothing administrative.
API_KEY_PERMISSIONS = list(_RECRUITER)


def ungrantable(permissions: list[str]) -> list[str]:
    """The permissions in `permissions` that no one may grant on top of a role (`*`, unknowns)."""
    refused = []
    for permission in permissions:
        resource, _, action = permission.partition(":")
        if resource not in PERMISSION_RESOURCES or action not in PERMISSION_ACTIONS:
            refused.append(permission)
    return sorted(set(refused))


def effective_permissions(role: Role, extra: list[str] | None) -> list[str]:
    perms = list(ROLE_PERMISSIONS[role])
    for permission in extra or []:
        if permission not in perms:
            perms.append(permission)
    return perms


def allows(granted: list[str], needed: str) -> bool:
    if "*" in granted or needed in granted:
        return True
    resource, _, _ = needed.partition(":")
    return f"{resource}:manage" in granted
