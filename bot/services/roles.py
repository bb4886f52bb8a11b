"""Roles and departments: who is administrator, owner, Builder or member, and where."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.domain import AppError, AuditAction, Outcome, Permission, Role
from bot.governance import access
from bot.services.actor import Actor
from bot.services.base import Service, offloop
from bot.store.models import Department

Mentions = tuple[tuple[str, str], ...]  # (name as written in the <at> tag, person id), from the door

_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
_UPN = re.compile(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>.]+")
_AT = re.compile(r"<at>(.*?)</at>", re.IGNORECASE | re.DOTALL)


def split_person(text: str) -> tuple[str, str]:
    """The person a command names first, and the rest: a Teams mention (``<at>Megan Bowen</at>``)
    is one argument however many words it holds."""
    text = text.strip()
    at = re.match(r"<at>.*?</at>", text, re.IGNORECASE | re.DOTALL)
    if at:
        return at.group(0), text[at.end() :].strip()
    first, _, rest = text.partition(" ")
    return first, rest.strip()


@dataclass(frozen=True)
class RoleChange:
    user: str
    role: Role
    department: Department
    changed: bool  # False: they already had it (assign) / did not have it (remove)
    label: str = ""  # the person as the asker named them (a mention's name), for the reply


@dataclass(frozen=True)
class RoleListing:
    user: str
    is_admin: bool
    roles: list[tuple[Role, Department]]


class RolesService(Service):
    def person(self, ref: str, mentions: Mentions = ()) -> str:
        """The id a role is stored under, for a person named by a Teams mention, an Entra object id, a
        UPN, an id the bot has met or the display name of exactly one person who asked. Anything else
        is refused: a typo must not become a role nobody holds."""
        ref = " ".join(ref.split())
        at = _AT.fullmatch(ref)
        if at:
            name = " ".join(at.group(1).split()).casefold()
            ids = {pid for n, pid in mentions if n.casefold() == name}
            if len(ids) != 1:
                raise AppError(Outcome.NOT_FOUND, "mention_unresolved", name=at.group(1).strip())
            mentioned = ids.pop()  # Teams vouches for the person; an object id is written in lower case
            return mentioned.lower() if _GUID.fullmatch(mentioned) else mentioned
        bare = ref.removeprefix("8:orgid:")
        if _GUID.fullmatch(bare):
            return bare.lower()
        if _UPN.fullmatch(ref):
            return ref.casefold()
        if ref and self.stores.roles.seen(ref):
            return ref
        named = self.stores.roles.ids_named(ref) if ref else []
        if len(named) == 1:
            return named[0]
        if named:
            raise AppError(Outcome.INVALID, "person_ambiguous", name=ref, count=len(named))
        raise AppError(Outcome.NOT_FOUND, "person_unknown", name=ref)

    def show(self, actor: Actor, user: str | None = None, mentions: Mentions = ()) -> RoleListing:
        own = (actor.id, *actor.aliases)
        if user is None or user in own:
            roles = self.stores.roles.roles_of(actor.id, aliases=actor.aliases)
            return RoleListing(
                actor.id, roles.is_admin, self.stores.roles.assignments(actor.id, actor.aliases)
            )
        self.require(actor, Permission.ROLES)  # before the lookup: who is known is not everyone's business
        user = self.person(user, mentions)
        roles = self.stores.roles.roles_of(user)
        return RoleListing(user, roles.is_admin, self.stores.roles.assignments(user))

    def change(
        self,
        actor: Actor,
        assign: bool,
        user: str,
        role: Role | str,
        department_ref: str,
        mentions: Mentions = (),
    ) -> RoleChange:
        """Assign or remove a role; the person is resolved (``person``) after the permission check."""
        parsed = role if isinstance(role, Role) else Role.parse(role)
        if parsed is None:
            raise AppError(Outcome.INVALID, "role_unknown", role=role)
        department = self.stores.roles.department(department_ref)
        if not access.can_assign(self.roles(actor), parsed, department.id):  # type: ignore[arg-type]
            key = "assign_needs_admin" if parsed == Role.OWNER else "assign_needs_owner"
            raise AppError(Outcome.FORBIDDEN, key, role=parsed, department=department.name)
        label = " ".join(_AT.sub(r"\1", user).split())
        user = self.person(user, mentions)
        if assign:
            changed = self.stores.roles.assign(user, parsed, department.id, actor.id)  # type: ignore[arg-type]
            action = AuditAction.ROLE_ASSIGNED
        else:
            changed = self.stores.roles.remove(user, parsed, department.id)  # type: ignore[arg-type]
            action = AuditAction.ROLE_REMOVED
        if changed:
            self.audit(actor, action, user, role=parsed, department=department.slug)
        return RoleChange(user, parsed, department, changed, label)

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
