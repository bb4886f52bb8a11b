"""Roles and departments. Administrators come from configuration; every other role is data.

Roles per department: ``owner`` (faglig systemejer), ``builder`` and ``member`` (used for sharing a
specialist with a department). Users are identified by their Entra object id. Blocking (sessions):
the application services call it from a worker thread.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select

from bot.config import Settings
from bot.domain import AppError, Outcome, Role, slugify
from bot.governance.apikeys import ApiScope
from bot.store import Database
from bot.store.models import AuditEvent, Department, EditSelection, Feedback, Message, RoleAssignment


@dataclass(frozen=True)
class UserRoles:
    user: str
    is_admin: bool = False
    owner_of: frozenset[int] = frozenset()
    builder_of: frozenset[int] = frozenset()
    member_of: frozenset[int] = frozenset()
    is_system: bool = False  # skills-sync: reviewed configuration, edits but never approves
    scope: ApiScope | None = None  # an API key: uses the specialists it names, below its ceiling, only

    @property
    def departments(self) -> frozenset[int]:
        return self.owner_of | self.builder_of | self.member_of

    @property
    def builds(self) -> bool:
        return self.is_admin or self.is_system or bool(self.builder_of or self.owner_of)

    def edits_in(self, department_id: int | None) -> bool:
        return self.is_admin or (
            department_id is not None and department_id in (self.builder_of | self.owner_of)
        )

    def owns(self, department_id: int | None) -> bool:
        return self.is_admin or (department_id is not None and department_id in self.owner_of)


class RoleStore:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings

    def roles_of(
        self, user: str, is_admin: bool = False, aliases: tuple[str, ...] = (), system: bool = False
    ) -> UserRoles:
        ids = {user, *aliases, *(a.casefold() for a in aliases if "@" in a)}  # a UPN is stored casefolded
        with self.db.session() as s:
            rows = s.exec(select(RoleAssignment).where(col(RoleAssignment.user_id).in_(ids))).all()
        return self.roles_from(user, [(r.role, r.department_id) for r in rows], is_admin, aliases, system)

    def roles_from(
        self,
        user: str,
        rows: Iterable[tuple[str, int]],
        is_admin: bool = False,
        aliases: tuple[str, ...] = (),
        system: bool = False,
    ) -> UserRoles:
        """``user``'s roles from their (role, department id) rows, read here or with a turn's context."""
        by_role: dict[str, set[int]] = {r.value: set() for r in Role}
        for role, department_id in rows:
            by_role.setdefault(role, set()).add(department_id)
        return UserRoles(
            user,
            is_admin or self.settings.is_admin(user, *aliases),
            frozenset(by_role[Role.OWNER]),
            frozenset(by_role[Role.BUILDER]),
            frozenset(by_role[Role.MEMBER]),
            is_system=system,
        )

    # -- people ---------------------------------------------------------------------------------------
    def seen(self, user: str) -> bool:
        """Whether ``user`` is an id the bot has met: someone who asked, gave feedback, acted (audit),
        edits a specialist, or holds or gave a role."""
        queries = (
            select(RoleAssignment.id).where(
                (RoleAssignment.user_id == user) | (RoleAssignment.assigned_by == user)
            ),
            select(Message.id).where(Message.user_id == user),
            select(Feedback.id).where(Feedback.user_id == user),
            select(AuditEvent.id).where(AuditEvent.actor == user),
            select(EditSelection.user_id).where(EditSelection.user_id == user),
        )
        with self.db.session() as s:
            return any(s.exec(q.limit(1)).first() is not None for q in queries)

    def ids_named(self, name: str) -> list[str]:
        """The ids of the people who asked under the display name ``name`` (any case)."""
        wanted = " ".join(name.split()).lower()
        with self.db.session() as s:
            rows = s.exec(
                select(Message.user_id).where(func.lower(col(Message.user_name)) == wanted).distinct()
            ).all()
        return sorted(rows)

    # -- departments ------------------------------------------------------------------------------
    def departments(self) -> list[Department]:
        with self.db.session() as s:
            return list(s.exec(select(Department).order_by(col(Department.name))).all())

    def find_department(self, ref: str) -> Department | None:
        with self.db.session() as s:
            return s.exec(select(Department).where(Department.slug == slugify(ref))).first()

    def department(self, ref: str) -> Department:
        found = self.find_department(ref)
        if found is None:
            known = ", ".join(d.slug for d in self.departments()) or "–"
            raise AppError(Outcome.NOT_FOUND, "department_unknown", ref=ref, known=known)
        return found

    def department_by_id(self, department_id: int | None) -> Department | None:
        if department_id is None:
            return None
        with self.db.session() as s:
            return s.get(Department, department_id)

    def create_department(self, name: str) -> Department:
        name = " ".join(name.split())
        slug = slugify(name)
        if not slug:
            raise AppError(Outcome.INVALID, "department_needs_name")
        with self.db.session() as s:
            department = Department(slug=slug, name=name[:200])
            s.add(department)
            try:
                s.commit()
            except IntegrityError:
                raise AppError(Outcome.CONFLICT, "department_exists", slug=slug) from None
            s.refresh(department)
            return department

    # -- assignments ------------------------------------------------------------------------------
    def assign(self, user: str, role: Role, department_id: int, actor: str) -> bool:
        """True when the role was new."""
        with self.db.session() as s:
            s.add(RoleAssignment(user_id=user, role=role, department_id=department_id, assigned_by=actor))
            try:
                s.commit()
            except IntegrityError:
                return False
            return True

    def remove(self, user: str, role: Role, department_id: int) -> bool:
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

    def owners(self, department_id: int) -> list[str]:
        """The department's owners (faglige systemejere): who approves its wide sharing."""
        with self.db.session() as s:
            rows = s.exec(
                select(RoleAssignment.user_id)
                .where(RoleAssignment.role == Role.OWNER, RoleAssignment.department_id == department_id)
                .order_by(col(RoleAssignment.user_id))
            ).all()
        return list(rows)

    def assignments(self, user: str, aliases: tuple[str, ...] = ()) -> list[tuple[Role, Department]]:
        with self.db.session() as s:
            rows = s.exec(
                select(RoleAssignment, Department)
                .join(Department)
                .where(col(RoleAssignment.user_id).in_({user, *aliases}))
                .order_by(col(Department.name))
            ).all()
        return [(Role(r.role), d) for r, d in rows]
