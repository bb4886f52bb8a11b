"""Roles and departments: who is administrator, owner, Builder or member, and where."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain import AppError, AuditAction, Outcome, Permission, Role
from bot.governance import access
from bot.services.actor import Actor
from bot.services.base import Service, offloop
from bot.store.models import Department


@dataclass(frozen=True)
class RoleChange:
    user: str
    role: Role
    department: Department
    changed: bool  # False: they already had it (assign) / did not have it (remove)


@dataclass(frozen=True)
class RoleListing:
    user: str
    is_admin: bool
    roles: list[tuple[Role, Department]]


class RolesService(Service):
    def show(self, actor: Actor, user: str | None = None) -> RoleListing:
        user = user or actor.id
        if user != actor.id:
            self.require(actor, Permission.ROLES)
        roles = self.stores.roles.roles_of(user)
        return RoleListing(user, roles.is_admin, self.stores.roles.assignments(user))

    def change(
        self, actor: Actor, assign: bool, user: str, role: Role | str, department_ref: str
    ) -> RoleChange:
        parsed = role if isinstance(role, Role) else Role.parse(role)
        if parsed is None:
            raise AppError(Outcome.INVALID, "role_unknown", role=role)
        department = self.stores.roles.department(department_ref)
        if not access.can_assign(self.roles(actor), parsed, department.id):  # type: ignore[arg-type]
            key = "assign_needs_admin" if parsed == Role.OWNER else "assign_needs_owner"
            raise AppError(Outcome.FORBIDDEN, key, role=parsed, department=department.name)
        if assign:
            changed = self.stores.roles.assign(user, parsed, department.id, actor.id)  # type: ignore[arg-type]
            action = AuditAction.ROLE_ASSIGNED
        else:
            changed = self.stores.roles.remove(user, parsed, department.id)  # type: ignore[arg-type]
            action = AuditAction.ROLE_REMOVED
        if changed:
            self.audit(actor, action, user, role=parsed, department=department.slug)
        return RoleChange(user, parsed, department, changed)

    def departments(self, actor: Actor) -> list[Department]:
        return self.stores.roles.departments()

    def ensure_department(self, actor: Actor, name: str, **audit: object) -> Department:
        """The department ``name``; skills-as-code (reviewed) and administrators may create it."""
        found = self.stores.roles.find_department(name)
        if found is not None:
            return found
        if actor.kind != "skills-sync":
            self.require(actor, Permission.ADMIN)
        department = self.stores.roles.create_department(name)
        self.audit(actor, AuditAction.DEPARTMENT_CREATED, department.slug, name=department.name, **audit)
        return department

    def create_department(self, actor: Actor, name: str) -> Department:
        self.require(actor, Permission.ADMIN)
        department = self.stores.roles.create_department(name)
        self.audit(actor, AuditAction.DEPARTMENT_CREATED, department.slug, name=department.name)
        return department

    # the awaitable faces the doors use: each runs its blocking twin in a worker thread
    ashow = offloop(show)
    achange = offloop(change)
    adepartments = offloop(departments)
    acreate_department = offloop(create_department)
