"""The application layer on its own: the permission matrix enforced by the services (the Teams door's
matrix in test_governance must be the same sets: the door adds no rule and skips none), typed
outcomes instead of prose, and an audit event from every change whoever the actor."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot.app import Services
from bot.domain import AppError, Outcome
from bot.governance import screening
from bot.services import SKILLS_SYNC, Actor
from bot.services.sources import Added
from tests.test_governance import ADMIN, BUILDER_A, BUILDER_B, EMPLOYEE, MATRIX, MEMBER_A, OWNER_A, USERS

SCREEN = "formål=vejledning; data=ingen; kilder=interne; hjemmel=intern vejledning; dpia=nej; ansvarlig=Bo"
SYNC = "skills-sync"


def actor(user: str) -> Actor:
    return SKILLS_SYNC if user == SYNC else Actor(user, conversation=None)


@pytest.fixture
def services(make_services: Callable[..., Services], db_url: str) -> Services:
    services = make_services(database_url=db_url, admins=ADMIN)
    app, admin = services.app, Actor(ADMIN)
    for name in ("Afdeling A", "Afdeling B"):
        app.roles.create_department(admin, name)
    app.roles.change(admin, True, OWNER_A, "ejer", "afdeling-a")
    app.roles.change(admin, True, BUILDER_A, "builder", "afdeling-a")
    app.roles.change(admin, True, MEMBER_A, "medlem", "afdeling-a")
    app.roles.change(admin, True, BUILDER_B, "builder", "afdeling-b")
    app.specialists.create(Actor(BUILDER_A), "Guide A")
    app.publishing.screen(Actor(BUILDER_A), SCREEN, "guide-a")
    return services


# operation -> (the matching Teams command in test_governance.MATRIX, the call)
OPERATIONS: dict[str, tuple[str, Callable[[Services, Actor, str], Any]]] = {
    "create": ("/ny Ny guide", lambda s, a, u: s.app.specialists.create(a, f"Ny guide {u}")),
    "edit": ("/rediger guide-a", lambda s, a, u: s.app.specialists.edit(a, "guide-a")),
    "prompt": ("/prompt", lambda s, a, u: s.app.specialists.set_prompt(a, "Ny prompt", "guide-a")),
    "configure": (
        "/indstil top_k 4",
        lambda s, a, u: s.app.specialists.configure(a, "top_k", "4", "guide-a"),
    ),
    "sources": ("/kilder", lambda s, a, u: s.app.sources.list(a, "guide-a")),
    "screen": ("/screening", lambda s, a, u: s.app.publishing.screen(a, SCREEN, "guide-a")),
    "share": ("/del organisation", lambda s, a, u: s.app.publishing.share(a, "organisation", "guide-a")),
    "unpublish": ("/afpubliser", lambda s, a, u: s.app.publishing.unpublish(a, "guide-a")),
    "approve": ("/godkend guide-a", lambda s, a, u: s.app.publishing.approve(a, "guide-a")),
    "stats": ("/statistik", lambda s, a, u: s.app.stats.usage(a)),
    "assign builder": (
        "/rolle tildel x@aarhus.dk builder afdeling-a",
        lambda s, a, u: s.app.roles.change(a, True, "x@aarhus.dk", "builder", "afdeling-a"),
    ),
    "assign owner": (
        "/rolle tildel x@aarhus.dk ejer afdeling-a",
        lambda s, a, u: s.app.roles.change(a, True, "x@aarhus.dk", "ejer", "afdeling-a"),
    ),
    "assign elsewhere": (
        "/rolle tildel x@aarhus.dk builder afdeling-b",
        lambda s, a, u: s.app.roles.change(a, True, "x@aarhus.dk", "builder", "afdeling-b"),
    ),
    "show roles": (f"/rolle vis {BUILDER_A}", lambda s, a, u: s.app.roles.show(a, BUILDER_A)),
    "department": (
        "/afdeling opret Ny afdeling",
        lambda s, a, u: s.app.roles.create_department(a, f"Ny afdeling {u}"),
    ),
    "list": ("/specialister", lambda s, a, u: s.app.specialists.visible(a)),
    "forget": ("/glem", lambda s, a, u: s.app.feedback.forget(a)),
}
# skills-sync (reviewed configuration) builds and edits, and nothing else
SYNC_MAY = {
    "create",
    "edit",
    "prompt",
    "configure",
    "sources",
    "screen",
    "share",
    "unpublish",
    "list",
    "forget",
}


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_the_services_enforce_the_permission_matrix(services: Services, operation: str) -> None:
    command, call = OPERATIONS[operation]
    allowed = set()
    for user in [*USERS, SYNC]:
        try:
            call(services, actor(user), user)
        except AppError as exc:
            assert exc.outcome == Outcome.FORBIDDEN, (user, exc)
            assert exc.key.startswith(("needs_", "assign_needs_")), exc.key
            continue
        allowed.add(user)
    assert allowed - {SYNC} == MATRIX[command]  # the same sets as through the Teams door
    assert (SYNC in allowed) == (operation in SYNC_MAY)


def test_outcomes_are_typed(services: Services) -> None:
    app, builder = services.app, Actor(BUILDER_A)
    with pytest.raises(AppError) as unknown:
        app.specialists.edit(builder, "findes-ikke")
    assert (unknown.value.outcome, unknown.value.key) == (Outcome.NOT_FOUND, "specialist_unknown")
    with pytest.raises(AppError) as no_target:
        app.specialists.set_prompt(Actor(BUILDER_B), "x")
    assert (no_target.value.outcome, no_target.value.key) == (Outcome.PRECONDITION, "no_edit_target")
    app.publishing.share(builder, "organisation", "guide-a")
    with pytest.raises(AppError) as unapproved:
        app.publishing.publish(builder, "guide-a")
    assert (unapproved.value.outcome, unapproved.value.key) == (Outcome.PRECONDITION, "publish_unapproved")
    with pytest.raises(AppError) as not_admin:
        app.publishing.publish(builder, "guide-a", force_reason="fordi")
    assert (not_admin.value.outcome, not_admin.value.key) == (Outcome.FORBIDDEN, "needs_admin")
    published = app.publishing.publish(Actor.cli("drift"), "guide-a", force_reason="akut")
    assert published.status == "published"
    events = services.stores.audit.events(action="specialist.published")
    assert [(e.actor, e.target) for e in events] == [("cli:drift", "guide-a")]
    assert '"reason": "akut"' in events[0].details and '"forced": true' in events[0].details


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_forcing_a_publication_needs_a_reason(services: Services, reason: str | None) -> None:
    """The rule the CLI's ``--force`` without ``--reason`` meets, decided by the service (the door
    asks before it creates anything); a forced publish with a blank reason is refused as well."""
    app, ops = services.app, Actor.cli("drift")
    with pytest.raises(AppError) as refused:
        app.publishing.force_reason(True, reason)
    assert (refused.value.outcome, refused.value.key) == (Outcome.INVALID, "force_needs_reason")
    assert app.publishing.force_reason(False, reason) is None
    assert app.publishing.force_reason(True, " akut ") == "akut"
    with pytest.raises(AppError) as blank:
        app.publishing.publish(ops, "guide-a", force_reason=reason or " ")
    assert blank.value.key == "force_needs_reason"
    assert app.specialists.lookup(ops, "guide-a").status == "draft"  # type: ignore[union-attr]


def test_a_setting_says_how_it_is_shown_and_whether_sources_need_reindexing(services: Services) -> None:
    """``/indstil`` renders what the service decided: the value as the user named it, and the
    reindexing note for chunking (the door used to decide both)."""
    app, who = services.app, Actor(BUILDER_A)
    cpr = app.specialists.configure(who, "cpr_i_kilder", " skjul ", "guide-a")
    assert (cpr.value, cpr.shown, cpr.reindex) == ("redact", "skjul", False)
    chunk = app.specialists.configure(who, "chunk_size", "600", "guide-a")
    assert (chunk.value, chunk.shown, chunk.reindex) == (600, 600, True)
    top_k = app.specialists.configure(who, "top_k", "4", "guide-a")
    assert (top_k.shown, top_k.reindex) == (4, False)


def test_every_change_is_audited_whoever_the_actor(services: Services) -> None:
    app = services.app
    before = len(services.stores.audit.events())
    for who in (Actor(BUILDER_A), SKILLS_SYNC, Actor.cli("drift")):
        app.specialists.set_prompt(who, f"Prompt fra {who.id}", "guide-a")
        app.specialists.configure(who, "top_k", "3" if who.kind != "cli" else "4", "guide-a")
    events = services.stores.audit.events()[before:]
    assert [(e.actor, e.action) for e in events] == [
        (BUILDER_A, "prompt.changed"),
        (BUILDER_A, "setting.changed"),
        ("skills-sync", "prompt.changed"),
        ("skills-sync", "setting.changed"),
        ("cli:drift", "prompt.changed"),
        ("cli:drift", "setting.changed"),
    ]
    assert EMPLOYEE not in {e.actor for e in events}


def test_atomic_changes_are_all_or_nothing(services: Services) -> None:
    """``SpecialistsService.atomic``: service calls inside share one transaction; a refusal anywhere
    (here a check at its end) rolls back every change, while what runs after it (an audit of the
    refusal) is kept; nested blocks join the outer one."""
    app, who, db = services.app, Actor(BUILDER_A), services.db
    before = app.specialists.lookup(who, "guide-a")
    audits = len(services.stores.audit.events())
    kept: list[str] = []

    def refuse() -> None:
        raise AppError(Outcome.PRECONDITION, "no_changes")

    with pytest.raises(AppError), app.specialists.atomic():
        app.specialists.configure(who, "top_k", "9", "guide-a")
        with app.specialists.atomic():  # joins
            app.specialists.set_prompt(who, "En ny prompt", "guide-a")
        assert app.specialists.lookup(who, "guide-a").top_k == 9  # type: ignore[union-attr]
        db.after_transaction(lambda: kept.append("after"))
        db.after_transaction(lambda: services.stores.audit.record("x", "test.refused"))
        db.before_commit(refuse)
    after = app.specialists.lookup(who, "guide-a")
    assert after is not None and before is not None
    assert (after.top_k, after.updated_at) == (before.top_k, before.updated_at)
    assert app.specialists.prompt(who, "guide-a")[1].text != "En ny prompt"
    assert [e.action for e in services.stores.audit.events()[audits:]] == ["test.refused"]
    assert kept == ["after"]
    with app.specialists.atomic():
        app.specialists.configure(who, "top_k", "8", "guide-a")
    assert app.specialists.lookup(who, "guide-a").top_k == 8  # type: ignore[union-attr]


async def test_what_a_skills_sync_changes_is_decided_by_the_services(services: Services) -> None:
    """The skills door only reads files; the services decide what a sync changes: a source is read
    again only when its bytes (SHA-256) or the chunking changed, a stored one missing from the folder
    goes, and the prompt and the screening are written only when they differ."""
    app, who = services.app, Actor(BUILDER_A)
    text = b"# Affald\n\nStorskrald hentes hver anden uge."
    added = await app.sources.add(who, app.specialists.lookup(who, "guide-a"), "a.md", text)
    assert isinstance(added, Added)
    spec = app.specialists.lookup(who, "guide-a")
    files = {"a.md": text, "b.md": b"# Ny\n\nNy kilde."}
    plan = app.sources.reconcile(who, spec, files, rechunk=False)
    assert (plan.read, plan.unchanged, plan.removed) == (["b.md"], ["a.md"], [])
    plan = app.sources.reconcile(who, spec, {"a.md": text + b" Rettet."}, rechunk=False)
    assert (plan.read, plan.unchanged, plan.removed) == (["a.md"], [], [])
    plan = app.sources.reconcile(who, spec, {"b.md": b"x"}, rechunk=False)
    assert (plan.read, plan.unchanged, plan.removed) == (["b.md"], [], ["a.md"])
    plan = app.sources.reconcile(who, spec, files, rechunk=True)
    assert (plan.read, plan.unchanged, plan.removed) == (["a.md", "b.md"], [], [])
    assert app.sources.reconcile(who, None, files, rechunk=False).read == ["a.md", "b.md"]

    before = len(app.specialists.prompt_history(who, "guide-a")[1])
    assert app.specialists.sync_prompt(who, " Ny prompt \n", "guide-a", "fra skills sync") is True
    assert app.specialists.sync_prompt(who, "Ny prompt", "guide-a", "fra skills sync") is False
    assert len(app.specialists.prompt_history(who, "guide-a")[1]) == before + 1

    assert app.publishing.sync_screening(who, screening.parse(SCREEN), "guide-a") is False
    other = screening.parse(SCREEN.replace("ansvarlig=Bo", "ansvarlig=Ib"))
    assert app.publishing.sync_screening(who, other, "guide-a") is True
    assert app.publishing.screening(who, "guide-a")[1].responsible == "Ib"  # type: ignore[union-attr]
