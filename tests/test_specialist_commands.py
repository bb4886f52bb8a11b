"""Every Builder command, allowed and refused, through the conversation core (no Teams needed)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bot.app import Services
from bot.conversation.types import ConversationRef, Incoming, IncomingFile, Reply, User
from bot.rag.errors import IngestError
from bot.rag.followup import INSTRUCTIONS
from tests.conftest import write_catalogue
from tests.support.openai_server import RecordingModelServer

CORPUS = Path(__file__).parent / "data" / "corpus"
BUILDER, EMPLOYEE = "aad-bo", "aad-eva"
PERSONAL = "a:personal-bo"


def msg(
    text: str,
    user: str = BUILDER,
    conversation: str = PERSONAL,
    kind: str = "personal",
    files: tuple[IncomingFile, ...] = (),
    unsupported: tuple[str, ...] = (),
) -> Incoming:
    return Incoming(
        text=text,
        user=User(id=f"29:{user}", name=user, aad_object_id=user),
        conversation=ConversationRef(id=conversation, type=kind),  # type: ignore[arg-type]
        files=files,
        unsupported_files=unsupported,
    )


def upload(name: str, data: bytes) -> IncomingFile:
    async def fetch(max_bytes: int) -> bytes:
        if len(data) > max_bytes:
            raise IngestError(name, "too_large", size_mb=len(data) / 2**20, limit_mb=max_bytes // 2**20)
        return data

    return IncomingFile(name=name, fetch=fetch)


@pytest.fixture
def services(make_services: Callable[..., Services]) -> Services:
    return make_services(admins=BUILDER)


async def publish(services: Services) -> None:
    """Describe, screen, share with everyone, approve and publish the specialist being edited (as
    administrator)."""
    for command in (
        "/indstil beskrivelse Svar ud fra testkilderne.",
        "/screening formål=test; data=ingen; kilder=interne; hjemmel=intern vejledning; dpia=nej; "
        "ansvarlig=Bo",
        "/del organisation",
    ):
        await say(services, command)
    spec = services.stores.specialists.editing(BUILDER)
    assert spec is not None
    assert "godkendt" in (await say(services, f"/godkend {spec.slug}")).text
    assert "er udgivet" in (await say(services, "/udgiv")).text


async def say(services: Services, text: str, **kw: object) -> Reply:
    return await services.dispatcher.handle(msg(text, **kw))  # type: ignore[arg-type]


BUILDER_COMMANDS = [
    "/ny Testguide",
    "/rediger testguide",
    "/prompt",
    "/prompt Ny prompt",
    "/prompt historik",
    "/prompt gendan 1",
    "/indstil top_k 3",
    "/kilder",
    "/fjern a.md",
    "/genindekser",
    "/new X",
    "/edit testguide",
    "/set top_k 3",
    "/sources",
    "/remove a.md",
    "/reindex",
]


@pytest.mark.parametrize("command", BUILDER_COMMANDS)
async def test_builder_commands_are_refused_for_employees(services: Services, command: str) -> None:
    await say(services, "/ny Testguide")
    reply = await say(services, command, user=EMPLOYEE)
    assert reply.kind == "notice" and "kræver rollen Builder" in reply.text
    assert [s.slug for s in services.stores.specialists.catalogue()] == ["assistent", "testguide"]


async def test_create_edit_prompt_versions_and_restore(services: Services) -> None:
    created = await say(services, "/ny Byggesagsguiden")
    assert "byggesagsguiden" in created.text and "kladde" in created.text
    shown = await say(services, "/prompt")
    assert "version 1" in shown.text and "Byggesagsguiden" in shown.text
    assert "version 2" in (await say(services, "/prompt Du svarer om byggetilladelser.")).text
    assert "version 3" in (await say(services, "/prompt Du svarer kort om carporte.")).text
    history = await say(services, "/prompt historik")
    assert history.text.index("v3") < history.text.index("v2") < history.text.index("v1")
    assert "version 4" in (await say(services, "/prompt gendan 2")).text
    current = services.stores.specialists.current_prompt(
        services.stores.specialists.require("byggesagsguiden").id
    )
    assert (current.version, current.text, current.note) == (
        4,
        "Du svarer om byggetilladelser.",
        "gendannet fra version 2",
    )
    assert "findes ikke" in (await say(services, "/prompt gendan 9")).text
    assert "versionsnummeret" in (await say(services, "/prompt gendan to")).text
    assert "allerede" in (await say(services, "/ny Byggesagsguiden")).text
    assert "Giv specialisten et navn" in (await say(services, "/ny")).text


async def test_prompt_and_settings_need_a_specialist_being_edited(services: Services) -> None:
    for command in ("/prompt", "/indstil top_k 3", "/kilder", "/fjern x", "/genindekser"):
        assert "/rediger" in (await say(services, command)).text
    assert "findes ikke" in (await say(services, "/rediger ukendt")).text
    assert "ingen kilder" in (await say(services, "/rediger assistent")).text


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("/indstil top_k 3", "top_k er sat til 3"),
        ("/indstil temperatur 0,4", "temperatur er sat til 0.4"),
        ("/indstil status udgivet", "Status ændres med /udgiv"),
        ("/indstil top_k 50", "intervallet 1–20"),
        ("/indstil top_k fem", "skal være et tal"),
        ("/indstil temperatur -1", "intervallet 0–2"),
        ("/indstil chunk_overlap 900", "chunk_overlap skal være mindre end chunk_size (800)"),
        ("/indstil farve blå", "Ukendt indstilling 'farve'. Tilladte: temperatur"),
        ("/indstil model gpt-9", "ingen sprogmodeller i modelkataloget"),  # not "Kendte modeller: ."
        ("/indstil status hemmelig", "status skal være en af: kladde, udgivet"),
        ("/indstil", "Indstillinger for"),
    ],
)
async def test_settings_are_validated(services: Services, command: str, expected: str) -> None:
    await say(services, "/ny Testguide")
    assert expected in (await say(services, command)).text


async def test_catalogue_and_use_respect_drafts(services: Services) -> None:
    await say(services, "/ny Kladdeguiden")
    await say(services, "/ny Udgivet Guide")
    await publish(services)
    employee = await say(services, "/specialister", user=EMPLOYEE, conversation="a:eva")
    assert "Udgivet Guide" in employee.text and "Kladdeguiden" not in employee.text
    assert employee.card and [i["slug"] for i in employee.card["items"]] == ["assistent", "udgivet-guide"]
    builder = await say(services, "/specialister")
    assert "Kladdeguiden" in builder.text and "kladde" in builder.text
    refused = await say(services, "/brug kladdeguiden", user=EMPLOYEE, conversation="a:eva")
    assert "kladde" in refused.text
    assert "findes ikke" in (await say(services, "/brug nope", user=EMPLOYEE)).text
    ok = await say(services, "/brug Udgivet Guide", user=EMPLOYEE, conversation="a:eva")
    assert "Nu svarer **Udgivet Guide**" in ok.text
    assert "svarer her" in (await say(services, "/specialister", user=EMPLOYEE, conversation="a:eva")).text


async def test_use_in_channels_per_thread_or_channel_wide(services: Services) -> None:
    await say(services, "/ny Kanalguide")
    await publish(services)
    channel = "19:abc@thread.tacv2"
    thread1, thread2 = f"{channel};messageid=1", f"{channel};messageid=2"
    selected = services.stores.specialists.selected
    reply = await say(services, "/brug kanalguide", conversation=thread1, kind="channel")
    assert "i denne tråd" in reply.text
    assert selected(thread1).slug == "kanalguide" and selected(thread2).slug == "assistent"
    reply = await say(services, "/brug kanalguide kanal", conversation=thread2, kind="channel")
    assert "hele kanalen" in reply.text
    assert selected(f"{channel};messageid=3").slug == "kanalguide"


async def test_upload_sources_list_remove_and_reindex(services: Services) -> None:
    await say(services, "/ny Personaleguide")
    notes: list[str] = []

    async def notify(text: str) -> None:
        notes.append(text)

    files = (
        upload("sygefravaer.md", (CORPUS / "sygefravaer.md").read_bytes()),
        upload("tom.pdf", b""),
        upload("rejser.md", (CORPUS / "rejser-og-udlaeg.md").read_bytes()),
    )
    reply = await services.dispatcher.handle(msg("", files=files), notify=notify)
    assert "✅ sygefravaer.md er tilføjet" in reply.text and "✅ rejser.md er tilføjet" in reply.text
    assert "❌ 'tom.pdf' blev ikke tilføjet: filen er tom" in reply.text
    assert notes[0].startswith("Indlæser sygefravaer.md")
    listing = await say(services, "/kilder")
    assert "sygefravaer.md (markdown)" in listing.text and "I alt 2 kilder" in listing.text
    spec = services.stores.specialists.require("personaleguide")
    before = sum(s.chunk_count for s in services.stores.specialists.sources(spec.id))
    await say(services, "/indstil chunk_size 300")
    assert "genindekseret: 2 kilder" in (await say(services, "/genindekser")).text
    after = sum(s.chunk_count for s in services.stores.specialists.sources(spec.id))
    assert after > before  # smaller chunks, read again from the stored files
    assert "fjernet" in (await say(services, "/fjern rejser.md")).text
    assert "findes ikke" in (await say(services, "/fjern rejser.md")).text
    assert "I alt 1 kilde og" in (await say(services, "/kilder")).text  # proper plural


async def test_uploads_are_refused_for_employees_without_an_edit_target_and_in_channels(
    services: Services,
) -> None:
    file = (upload("a.md", b"# A\n\ntekst"),)
    assert "Kun Buildere" in (await say(services, "", user=EMPLOYEE, files=file)).text
    assert "/rediger" in (await say(services, "", files=file)).text
    channel = await say(services, "", kind="channel", conversation="19:x;messageid=1", unsupported=("a.md",))
    assert "personlig chat" in channel.text and "a.md" in channel.text


async def _grounded(services: Services) -> None:
    await say(services, "/ny Regelguide")
    await publish(services)
    await services.dispatcher.handle(
        msg("", files=tuple(upload(p.name, p.read_bytes()) for p in sorted(CORPUS.glob("*.md"))))
    )
    await say(services, "/brug regelguide", user=EMPLOYEE, conversation="a:eva")


async def test_sources_only_mode_cites_passages_and_says_no_model_wrote_it(services: Services) -> None:
    await _grounded(services)
    reply = await say(
        services,
        "Hvor mange dage må jeg være syg, før jeg skal have en lægeerklæring?",
        user=EMPLOYEE,
        conversation="a:eva",
    )
    assert reply.text.startswith("Der er ikke forbundet nogen sprogmodel") and not reply.generated
    assert reply.citations and reply.citations[0].n == 1 and reply.citations[0].source == "sygefravaer.md"
    assert "[1] **sygefravaer.md" in reply.text


async def test_grounded_answer_numbers_passages_and_returns_citations(
    make_services: Callable[..., Services], tmp_path: Path, model_server: RecordingModelServer
) -> None:
    catalogue = write_catalogue(
        tmp_path / "m.yaml",
        {"id": "lokal", "base_url": model_server.base_url, "model": "lokal", "max_retries": 0},
    )
    services = make_services(admins=BUILDER, models_file=catalogue)
    await _grounded(services)
    model_server.reply = "Du skal melde dig syg før kl. 8 [1]."
    reply = await say(services, "Hvornår skal jeg sygemelde mig?", user=EMPLOYEE, conversation="a:eva")
    assert reply.generated and reply.model == "lokal" and reply.text == model_server.reply
    assert reply.citations and all(c.text for c in reply.citations)
    sent = model_server.requests[-1]["messages"]
    assert "Svar kun ud fra de nummererede kildeuddrag" in sent[0]["content"]
    assert "Regelguide" in sent[0]["content"]  # the specialist's own prompt
    user_turn = sent[-1]["content"]
    for c in reply.citations:
        assert f"[{c.n}] ({c.source}" in user_turn and c.text in user_turn
    assert user_turn.endswith("Spørgsmål: Hvornår skal jeg sygemelde mig?")

    calls = len(model_server.requests)
    nothing = await say(
        services, "Hvad koster et fiskekort til Brabrand Sø?", user=EMPLOYEE, conversation="a:eva"
    )
    assert "fandt ikke noget" in nothing.text and not nothing.citations
    # no model call to invent an answer: only the search's rewrite of a question asked after another
    later = model_server.requests[calls:]
    assert [r["messages"][0]["content"] for r in later] == [INSTRUCTIONS["da"]]


async def test_a_draft_selected_earlier_does_not_answer_employees(services: Services) -> None:
    await say(services, "/ny Hemmelig")
    services.stores.specialists.select("a:eva", services.stores.specialists.require("hemmelig").id, BUILDER)
    reply = await say(services, "Hej", user=EMPLOYEE, conversation="a:eva")
    assert "kladde" in reply.text
