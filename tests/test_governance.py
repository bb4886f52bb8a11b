"""Governance on SQLite and PostgreSQL: roles, the permission matrix, sharing, screening and approval,
model policy by classification, the PII guard, tenants, audit, statistics and retention."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.app import Services
from bot.conversation.types import ConversationRef, Incoming, Reply, User
from bot.governance import retention, stats
from bot.store.models import AuditEvent, Message
from tests.conftest import write_catalogue
from tests.support.openai_server import RecordingModelServer

# the people given roles are named as an administrator would: by UPN (a plain unknown name is refused)
OWNER_A, BUILDER_A, BUILDER_B, MEMBER_A = (
    "own-a@aarhus.dk",
    "bld-a@aarhus.dk",
    "bld-b@aarhus.dk",
    "mem-a@aarhus.dk",
)
ADMIN, EMPLOYEE = "adm", "emp"
SCREEN = (
    "/screening formål=vejledning; data={data}; kilder=interne; hjemmel=intern vejledning; dpia=nej; "
    "ansvarlig=Bo"
)


def msg(
    text: str, user: str, conversation: str | None = None, kind: str = "personal", tenant: str = "t1"
) -> Incoming:
    return Incoming(
        text=text,
        user=User(id=f"29:{user}", name=user, aad_object_id=user),
        conversation=ConversationRef(id=conversation or f"a:{user}", type=kind, tenant_id=tenant),
    )  # type: ignore[arg-type]


class Org:
    """A small municipality: departments A and B and one user per role."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def say(self, user: str, text: str, **kw: object) -> Reply:
        return await self.services.dispatcher.handle(msg(text, user, **kw))  # type: ignore[arg-type]

    async def setup(self) -> Org:
        for name in ("Afdeling A", "Afdeling B"):
            assert "oprettet" in (await self.say(ADMIN, f"/afdeling opret {name}")).text
        assert "har nu" in (await self.say(ADMIN, f"/rolle tildel {OWNER_A} ejer afdeling-a")).text
        assert "har nu" in (await self.say(OWNER_A, f"/rolle tildel {BUILDER_A} builder afdeling-a")).text
        assert "har nu" in (await self.say(OWNER_A, f"/rolle tildel {MEMBER_A} medlem afdeling-a")).text
        assert "har nu" in (await self.say(ADMIN, f"/rolle tildel {BUILDER_B} builder afdeling-b")).text
        return self

    async def specialist(
        self,
        builder: str,
        name: str,
        data: str = "ingen",
        sharing: str | None = None,
        publish: bool = True,
        approve_by: str | None = None,
    ) -> str:
        reply = await self.say(builder, f"/ny {name}")
        slug = reply.text.split("(`")[1].split("`")[0]
        await self.services.stores.ingestor.ingest(
            self.services.stores.specialists.require(slug),
            "regler.md",
            "# Beboerlicens\n\nEn beboerlicens koster 800 kr., og beboerlicensen fornyes hvert år.".encode(),
            builder,
        )
        if publish:
            await self.say(builder, "/indstil beskrivelse Svarer om beboerlicens.")
            assert "Screeningen er gemt" in (await self.say(builder, SCREEN.format(data=data))).text
            if sharing:
                await self.say(builder, f"/del {sharing}")
            if approve_by:
                assert "godkendt" in (await self.say(approve_by, f"/godkend {slug}")).text
            assert "er udgivet" in (await self.say(builder, "/udgiv")).text
        return slug


@pytest.fixture
async def org(make_services: Callable[..., Services], db_url: str) -> Org:
    return await Org(make_services(database_url=db_url, admins=ADMIN)).setup()


# -- roles and the permission matrix ---------------------------------------------------------------
USERS = [EMPLOYEE, MEMBER_A, BUILDER_A, BUILDER_B, OWNER_A, ADMIN]
# command -> users allowed (for a specialist of department A that BUILDER_A edits)
MATRIX = {
    "/ny Ny guide": {BUILDER_A, BUILDER_B, OWNER_A, ADMIN},
    "/rediger guide-a": {BUILDER_A, OWNER_A, ADMIN},
    "/prompt": {BUILDER_A, OWNER_A, ADMIN},
    "/indstil top_k 4": {BUILDER_A, OWNER_A, ADMIN},
    "/kilder": {BUILDER_A, OWNER_A, ADMIN},
    "/screening": {BUILDER_A, OWNER_A, ADMIN},
    "/del organisation": {BUILDER_A, OWNER_A, ADMIN},
    "/afpubliser": {BUILDER_A, OWNER_A, ADMIN},
    "/godkend guide-a": {OWNER_A, ADMIN},
    "/statistik": {BUILDER_A, BUILDER_B, OWNER_A, ADMIN},
    "/rolle tildel x@aarhus.dk builder afdeling-a": {OWNER_A, ADMIN},
    "/rolle tildel x@aarhus.dk ejer afdeling-a": {ADMIN},
    "/rolle tildel x@aarhus.dk builder afdeling-b": {ADMIN},
    f"/rolle vis {BUILDER_A}": {OWNER_A, ADMIN, BUILDER_A},
    "/afdeling opret Ny afdeling": {ADMIN},
    "/specialister": set(USERS),
    "/glem": set(USERS),
}


@pytest.mark.parametrize("command", list(MATRIX), ids=list(MATRIX))
async def test_permission_matrix(org: Org, command: str) -> None:
    await org.specialist(BUILDER_A, "Guide A", publish=False)
    allowed = set()
    for user in USERS:
        # everyone who may edit points at guide-a (a refused /rediger leaves them without a target)
        await org.say(user, "/rediger guide-a")
        if command == "/afdeling opret Ny afdeling":
            command = f"/afdeling opret Ny afdeling {user}"
        reply = await org.say(user, command)
        if "kræver rollen" not in reply.text and "Vælg først en specialist" not in reply.text:
            allowed.add(user)
    assert allowed == MATRIX[command if command in MATRIX else "/afdeling opret Ny afdeling"]


async def test_refusals_name_the_role_needed(org: Org) -> None:
    assert "kræver rollen Builder" in (await org.say(EMPLOYEE, "/ny X")).text
    assert "kræver rollen administrator" in (await org.say(BUILDER_A, "/afdeling opret X")).text
    assert "kræver rollen administrator" in (await org.say(OWNER_A, "/rolle tildel x ejer afdeling-a")).text
    await org.specialist(BUILDER_A, "Guide A", publish=False)
    assert "kræver rollen faglig systemejer" in (await org.say(BUILDER_A, "/godkend guide-a")).text
    assert (
        "kræver rollen Builder i specialistens afdeling"
        in (await org.say(BUILDER_B, "/rediger guide-a")).text
    )


async def test_roles_are_listed_and_removed(org: Org) -> None:
    assert "Builder i Afdeling A" in (await org.say(BUILDER_A, "/rolle vis")).text
    assert "har ikke længere" in (await org.say(OWNER_A, f"/rolle fjern {BUILDER_A} builder afdeling-a")).text
    assert "kræver rollen Builder" in (await org.say(BUILDER_A, "/ny X")).text


# -- sharing ------------------------------------------------------------------------------------------
async def test_users_never_see_or_use_specialists_outside_their_sharing_level(org: Org) -> None:
    slugs = {
        "personal": await org.specialist(BUILDER_A, "Personlig", sharing="personlig"),
        "team": None,
        "department": await org.specialist(BUILDER_A, "Afdelingens", sharing="afdeling", approve_by=OWNER_A),
        "organisation": await org.specialist(BUILDER_A, "Alles", sharing="organisation", approve_by=OWNER_A),
        "draft": await org.specialist(BUILDER_A, "Kladde", publish=False),
    }
    team_channel = "19:team-a@thread.tacv2"
    await org.say(BUILDER_A, "/ny Teamets")
    await org.say(BUILDER_A, SCREEN.format(data="ingen"))
    await org.say(BUILDER_A, "/del team", conversation=f"{team_channel};messageid=9", kind="channel")
    await org.say(BUILDER_A, "/indstil beskrivelse Teamets egne regler.")
    await org.say(BUILDER_A, "/udgiv")
    slugs["team"] = "teamets"

    def visible(user: str, conversation: str | None = None) -> set[str]:
        roles = org.services.stores.roles.roles_of(user, user == ADMIN)
        from bot.governance import access

        return {
            s.slug
            for s in org.services.stores.specialists.catalogue()
            if access.can_use(roles, s, conversation or f"a:{user}")
        } - {"assistent"}

    assert visible(EMPLOYEE) == {"alles"}
    assert visible(MEMBER_A) == {"alles", "afdelingens"}
    assert visible(BUILDER_B) == {"alles"}
    assert visible(EMPLOYEE, f"{team_channel};messageid=77") == {"alles", "teamets"}
    assert visible(BUILDER_A) == set(slugs.values())  # the creator and department Builder sees all
    for slug in ("personlig", "afdelingens", "kladde", "teamets"):
        reply = await org.say(EMPLOYEE, f"/brug {slug}")
        assert "Nu svarer" not in reply.text
        listing = await org.say(EMPLOYEE, "/specialister")
        assert slug not in listing.text
    assert "Nu svarer" in (await org.say(MEMBER_A, "/brug afdelingens")).text


# -- screening, approval, publishing ----------------------------------------------------------------
async def test_publishing_needs_screening_and_approval_for_wide_sharing(org: Org) -> None:
    await org.say(BUILDER_A, "/ny Vejledning")
    assert "kan ikke udgives uden en screening" in (await org.say(BUILDER_A, "/udgiv")).text
    bad = await org.say(
        BUILDER_A, "/screening formål=x; data=måske; kilder=interne; hjemmel=y; dpia=nej; ansvarlig=z"
    )
    assert "Ukendt datakategori 'måske'" in bad.text
    assert "mangler" in (await org.say(BUILDER_A, "/screening formål=x; data=ingen")).text
    reply = await org.say(BUILDER_A, SCREEN.format(data="almindelige"))
    assert "klassificeret som **fortrolig**" in reply.text
    await org.say(BUILDER_A, "/del organisation")
    assert "skal først godkendes" in (await org.say(BUILDER_A, "/udgiv")).text
    assert "kræver rollen faglig systemejer" in (await org.say(BUILDER_B, "/godkend vejledning")).text
    assert "godkendt" in (await org.say(OWNER_A, "/godkend vejledning")).text
    undescribed = (await org.say(BUILDER_A, "/udgiv")).text
    assert "mangler en beskrivelse" in undescribed and "/indstil beskrivelse" in undescribed
    assert org.services.stores.specialists.require("vejledning").status == "draft"
    await org.say(BUILDER_A, "/indstil beskrivelse Vejledning om beboerlicens.")
    assert "er udgivet" in (await org.say(BUILDER_A, "/udgiv")).text
    # a new screening takes it back to draft and needs a new approval
    await org.say(BUILDER_A, SCREEN.format(data="cpr"))
    spec = org.services.stores.specialists.require("vejledning")
    assert (spec.status, spec.classification, spec.approved_at) == ("draft", "personfølsom", None)
    assert "skal først godkendes" in (await org.say(BUILDER_A, "/udgiv")).text


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("ingen", "intern"),
        ("almindelige", "fortrolig"),
        ("følsomme", "personfølsom"),
        ("cpr", "personfølsom"),
        ("almindelige,cpr", "personfølsom"),
    ],
)
async def test_screening_sets_the_classification(org: Org, data: str, expected: str) -> None:
    await org.say(BUILDER_A, "/ny Klassificeret")
    await org.say(BUILDER_A, SCREEN.format(data=data))
    assert org.services.stores.specialists.require("klassificeret").classification == expected


# -- model policy -------------------------------------------------------------------------------------
@pytest.fixture
async def models(tmp_path: Path):  # type: ignore[no-untyped-def]
    external = await RecordingModelServer(reply="Svar fra ekstern model om ⟦CPR-1⟧.").start()
    internal = await RecordingModelServer(reply="Svar fra intern model.").start()
    catalogue = write_catalogue(
        tmp_path / "models.yaml",
        {
            "id": "azure-gpt",
            "base_url": external.base_url,
            "model": "gpt",
            "max_classification": "offentlig",
            "max_retries": 0,
        },
        {
            "id": "mistral",
            "base_url": internal.base_url,
            "model": "mistral",
            "max_classification": "personfølsom",
            "max_retries": 0,
        },
        default="azure-gpt",
    )
    yield catalogue, external, internal
    await external.stop()
    await internal.stop()


async def _policy_org(
    make_services: Callable[..., Services], db_url: str, catalogue: Path, **kw: object
) -> Org:
    return await Org(make_services(database_url=db_url, admins=ADMIN, models_file=catalogue, **kw)).setup()


async def test_a_personfoelsom_specialist_never_reaches_the_external_model(
    make_services: Callable[..., Services],
    db_url: str,
    models,  # type: ignore[no-untyped-def]
) -> None:
    catalogue, external, internal = models
    org = await _policy_org(make_services, db_url, catalogue)
    slug = await org.specialist(BUILDER_A, "Sager", data="cpr", sharing="organisation", approve_by=OWNER_A)
    refused = await org.say(BUILDER_A, "/indstil model azure-gpt")  # the external model: refused at once
    assert refused.kind == "notice" and "ikke godkendt" in refused.text
    # chosen before a screening raised the classification: the router refuses it all the same
    spec = org.services.stores.specialists.require(slug)
    org.services.stores.specialists.update(spec.id, model_id="azure-gpt")  # type: ignore[arg-type]
    await org.say(EMPLOYEE, f"/brug {slug}")
    ok = await org.say(EMPLOYEE, "Hvad koster en beboerlicens?")
    assert ok.text.startswith("Svar fra intern model.\n\nKilder: [1] regler.md") and ok.model == "mistral"
    internal.status = 503  # the internal model is down: no fallback to the external one
    down = await org.say(EMPLOYEE, "Hvad koster en beboerlicens nu?")
    assert down.kind == "error" and "svarer ikke" in down.text
    assert external.requests == []
    with org.services.db.session() as s:
        rows = s.exec(select(Message).where(Message.specialist == slug).order_by(Message.id)).all()
    routes = [json.loads(r.route) for r in rows]
    assert routes[0]["refused"] == ["azure-gpt"] and routes[0]["chosen"] == "mistral"
    assert routes[1]["chosen"] is None and routes[1]["tried"] == [
        {"model": "mistral", "error": "ModelUnavailable"}
    ]
    assert [e.action for e in org.services.stores.audit.events(action="model.refused")]


async def test_a_public_specialist_falls_back_only_within_its_clearance(
    make_services: Callable[..., Services],
    db_url: str,
    models,  # type: ignore[no-untyped-def]
) -> None:
    catalogue, external, _internal = models
    org = await _policy_org(make_services, db_url, catalogue)
    await org.say(BUILDER_A, "/ny Offentlig")
    await org.say(
        BUILDER_A, "/screening formål=x; data=ingen; kilder=offentlige; hjemmel=y; dpia=nej; ansvarlig=z"
    )
    await org.services.stores.ingestor.ingest(
        org.services.stores.specialists.require("offentlig"),
        "a.md",
        b"# A\n\nBeboerlicensen koster 800 kr.",
        BUILDER_A,
    )
    await org.say(BUILDER_A, "/del organisation")
    await org.say(OWNER_A, "/godkend offentlig")
    await org.say(BUILDER_A, "/indstil beskrivelse Offentlige regler.")
    await org.say(BUILDER_A, "/udgiv")
    await org.say(EMPLOYEE, "/brug offentlig")
    first = await org.say(EMPLOYEE, "Hvad koster beboerlicensen?")
    assert first.model == "azure-gpt" and len(external.requests) == 1  # public data may go to the default
    external.status = 502
    second = await org.say(EMPLOYEE, "Hvad koster beboerlicensen nu?")
    assert second.model == "mistral"  # fell back to another model cleared for offentlig
    assert org.services.stores.audit.events(action="model.fallback")


@pytest.mark.parametrize("mode", ["redact", "block"])
async def test_cpr_numbers_never_reach_a_model_not_cleared_for_personal_data(
    make_services: Callable[..., Services],
    db_url: str,
    models,
    mode: str,  # type: ignore[no-untyped-def]
) -> None:
    catalogue, external, _internal = models
    org = await _policy_org(make_services, db_url, catalogue, pii_mode=mode)
    # the general assistant is "intern"; make the external model the one cleared for it
    org.services.stores.specialists.update(
        org.services.stores.specialists.general().id, classification="offentlig"
    )
    reply = await org.say(
        EMPLOYEE, "Borgeren med CPR 010203-1234 spørger om beboerlicens. Skriv 010203-1234."
    )
    sent = json.dumps(external.requests, ensure_ascii=False)
    assert "010203-1234" not in sent and "0102031234" not in sent
    if mode == "block":
        assert external.requests == [] and "personoplysninger (1 CPR-nummer)" in reply.text
        assert org.services.stores.audit.events(action="pii.blocked")
    else:
        assert "⟦CPR-1⟧" in sent
        assert reply.text == "Svar fra ekstern model om 010203-1234."  # restored for the user
        event = org.services.stores.audit.events(action="pii.redacted")[0]
        assert json.loads(event.details)["kinds"] == {"cpr": 1} and "010203" not in event.details


async def test_personal_data_to_a_specialist_screened_for_none_gets_a_warning(
    make_services: Callable[..., Services],
    db_url: str,
    models,  # type: ignore[no-untyped-def]
) -> None:
    catalogue, _external, internal = models
    org = await _policy_org(make_services, db_url, catalogue)
    slug = await org.specialist(BUILDER_A, "Regler", data="ingen", sharing="organisation", approve_by=OWNER_A)
    org.services.stores.specialists.update(
        org.services.stores.specialists.require(slug).id, model_id="mistral"
    )
    await org.say(EMPLOYEE, f"/brug {slug}")
    reply = await org.say(EMPLOYEE, "anne@example.dk: hvad koster beboerlicensen?")
    assert reply.text.startswith("⚠ Du har skrevet personoplysninger (1 e-mailadresse)")
    assert internal.requests and org.services.stores.audit.events(action="pii.warned")


async def test_tenant_outside_the_allow_list_is_refused(
    make_services: Callable[..., Services], db_url: str
) -> None:
    services = make_services(database_url=db_url, allowed_tenants="t1,t2")
    assert "Kommandoer" in (await services.dispatcher.handle(msg("/hjælp", EMPLOYEE, tenant="T1"))).text
    refused = await services.dispatcher.handle(msg("/hjælp", EMPLOYEE, tenant="fremmed"))
    assert refused.kind == "error" and "ikke åbnet for din organisation" in refused.text
    with services.db.session() as s:
        assert s.exec(select(Message)).all() == []


# -- audit, statistics, retention ---------------------------------------------------------------------
async def test_every_action_is_audited_without_message_text(org: Org) -> None:
    slug = await org.specialist(BUILDER_A, "Revideret", sharing="organisation", approve_by=OWNER_A)
    await org.say(BUILDER_A, "/prompt Ny prompt")
    await org.say(BUILDER_A, "/indstil top_k 3")
    await org.say(BUILDER_A, "/fjern regler.md")
    await org.say(EMPLOYEE, "/glem")
    actions = [e.action for e in org.services.stores.audit.events()]
    for expected in (
        "department.created",
        "role.assigned",
        "specialist.created",
        "screening.completed",
        "sharing.changed",
        "specialist.approved",
        "specialist.published",
        "prompt.changed",
        "setting.changed",
        "source.removed",
        "user.forgotten",
    ):
        assert expected in actions, expected
    assert all("Ny prompt" not in e.details for e in org.services.stores.audit.events())
    lines = list(org.services.stores.audit.export(None, "csv"))
    assert lines[0] == "id,at,actor,action,target,details" and len(lines) == len(actions) + 1
    first = json.loads(next(org.services.stores.audit.export(None, "jsonl")))
    assert first["action"] == "department.created" and first["actor"] == ADMIN
    assert slug


def _message(
    services: Services, user: str, days_ago: float, outcome: str = "answered", question: str = "spørgsmål"
) -> None:
    inc = msg(question, user)
    row = services.stores.conversations.record(
        inc.conversation, inc.user_key, inc.text, "svar", model=None, outcome=outcome, specialist="assistent"
    )
    with services.db.session() as s:
        stored = s.get(Message, row.id)
        assert stored is not None
        stored.created_at = datetime.now(UTC) - timedelta(days=days_ago)
        s.add(stored)
        s.commit()


async def test_purge_deletes_exactly_what_is_older_than_the_limit(
    make_services: Callable[..., Services], db_url: str
) -> None:
    services = make_services(database_url=db_url)
    for days in (0.5, 29.9, 30.1, 45):
        _message(services, "u1", days)
    deleted, _ = retention.purge(services.db, 30)
    with services.db.session() as s:
        left = sorted(
            round(
                (datetime.now(UTC) - m.created_at.replace(tzinfo=m.created_at.tzinfo or UTC)).total_seconds()
                / 86400,
                1,
            )
            for m in s.exec(select(Message)).all()
        )
    assert deleted == 2 and left == [0.5, 29.9]


async def test_forget_deletes_only_the_users_own_messages(
    make_services: Callable[..., Services], db_url: str
) -> None:
    services = make_services(database_url=db_url)
    _message(services, "anne", 1)
    _message(services, "anne", 2)
    _message(services, "bo", 1)
    reply = await services.dispatcher.handle(msg("/glem", "anne"))
    assert "Dine 2 beskeder" in reply.text
    with services.db.session() as s:
        assert [m.user_id for m in s.exec(select(Message)).all()] == ["bo"]
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "user.forgotten")).one()
    assert json.loads(event.details) == {"messages": 2}


async def test_statistics_count_returning_users_and_unanswered_questions(
    make_services: Callable[..., Services], db_url: str
) -> None:
    services = make_services(database_url=db_url)
    _message(services, "anne", 20)
    _message(services, "anne", 15)  # back after 5 days
    _message(services, "bo", 25)
    _message(services, "bo", 5)  # back after 20 days
    _message(services, "carl", 3, outcome="no_answer", question="Fiskekort?")
    _message(services, "carl", 3, outcome="no_answer", question="fiskekort? ")
    usage = stats.usage(services.db, None, 30)
    assert (usage.questions, usage.users, usage.returning_7, usage.returning_30) == (6, 3, 1, 2)
    assert usage.no_answer_share == pytest.approx(2 / 6) and usage.top_unanswered == [("fiskekort?", 2)]


# -- reads are scoped like writes (issue 20, finding 4) -----------------------------------------------
CPR_IN_QUESTION = "Hvad gælder for 010190-1234 om boligstøtte?"


def _asked(services: Services, user: str, specialist: str, question: str, outcome: str = "no_answer") -> None:
    inc = msg(question, user)
    services.stores.conversations.record(
        inc.conversation, inc.user_key, inc.text, "svar", model=None, outcome=outcome, specialist=specialist
    )


@pytest.mark.parametrize(
    ("user", "sees_a", "sees_b"),
    [
        (BUILDER_B, False, True),
        (BUILDER_A, True, False),
        (OWNER_A, True, False),
        (ADMIN, True, True),
        (MEMBER_A, None, None),
        (EMPLOYEE, None, None),
    ],
    ids=["builder of B", "builder of A", "owner of A", "administrator", "member of A", "employee"],
)
async def test_statistics_show_each_role_only_its_own_departments_questions_masked(
    org: Org, user: str, sees_a: bool | None, sees_b: bool | None
) -> None:
    a = await org.specialist(BUILDER_A, "Guide A", data="cpr")
    b = await org.specialist(BUILDER_B, "Guide B")
    _asked(org.services, EMPLOYEE, a, CPR_IN_QUESTION)
    _asked(org.services, EMPLOYEE, b, "Hvornår åbner genbrugspladsen?")
    reply = (await org.say(user, "/statistik")).text
    if sees_a is None:
        assert "kræver rollen" in reply and "boligstøtte" not in reply
        return
    assert ("boligstøtte" in reply) is sees_a
    assert ("genbrugspladsen" in reply) is sees_b
    assert "1234" not in reply and "010190" not in reply  # question texts are shown masked
    questions = int(sees_a) + int(sees_b)
    assert f"{questions} spørgsmål" in reply
    for slug, visible in ((a, sees_a), (b, sees_b)):
        named = (await org.say(user, f"/statistik {slug}")).text
        assert ("kræver rollen" in named) is not visible


async def test_statistics_by_the_service_are_scoped_for_every_door(org: Org) -> None:
    """The CLI and any other door call the same service: a Builder of B gets none of A's usage."""
    from bot.services import Actor

    a = await org.specialist(BUILDER_A, "Guide A", data="cpr")
    _asked(org.services, EMPLOYEE, a, CPR_IN_QUESTION)
    builder_b = Actor(BUILDER_B)
    name, usage = org.services.app.stats.usage(builder_b)
    assert name is None and usage.questions == 0 and usage.top_unanswered == []
    admin = Actor(ADMIN)
    _, everything = org.services.app.stats.usage(admin)
    assert everything.questions == 1
    [(question, count)] = everything.top_unanswered
    assert "[cpr]" in question and "1234" not in question and count == 1
