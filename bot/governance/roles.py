"""Roles and departments. Administrators come from configuration; every other role is data.

Roles per department: ``owner`` (faglig systemejer), ``builder`` and ``member`` (used for sharing a
specialist with a department). Users are identified by their Entra object id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from bot.config import Settings
from bot.conversation.types import Incoming
from bot.store import Database
from bot.store.models import Department, RoleAssignment

ROLE_ALIASES = {
    "ejer": "owner",
    "owner": "owner",
    "systemejer": "owner",
    "faglig-systemejer": "owner",
    "builder": "builder",
    "medlem": "member",
    "member": "member",
}
ROLE_NAMES = {
    "admin": "administrator",
    "owner": "faglig systemejer",
    "builder": "Builder",
    "member": "medlem",
}


class GovernanceError(Exception):
    """A refused or invalid governance operation; ``str()`` is the Danish message."""


@dataclass(frozen=True)
class UserRoles:
    user: str
    is_admin: bool = False
    owner_of: frozenset[int] = frozenset()
    builder_of: frozenset[int] = frozenset()
    member_of: frozenset[int] = frozenset()

    @property
    def departments(self) -> frozenset[int]:
        return self.owner_of | self.builder_of | self.member_of

    @property
    def builds(self) -> bool:
        return self.is_admin or bool(self.builder_of or self.owner_of)

    def edits_in(self, department_id: int | None) -> bool:
        return self.is_admin or (
            department_id is not None and department_id in (self.builder_of | self.owner_of)
        )

    def owns(self, department_id: int | None) -> bool:
        return self.is_admin or (department_id is not None and department_id in self.owner_of)


def department_slug(name: str) -> str:
    text = name.strip().lower()
    for a, b in (("æ", "ae"), ("ø", "oe"), ("å", "aa")):
        text = text.replace(a, b)
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:64]


class RoleService:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings

    def roles_for(self, incoming: Incoming) -> UserRoles:
        user = incoming.user_key
        admin = self.settings.is_admin(user, incoming.user.id, incoming.user.aad_object_id, incoming.user.upn)
        return self.roles_of(user, admin)

    def roles_of(self, user: str, is_admin: bool = False) -> UserRoles:
        with self.db.session() as s:
            rows = s.exec(select(RoleAssignment).where(RoleAssignment.user_id == user)).all()
        by_role: dict[str, set[int]] = {"owner": set(), "builder": set(), "member": set()}
        for row in rows:
            by_role.setdefault(row.role, set()).add(row.department_id)
        return UserRoles(
            user,
            is_admin or self.settings.is_admin(user),
            frozenset(by_role["owner"]),
            frozenset(by_role["builder"]),
            frozenset(by_role["member"]),
        )

    # -- departments ------------------------------------------------------------------------------
    def departments(self) -> list[Department]:
        with self.db.session() as s:
            return list(s.exec(select(Department).order_by(col(Department.name))).all())

    def department(self, ref: str) -> Department:
        slug = department_slug(ref)
        with self.db.session() as s:
            found = s.exec(select(Department).where(Department.slug == slug)).first()
        if found is None:
            known = ", ".join(d.slug for d in self.departments()) or "ingen endnu"
            raise GovernanceError(f"Afdelingen '{ref}' findes ikke. Kendte afdelinger: {known}.")
        return found

    def department_by_id(self, department_id: int | None) -> Department | None:
        if department_id is None:
            return None
        with self.db.session() as s:
            return s.get(Department, department_id)

    def create_department(self, name: str) -> Department:
        name = " ".join(name.split())
        slug = department_slug(name)
        if not slug:
            raise GovernanceError("Giv afdelingen et navn, fx: /afdeling opret Borgerservice og Biblioteker")
        with self.db.session() as s:
            department = Department(slug=slug, name=name)
            s.add(department)
            try:
                s.commit()
            except IntegrityError:
                raise GovernanceError(f"Afdelingen '{slug}' findes allerede.") from None
            s.refresh(department)
            return department

    def ensure_department(self, name: str) -> Department:
        try:
            return self.department(name)
        except GovernanceError:
            return self.create_department(name)

    # -- assignments ------------------------------------------------------------------------------
    def assign(self, user: str, role: str, department_id: int, actor: str) -> bool:
        """True when the role was new."""
        with self.db.session() as s:
            s.add(RoleAssignment(user_id=user, role=role, department_id=department_id, assigned_by=actor))
            try:
                s.commit()
            except IntegrityError:
                return False
            return True

    def remove(self, user: str, role: str, department_id: int) -> bool:
        with self.db.session() as s:
            row = s.exec(
                select(RoleAssignment).where(
                    RoleAssignment.user_id == user,
                    RoleAssignment.role == role,
                    RoleAssignment.department_id == department_id,
                )
            ).first()
            if row is None:
                return False
            s.delete(row)
            s.commit()
            return True

    def describe(self, user: str) -> list[str]:
        with self.db.session() as s:
            rows = s.exec(
                select(RoleAssignment, Department)
                .join(Department)
                .where(RoleAssignment.user_id == user)
                .order_by(col(Department.name))
            ).all()
        lines = [f"{ROLE_NAMES[r.role]} i {d.name}" for r, d in rows]
        if self.settings.is_admin(user):
            lines.insert(0, "administrator (fra konfigurationen)")
        return lines
