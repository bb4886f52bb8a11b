"""Class 2 and 6: stored content never outranks its specialist, and a skill sync is all or nothing.

Everything a specialist holds is content (passage text, file names, titles, headings, table headers).
The cases are tables: where a CPR number sits × every transition that can change what a specialist
may hold (upload then screen, re-screen downward, publish, re-embed, re-index, skills sync, export,
the MCP listing of sources to an ``offentlig`` key). Each asserts on what is stored, what reached the
embedder or the caller, and what the audit says, never on wording alone.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx2
import pytest
import yaml
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from sqlmodel import select, update

from bot.app import Services
from bot.domain import AppError
from bot.governance import screening
from bot.services import Actor
from bot.skills import SkillError, export_skill, sync_skill
from bot.store.models import Chunk, Source, SourceFile, Specialist
from tests.redteam.conftest import ADMIN, BUILDER_A, CPR, SCREEN, Municipality, municipality

__all__ = ["municipality"]

DIGITS = CPR.replace("-", "")
CLEAN = "# Regler\n\nEt pas til en voksen koster 688 kr. Du bestiller tid i Borgerservice."

# Where a CPR number can sit in a source: (case, file name, bytes).
PLACES = [
    ("text", "sag.md", f"# Sag\n\nBorgeren har cpr {CPR} og får hjemmehjælp.".encode()),
    ("heading", "sag.md", f"# Sag {CPR}\n\nBorgeren får hjemmehjælp to gange om ugen.".encode()),
    (
        "title",
        "sag.html",
        f"<html><head><title>Sag {CPR}</title></head><body><h1>Hjemmehjælp</h1>"
        "<p>Borgeren får hjemmehjælp to gange om ugen.</p></body></html>".encode(),
    ),
    ("file name", f"{CPR} sag.md", b"# Sag\n\nBorgeren far hjemmehjaelp to gange om ugen."),
    (
        "table header",
        "sag.md",
        f"# Sag\n\n| Navn | {CPR} |\n|---|---|\n| Jens | hjemmehjælp |\n\nMere tekst om sagen.".encode(),
    ),
]
IDS = [p[0] for p in PLACES]


def holds(services: Services, slug: str) -> str:
    """Everything stored for a specialist: source names, titles, warnings, original bytes, passages
    and headings (as text, for a search)."""
    with services.db.session() as s:
        spec = s.exec(select(Specialist).where(Specialist.slug == slug)).one()
        sources = s.exec(select(Source).where(Source.specialist_id == spec.id)).all()
        parts = [f"{x.name} {x.title} {x.warnings}" for x in sources]
        for x in sources:
            data = s.get(SourceFile, x.id)
            parts.append(data.data.decode("utf-8", "replace") if data else "")
        parts += [
            f"{c.heading} {c.text}" for c in s.exec(select(Chunk).where(Chunk.specialist_id == spec.id))
        ]
    return "\n".join(parts)


def carries_cpr(text: str) -> bool:
    return "010190" in text or DIGITS in text.replace("-", "").replace(" ", "")


def spec_of(services: Services, slug: str) -> Specialist:
    found = services.app.specialists.lookup(Actor(ADMIN), slug)
    assert found is not None
    return found


async def upload_unscreened(town: Municipality, name: str, data: bytes, title: str = "Sager") -> str:
    """``/ny`` → ``/fil``: a new specialist (unscreened, so ``personfølsom``) keeps what it is given."""
    app, who = town.services.app, Actor(BUILDER_A)
    spec = app.specialists.create(who, title, description="Svarer om sager.")  # publishing asks for one
    outcome = await app.sources.add(who, spec, name, data)
    assert type(outcome).__name__ == "Added", outcome
    return spec.slug


async def legacy(town: Municipality, name: str = "sag.md", data: bytes = PLACES[0][2]) -> str:
    """What the old code left behind after ``/ny`` → ``/fil`` → ``/screening data=ingen``: an ``intern``
    specialist that still holds a CPR number (the screening saved without looking at the sources)."""
    slug = await upload_unscreened(town, name, data)
    services = town.services
    spec = spec_of(services, slug)
    answers = screening.parse(SCREEN.format(data="ingen"))
    screening.save(services.db, services.stores.specialists, spec, answers, BUILDER_A)
    assert spec_of(services, slug).classification == "intern" and carries_cpr(holds(services, slug))
    return slug


def pii_audit(services: Services) -> list[dict[str, Any]]:
    return [json.loads(e.details) for e in services.stores.audit.events(action="source.pii_found")]


# -- upload first, screen afterwards (the README's own order) -------------------------------------
@pytest.mark.parametrize(("case", "name", "data"), PLACES, ids=IDS)
async def test_screening_down_is_refused_while_a_source_holds_a_cpr_number(
    municipality: Municipality, case: str, name: str, data: bytes
) -> None:
    slug = await upload_unscreened(municipality, name, data)
    before = holds(municipality.services, slug)
    reply = await municipality.say(BUILDER_A, "/screening " + SCREEN.format(data="ingen"))
    assert "CPR-nummer" in reply.text and "Intet er ændret" in reply.text, reply.text
    assert not carries_cpr(reply.text)  # the refusal names the source without the number
    spec = spec_of(municipality.services, slug)
    assert spec.classification == "personfølsom"  # nothing changed: not even the screening
    assert screening.of(municipality.services.db, spec.id) is None
    assert holds(municipality.services, slug) == before
    refused = [d for d in pii_audit(municipality.services) if d.get("action") == "refused"]
    assert refused and refused[-1]["transition"] == "screening" and refused[-1]["kinds"]["cpr"] == 1


@pytest.mark.parametrize(("case", "name", "data"), PLACES, ids=IDS)
async def test_screening_down_with_skjul_removes_the_number_everywhere_it_is_stored(
    municipality: Municipality, case: str, name: str, data: bytes
) -> None:
    slug = await upload_unscreened(municipality, name, data)
    await municipality.say(BUILDER_A, "/indstil cpr_i_kilder skjul")
    reply = await municipality.say(BUILDER_A, "/screening " + SCREEN.format(data="ingen"))
    services = municipality.services
    spec = spec_of(services, slug)
    assert spec.classification == "intern", reply.text
    stored = holds(services, slug)
    assert not carries_cpr(stored), stored
    assert "hjemmehjælp" in stored or "hjemmehjaelp" in stored  # the rest is still there
    hits = services.stores.retriever.search(
        spec, "hjemmehjælp to gange om ugen", 5, mode="lexical", gate=False
    )
    assert hits and not any(carries_cpr(f"{h.source} {h.heading} {h.text}") for h in hits)  # index rebuilt
    redacted = [d for d in pii_audit(services) if d.get("action") == "redacted"]
    assert redacted[-1]["transition"] == "screening" and not carries_cpr(json.dumps(redacted))


async def test_re_screening_a_published_specialist_downward_is_refused_and_it_stays_live(
    municipality: Municipality,
) -> None:
    slug = await municipality.specialist("Sager", PLACES[0][2].decode(), data="cpr", model="intern")
    app = municipality.services.app
    with pytest.raises(AppError) as refused:
        app.publishing.screen(Actor(BUILDER_A), SCREEN.format(data="ingen"), slug)
    assert refused.value.key == "content_outranks" and "kilde.md" in refused.value.render()
    spec = spec_of(municipality.services, slug)
    assert (spec.classification, spec.status) == ("personfølsom", "published")
    assert spec.approved_by == ADMIN  # the approval was not withdrawn by a change that did not happen


# -- the other transitions, on what an old screening left behind ----------------------------------
async def _publish(town: Municipality, slug: str, tmp: Path) -> None:
    town.services.app.publishing.publish(Actor(BUILDER_A), slug)


async def _publish_forced(town: Municipality, slug: str, tmp: Path) -> None:
    town.services.app.publishing.publish(Actor(ADMIN), slug, force_reason="nu")


async def _export(town: Municipality, slug: str, tmp: Path) -> None:
    export_skill(Actor(BUILDER_A), slug, tmp / "ud", town.services.app)


async def _reindex(town: Municipality, slug: str, tmp: Path) -> None:
    await town.services.app.sources.reindex(Actor(BUILDER_A), slug)


async def _reembed(town: Municipality, slug: str, tmp: Path) -> None:
    with town.services.db.session() as s:  # embedded by another model: it must be embedded again
        s.exec(update(Source).values(embedding_model="en-anden-model"))  # type: ignore[call-overload]
        s.commit()
    await town.services.app.sources.reembed(Actor(BUILDER_A), slug)


async def _skills_sync(town: Municipality, slug: str, tmp: Path) -> None:
    """The specialist's own skill folder (same source bytes, so the old sync skipped them) with a new
    prompt."""
    folder = tmp / "skills" / slug
    (folder / "kilder").mkdir(parents=True)
    (folder / "kilder" / "sag.md").write_bytes(PLACES[0][2])
    redact = spec_of(town.services, slug).source_cpr == "redact"
    skill = {
        "slug": slug,
        "name": "Sager",
        "department": "Afdeling A",
        "prompt": "En ny prompt.",
        "status": "draft",
        **({"settings": {"cpr_i_kilder": "skjul"}} if redact else {}),
        "sharing": "personal",
        "screening": _screening_block("ingen"),
        "sources": ["kilder/sag.md"],
    }
    (folder / "skill.yaml").write_text(yaml.safe_dump(skill, allow_unicode=True), encoding="utf-8")
    await sync_skill(folder, town.services.app)


TRANSITIONS: list[tuple[str, Callable[[Municipality, str, Path], Any]]] = [
    ("publish", _publish),
    ("publish --force", _publish_forced),
    ("skills export", _export),
    ("reindex", _reindex),
    ("re-embed", _reembed),
    ("skills sync", _skills_sync),
]


@pytest.mark.parametrize(("transition", "act"), TRANSITIONS, ids=[t[0] for t in TRANSITIONS])
async def test_every_transition_refuses_content_that_outranks_the_specialist(
    municipality: Municipality,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    transition: str,
    act: Callable[[Municipality, str, Path], Any],
) -> None:
    slug = await legacy(municipality)
    services = municipality.services
    embedded: list[str] = []
    embedder = services.stores.retriever.embedder
    real = embedder.encode_passages
    monkeypatch.setattr(
        embedder, "encode_passages", lambda texts, *a: (embedded.extend(texts), real(texts))[1]
    )
    prompt = services.app.specialists.prompt(Actor(BUILDER_A), slug)[1].text
    with pytest.raises((AppError, SkillError)) as refused:
        await act(municipality, slug, tmp_path)
    message = refused.value.render() if isinstance(refused.value, AppError) else str(refused.value)
    assert "CPR-nummer" in message and "sag.md" in message, message
    spec = spec_of(services, slug)
    assert spec.status == "draft"
    assert services.app.specialists.prompt(Actor(BUILDER_A), slug)[1].text == prompt
    assert not any(carries_cpr(t) for t in embedded)  # nothing was embedded again with the number
    assert not (tmp_path / "ud" / slug).exists()  # nothing exported


@pytest.mark.parametrize(("transition", "act"), TRANSITIONS, ids=[t[0] for t in TRANSITIONS])
async def test_every_transition_under_skjul_removes_the_number_first(
    municipality: Municipality, tmp_path: Path, transition: str, act: Callable[[Municipality, str, Path], Any]
) -> None:
    slug = await legacy(municipality)
    services = municipality.services
    services.app.specialists.update_settings(Actor(BUILDER_A), {"source_cpr": "redact"}, slug)
    try:
        await act(municipality, slug, tmp_path)
    except SkillError:
        pytest.fail("a sync under skjul is not refused")
    assert not carries_cpr(holds(services, slug))
    exported = tmp_path / "ud" / slug
    if exported.exists():
        assert not any(
            carries_cpr(p.read_text("utf-8", "replace")) for p in exported.rglob("*") if p.is_file()
        )


# -- the MCP listing of sources to an offentlig key ----------------------------------------------
@asynccontextmanager
async def mcp(base: str, key: str) -> AsyncIterator[ClientSession]:
    async with (
        httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=30) as http,
        streamable_http_client(f"{base}/mcp", http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


@pytest.mark.parametrize("policy", ["afvis", "skjul"])
async def test_a_cpr_number_in_a_file_name_never_reaches_an_offentlig_key(
    municipality: Municipality, policy: str
) -> None:
    slug = await municipality.specialist("Pas", CLEAN, public=True)
    app, who = municipality.services.app, Actor(BUILDER_A)
    app.specialists.configure(who, "cpr_i_kilder", policy, slug)
    spec = spec_of(municipality.services, slug)
    outcome = await app.sources.add(who, spec, f"{CPR} pas.md", b"# Pas\n\nEt pas til et barn koster 200 kr.")
    if policy == "afvis":
        assert type(outcome).__name__ == "Refused"
        assert not carries_cpr(outcome.error.message())  # type: ignore[union-attr]
    else:
        assert outcome.result.source == "[CPR fjernet] pas.md"  # type: ignore[union-attr]
    key = app.integrations.create_key(Actor(ADMIN), "offentlig", [slug], "offentlig").secret
    async with mcp(municipality.base, key) as session:
        listing = (await session.read_resource(f"specialist://{slug}/sources")).contents[0].text  # type: ignore[union-attr]
        found = await session.call_tool(
            "search_sources", {"specialist": slug, "query": "pas barn 200 kr", "k": 5}
        )
    assert "kilde.md" in listing and not carries_cpr(listing), listing
    assert not carries_cpr(json.dumps(found.structured_content))
    assert not carries_cpr(json.dumps([e.details for e in municipality.services.stores.audit.events()]))


# -- a skill sync is all or nothing ---------------------------------------------------------------
def _screening_block(data: str) -> dict[str, Any]:
    return {
        "purpose": "vejledning",
        "data": [data],
        "sources": "interne",
        "legal_basis": "intern vejledning",
        "dpia": False,
        "responsible": "Bo",
    }


def _write_skill(folder: Path, slug: str, source: str, data: str, extra: dict[str, bytes]) -> None:
    (folder / "kilder").mkdir(parents=True)
    (folder / "kilder" / "kilde.md").write_text(source, encoding="utf-8")
    for name, body in extra.items():
        (folder / "kilder" / name).write_bytes(body)
    skill = {
        "slug": slug,
        "name": slug.capitalize(),
        "department": "Afdeling A",
        "prompt": "En helt ny prompt fra skill-filen.",
        "description": "En skill til test.",
        "status": "published",
        "settings": {"temperature": 0.9, "top_k": 9},
        "sharing": "organisation",
        "screening": _screening_block(data),
        "approved_by": ADMIN,
        "sources": ["kilder/kilde.md", *(f"kilder/{n}" for n in extra)],
    }
    (folder / "skill.yaml").write_text(yaml.safe_dump(skill, allow_unicode=True), encoding="utf-8")


SAGER = PLACES[0][2].decode()
REFUSALS = [
    # (case, screened data before, its source, screening in the file, new files)
    ("a new source is refused", "ingen", CLEAN, "ingen", {"ny.md": PLACES[0][2]}),
    ("the screening goes below an unchanged source", "cpr", SAGER, "ingen", {}),
]


@pytest.mark.parametrize(
    ("case", "before", "source", "after", "extra"), REFUSALS, ids=[r[0] for r in REFUSALS]
)
async def test_a_refused_sync_leaves_the_published_specialist_exactly_as_it_was(
    municipality: Municipality,
    tmp_path: Path,
    case: str,
    before: str,
    source: str,
    after: str,
    extra: dict[str, bytes],
) -> None:
    slug = await municipality.specialist("Regler", source, data=before, model="intern")
    services = municipality.services
    with services.db.session() as s:
        row_before = s.exec(select(Specialist).where(Specialist.slug == slug)).one().model_dump()
        audit_before = len(services.stores.audit.events())
    prompt = services.app.specialists.prompt(Actor(BUILDER_A), slug)[1]
    stored = holds(services, slug)
    folder = tmp_path / "skills" / slug
    _write_skill(folder, slug, source, after, extra)
    with pytest.raises(SkillError) as refused:
        await sync_skill(folder, services.app)
    assert "CPR-nummer" in str(refused.value), refused.value
    with services.db.session() as s:
        assert s.exec(select(Specialist).where(Specialist.slug == slug)).one().model_dump() == row_before
    now = services.app.specialists.prompt(Actor(BUILDER_A), slug)[1]
    assert (now.version, now.text) == (prompt.version, prompt.text)
    assert holds(services, slug) == stored
    changes = [
        e.action
        for e in services.stores.audit.events()[audit_before:]
        if e.action not in ("source.refused", "source.pii_found")
    ]
    assert changes == []  # only the refusal is on record


async def test_cpr_i_kilder_can_be_written_in_a_skill_file(
    municipality: Municipality, tmp_path: Path
) -> None:
    folder = tmp_path / "skills" / "sager"
    _write_skill(folder, "sager", CLEAN, "ingen", {"sag.md": PLACES[0][2]})
    skill = yaml.safe_load((folder / "skill.yaml").read_text(encoding="utf-8"))
    skill["settings"]["cpr_i_kilder"] = "skjul"
    (folder / "skill.yaml").write_text(yaml.safe_dump(skill, allow_unicode=True), encoding="utf-8")
    report = await sync_skill(folder, municipality.services.app)
    spec = spec_of(municipality.services, "sager")
    assert spec.source_cpr == "redact" and spec.status == "published", report
    assert not carries_cpr(holds(municipality.services, "sager"))


async def test_export_then_sync_into_a_fresh_database_gives_identical_settings(
    municipality: Municipality, tmp_path: Path, make_services: Callable[..., Services]
) -> None:
    slug = await municipality.specialist("Regler", CLEAN, data="almindelige", model="intern")
    app, who = municipality.services.app, Actor(BUILDER_A)
    for key, value in (
        ("temperatur", "0,7"),
        ("top_k", "7"),
        ("chunk_overlap", "60"),
        ("chunk_size", "600"),
        ("beskrivelse", "Regler om pas"),
        ("cpr_i_kilder", "skjul"),
    ):
        app.specialists.configure(who, key, value, slug)
    app.specialists.set_prompt(who, "Svar kort om pas.", slug)
    app.publishing.share(who, "afdeling", slug)
    app.publishing.approve(Actor(ADMIN), slug)
    app.publishing.publish(who, slug)
    out = export_skill(who, slug, tmp_path / "ud", app)

    catalogue = tmp_path / "models.yaml"
    fresh = make_services(
        database_url=f"sqlite:///{tmp_path / 'fresh.db'}",
        index_dir=tmp_path / "fresh-indexes",
        admins=ADMIN,
        models_file=catalogue,
    )
    report = await sync_skill(out, fresh.app)
    assert report.not_published is None, report

    screening_fields = "purpose data_categories public_sources legal_basis dpia_needed responsible"

    def settings(services: Services) -> dict[str, Any]:
        spec = spec_of(services, slug)
        row = screening.of(services.db, spec.id)
        assert row is not None
        fields = (
            "name description department model_id temperature top_k chunk_size chunk_overlap status "
            "sharing shared_with classification source_cpr approved_by"
        ).split()
        return {
            **{f: getattr(spec, f) for f in fields},
            "screening": [getattr(row, f) for f in screening_fields.split()],
            "prompt": services.app.specialists.prompt(Actor(ADMIN), slug)[1].text,
            "sources": sorted(s.name for s in services.app.sources.list(Actor(ADMIN), slug)[1]),
        }

    assert settings(fresh) == settings(municipality.services)
    shutil.rmtree(out)
