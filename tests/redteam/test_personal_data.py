"""Finding 1: personal data inside sources, prompts and history never reaches a model that is not
cleared for it; a source with CPR numbers for a specialist screened as seeing none is refused (or,
by the Builder's explicit choice, stored with them removed), and the finding is always audited."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from bot.domain import AppError
from bot.governance import screening
from bot.services import Actor
from bot.services.sources import Refused
from bot.store.models import Chunk, SourceFile
from tests.redteam.conftest import ADMIN, BUILDER_A, CPR, EMPLOYEE, SCREEN, Municipality

PERSONAL = (
    f"Borgeren har CPR-nummer {CPR}, telefon 20 30 40 50, e-mail anne@example.dk og kontonummer "
    "1234 1234567890. Beboerlicensen koster 800 kr. om året."
)
VALUES = (CPR, "20 30 40 50", "anne@example.dk", "1234567890")
PUBLIC_SCREEN = SCREEN.replace("kilder=interne", "kilder=offentlige")


async def _public_specialist_with_personal_source(town: Municipality) -> str:
    """Sources added before the screening said "no personal data", then screened as public. The
    services now refuse that screening (tests/redteam/test_classification.py), but a database from
    before holds such specialists: the screening and publishing are written as it has them, and the
    router must still guard what they send."""
    app, builder = town.services.app, Actor(BUILDER_A)
    spec = app.specialists.create(builder, "Beboerlicens")
    assert type(
        await app.sources.add(builder, spec, "regler.md", f"# Regler\n\n{PERSONAL}".encode())
    ).__name__ == ("Added")
    answers = screening.parse(PUBLIC_SCREEN.format(data="ingen"))
    screening.save(town.services.db, town.services.stores.specialists, spec, answers, BUILDER_A)
    app.publishing.share(builder, "organisation", spec.slug)
    app.publishing.approve(Actor(ADMIN), spec.slug)
    town.services.stores.specialists.update(spec.id, status="published")  # type: ignore[arg-type]
    await town.say(EMPLOYEE, f"/brug {spec.slug}")
    return spec.slug


async def test_personal_data_in_passages_never_reaches_an_uncleared_model(municipality: Municipality) -> None:
    await _public_specialist_with_personal_source(municipality)
    reply = await municipality.say(EMPLOYEE, "Hvad koster beboerlicensen om året?")
    assert reply.kind == "answer" and reply.model == "ekstern"
    sent = municipality.sent_to(municipality.external)
    assert "Beboerlicensen koster 800 kr." in sent  # the passage went, its personal data did not
    for value in VALUES:
        assert value not in sent, value
    assert "⟦CPR-1⟧" in sent and "⟦TLF-1⟧" in sent and "⟦EMAIL-1⟧" in sent
    assert municipality.internal.requests == []
    events = municipality.services.stores.audit.events(action="pii.redacted")
    assert json.loads(events[-1].details)["found_in"] == "payload"


async def test_block_mode_refuses_instead_of_sending(make_services, municipality: Municipality) -> None:  # type: ignore[no-untyped-def]
    municipality.services.router.pii_mode = "block"
    await _public_specialist_with_personal_source(municipality)
    reply = await municipality.say(EMPLOYEE, "Hvad koster beboerlicensen om året?")
    assert reply.kind == "notice" and "personoplysninger (1 CPR-nummer" in reply.text
    assert municipality.external.requests == [] and municipality.internal.requests == []


async def test_personal_data_in_the_prompt_and_the_history_is_guarded(municipality: Municipality) -> None:
    slug = await _public_specialist_with_personal_source(municipality)
    app, stores = municipality.services.app, municipality.services.stores
    prompt = f"Kontakt sagsbehandler på 87 65 43 21 ved tvivl. Sag: {CPR}."
    with pytest.raises(AppError):  # the services refuse it now (tests/redteam/test_specialist_fields.py)...
        app.specialists.set_prompt(Actor(BUILDER_A), prompt, slug)
    # ...but a database from before may hold such a prompt, and the router must still guard it
    stores.specialists.set_prompt(stores.specialists.require(slug).id, prompt, BUILDER_A)  # type: ignore[arg-type]
    municipality.external.reply = "Ring til ⟦TLF-1⟧ om ⟦CPR-1⟧ [1]."
    first = await municipality.say(EMPLOYEE, "Hvad koster beboerlicensen om året?")
    assert "87 65 43 21" in first.text  # restored for the user
    await municipality.say(EMPLOYEE, "Og hvad koster beboerlicensen om året?")
    for request in municipality.external.requests:
        text = json.dumps(request, ensure_ascii=False)
        assert "87 65 43 21" not in text and CPR not in text
    second_history = [m["content"] for m in municipality.external.requests[-1]["messages"]]
    assert any("⟦TLF-" in m for m in second_history[1:-1])  # the earlier answer, redacted


async def test_a_cpr_source_for_a_no_personal_data_specialist_is_refused_and_audited(
    municipality: Municipality,
) -> None:
    app, builder = municipality.services.app, Actor(BUILDER_A)
    spec = app.specialists.create(builder, "Vejledning")
    app.publishing.screen(builder, SCREEN.format(data="ingen"), spec.slug)
    outcome = await app.sources.add(builder, spec, "borger.md", PERSONAL.encode())
    assert isinstance(outcome, Refused)
    message = outcome.error.message("da")
    assert "'borger.md' blev ikke tilføjet" in message and "1 CPR-nummer" in message
    assert app.sources.list(builder, spec.slug)[1] == []
    finding = municipality.services.stores.audit.events(action="source.pii_found")[-1]
    details = json.loads(finding.details)
    assert (
        details["action"] == "refused" and details["kinds"]["cpr"] == 1 and details["source"] == "borger.md"
    )


async def test_the_builder_may_choose_to_store_it_with_the_numbers_removed(
    municipality: Municipality,
) -> None:
    services = municipality.services
    await municipality.say(BUILDER_A, "/ny Vejledning")
    await municipality.say(BUILDER_A, "/screening " + SCREEN.format(data="ingen"))
    assert (
        "cpr_i_kilder er sat til skjul"
        in (await municipality.say(BUILDER_A, "/indstil cpr_i_kilder skjul")).text
    )
    spec = services.stores.specialists.require("vejledning")
    outcome = await services.app.sources.add(Actor(BUILDER_A), spec, "borger.md", PERSONAL.encode())
    assert type(outcome).__name__ == "Added"
    with services.db.session() as s:
        stored = " ".join(c.text for c in s.exec(select(Chunk).where(Chunk.specialist_id == spec.id)).all())
        files = [f.data for f in s.exec(select(SourceFile)).all()]
    assert CPR not in stored and "[CPR fjernet]" in stored
    assert all(CPR.encode() not in data for data in files)  # the original file is not kept either
    details = json.loads(services.stores.audit.events(action="source.pii_found")[-1].details)
    assert details["action"] == "redacted"
    listing = (await municipality.say(BUILDER_A, "/kilder")).text
    assert "CPR-nummer er fjernet" in listing
    assert "genindekseret" in (await municipality.say(BUILDER_A, "/genindekser")).text  # a text source now


async def test_other_personal_data_is_kept_with_a_warning_and_audited(municipality: Municipality) -> None:
    app, builder = municipality.services.app, Actor(BUILDER_A)
    spec = app.specialists.create(builder, "Kontakter")
    app.publishing.screen(builder, SCREEN.format(data="ingen"), spec.slug)
    outcome = await app.sources.add(builder, spec, "kontakt.md", b"Skriv til anne@example.dk om licenser.")
    assert type(outcome).__name__ == "Added"
    assert any("1 e-mailadresse" in str(w) for w in outcome.result.warnings)  # type: ignore[union-attr]
    details = json.loads(municipality.services.stores.audit.events(action="source.pii_found")[-1].details)
    assert details == {"source": "kontakt.md", "kinds": {"email": 1}, "action": "kept"}


async def test_a_cpr_number_in_a_heading_title_or_table_header_is_found_too(
    municipality: Municipality,
) -> None:
    """Headings, table headers and the file's title are embedded, cited and listed like its text: a
    CPR number hidden there (and nowhere in the body) is refused like one in the body."""
    from tests.support import documents

    app, builder = municipality.services.app, Actor(BUILDER_A)
    spec = app.specialists.create(builder, "Vejledning")
    app.publishing.screen(builder, SCREEN.format(data="ingen"), spec.slug)
    files = {
        "overskrift.md": f"# Sag om {CPR}\n\nBeboerlicensen koster 800 kr.".encode(),
        "titel.docx": documents.docx([("p", "Beboerlicensen koster 800 kr.")], title=f"Sag {CPR}"),
        "tabel.docx": documents.docx([("table", [["Navn", CPR], ["Licens", "800 kr."]])]),
    }
    for name, data in files.items():
        outcome = await app.sources.add(builder, spec, name, data)
        assert isinstance(outcome, Refused), name
        assert "1 CPR-nummer" in outcome.error.message("da"), name
    assert app.sources.list(builder, spec.slug)[1] == []


async def test_redaction_reaches_headings_and_table_headers(municipality: Municipality) -> None:
    services = municipality.services
    await municipality.say(BUILDER_A, "/ny Vejledning")
    await municipality.say(BUILDER_A, "/screening " + SCREEN.format(data="ingen"))
    await municipality.say(BUILDER_A, "/indstil cpr_i_kilder skjul")
    spec = services.stores.specialists.require("vejledning")
    data = f"# Sag om {CPR}\n\n| Navn | {CPR} |\n|---|---|\n| Licens | 800 kr. |\n".encode()
    assert type(await services.app.sources.add(Actor(BUILDER_A), spec, "sag.md", data)).__name__ == "Added"
    with services.db.session() as s:
        chunks = s.exec(select(Chunk).where(Chunk.specialist_id == spec.id)).all()
        files = [f.data for f in s.exec(select(SourceFile)).all()]
    stored = " ".join(f"{c.heading} {c.text}" for c in chunks)
    assert CPR not in stored and "[CPR fjernet]" in stored and "800 kr." in stored
    assert all(CPR.encode() not in f for f in files)
