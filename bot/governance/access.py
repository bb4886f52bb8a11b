"""The one place that decides who may do what. Application services ask here before they act, and
``require`` raises the refusal that names the role needed.

| permission | who                                                                    |
|------------|------------------------------------------------------------------------|
| (none)     | every user of an allowed tenant                                         |
| build      | Builders and owners (of any department), administrators, skills-sync    |
| edit       | Builders/owners of the edited specialist's department, administrators,  |
|            | skills-sync; a specialist without a department: its creator and admins  |
| approve    | the owner of the specialist's department, administrators               |
| stats      | Builders, owners, administrators                                        |
| roles      | administrators; owners for Builders/members of their own department     |
| admin      | administrators                                                          |
"""

from __future__ import annotations

from bot.domain import AppError, Outcome, Permission, Role, SpecialistKind, Status, channel_of
from bot.governance.roles import UserRoles
from bot.store.models import Specialist


def allowed(roles: UserRoles, permission: Permission | None) -> bool:
    """The coarse check; ``edit``/``approve`` on a specialist also need ``can_edit``/``can_approve``."""
    if roles.scope is not None:  # an API key: no permission beyond using what it names
        return permission is None
    if permission is None or roles.is_admin:
        return True
    if roles.is_system:  # reviewed configuration: may build and edit, never approve or grant
        return permission in (Permission.BUILD, Permission.EDIT)
    if permission in (Permission.BUILD, Permission.EDIT, Permission.STATS):
        return roles.builds
    if permission in (Permission.APPROVE, Permission.ROLES):
        return bool(roles.owner_of)
    return False  # admin


def forbidden(permission: Permission) -> AppError:
    return AppError(Outcome.FORBIDDEN, f"needs_{permission.value}")


def require(roles: UserRoles, permission: Permission, spec: Specialist | None = None) -> None:
    """Raise ``AppError(FORBIDDEN)`` unless ``roles`` has ``permission`` (on ``spec`` when given)."""
    ok = allowed(roles, permission)
    if ok and spec is not None and permission == Permission.EDIT:
        ok = can_edit(roles, spec)
    if ok and spec is not None and permission == Permission.APPROVE:
        ok = can_approve(roles, spec)
    if not ok:
        raise forbidden(permission)


def can_edit(roles: UserRoles, spec: Specialist) -> bool:
    if spec.kind == SpecialistKind.GENERAL:
        return roles.is_admin
    if roles.is_system:
        return True
    if spec.department_id is None:
        return roles.is_admin or (roles.builds and spec.owner == roles.user)
    return roles.edits_in(spec.department_id)


def can_approve(roles: UserRoles, spec: Specialist) -> bool:
    return roles.owns(spec.department_id) if spec.department_id is not None else roles.is_admin


def can_assign(roles: UserRoles, role: Role, department_id: int) -> bool:
    """Admins assign anything; a department's owners assign its Builders and members."""
    return roles.is_admin or (role in (Role.BUILDER, Role.MEMBER) and department_id in roles.owner_of)


def can_use(roles: UserRoles, spec: Specialist, conversation_id: str) -> bool:
    """Drafts only for those who may edit them; published ones by their sharing level."""
    if roles.scope is not None:
        return roles.scope.allows(spec)
    if spec.kind == SpecialistKind.GENERAL:
        return True
    if can_edit(roles, spec) or spec.owner == roles.user:
        return True
    if spec.status != Status.PUBLISHED:
        return False
    if spec.sharing == "organisation":
        return True
    if spec.sharing == "department":
        return spec.department_id is not None and spec.department_id in roles.departments
    if spec.sharing == "team":
        return spec.shared_with is not None and spec.shared_with in (
            conversation_id,
            channel_of(conversation_id),
        )
    return False  # personal: its creator only
