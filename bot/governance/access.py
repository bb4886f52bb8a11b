"""The one place that decides who may do what. Commands declare a permission; handlers ask here
about a specific specialist. Every refusal names the role it needs.

| permission | who                                                                    |
|------------|------------------------------------------------------------------------|
| (none)     | every user of an allowed tenant                                         |
| build      | Builders and owners (of any department), administrators                 |
| edit       | Builders/owners of the edited specialist's department, administrators;  |
|            | a specialist without a department: its creator and administrators      |
| approve    | the owner of the specialist's department, administrators               |
| stats      | Builders, owners, administrators                                        |
| roles      | administrators; owners for Builders/members of their own department     |
| admin      | administrators                                                          |
"""

from __future__ import annotations

from bot.governance.roles import ROLE_NAMES, UserRoles
from bot.specialists.service import channel_of
from bot.store.models import Specialist

NEEDS = {
    "build": "kræver rollen Builder",
    "edit": "kræver rollen Builder i specialistens afdeling",
    "approve": "kræver rollen faglig systemejer for specialistens afdeling",
    "stats": "kræver rollen Builder eller faglig systemejer",
    "roles": "kræver rollen administrator eller faglig systemejer",
    "admin": "kræver rollen administrator",
}


def refusal(command: str, permission: str) -> str:
    return f"/{command} {NEEDS[permission]}. Spørg din afdelings faglige systemejer, hvis du skal have den."


def allowed(roles: UserRoles, permission: str | None) -> bool:
    """The coarse check before a command runs; ``edit``/``approve`` also need ``can_edit``/``can_approve``."""
    if permission is None:
        return True
    if roles.is_admin:
        return True
    if permission in ("build", "edit", "stats"):
        return roles.builds
    if permission == "approve":
        return bool(roles.owner_of)
    if permission == "roles":
        return bool(roles.owner_of)
    return False  # admin


def can_edit(roles: UserRoles, spec: Specialist) -> bool:
    if spec.kind == "general":
        return roles.is_admin
    if spec.department_id is None:
        return roles.is_admin or (roles.builds and spec.owner == roles.user)
    return roles.edits_in(spec.department_id)


def can_approve(roles: UserRoles, spec: Specialist) -> bool:
    return roles.owns(spec.department_id) if spec.department_id is not None else roles.is_admin


def can_assign(roles: UserRoles, role: str, department_id: int) -> bool:
    """Admins assign anything; a department's owners assign its Builders and members."""
    return roles.is_admin or (role in ("builder", "member") and department_id in roles.owner_of)


def can_use(roles: UserRoles, spec: Specialist, conversation_id: str) -> bool:
    """Drafts only for those who may edit them; published ones by their sharing level."""
    if spec.kind == "general":
        return True
    if can_edit(roles, spec) or spec.owner == roles.user:
        return True
    if spec.status != "published":
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


def role_name(role: str) -> str:
    return ROLE_NAMES.get(role, role)
