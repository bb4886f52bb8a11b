"""An independent red-team round against issue 21's claims, with cases the authors' generators and
tables do not produce. Each case asserts on what reached a recording model server, an HTTP door's
answer or an independent CommonMark/GFM reading of the output, never on log text.

Cases that are defended are ordinary tests. Cases that got through are ``xfail(strict=True)`` with the
finding as the reason: the suite stays green until the fix lands, and then the strict xfail fails, so
the mark must be removed and the case becomes a guard.

Classes:

1. personal data to endpoints not cleared for it: disguises of values (Markdown inside an e-mail
   address, spaces around "@", phone and account forms, dash look-alikes, a CPR number on lines of its
   own, a value split across ``/v1`` content parts), checked at the router's gates (chat, embeddings,
   rerank) on the ``offentlig`` recording server;
2. stored content outranking its specialist: a CPR number in what a specialist holds besides its
   sources (its name, its description), and a disguised one in a source;
3. answers made safe on a parse tree: links a GFM client or ``linkify`` makes from text (fuzzy domains,
   e-mail addresses, ``mailto:``/``xmpp:``), a restored e-mail address turned into a ``mailto:`` link,
   Markdown served unsanitised at ``/mcp`` resources, and 50 KB inputs against the sanitiser's cost;
4. robust bodies: odd but valid JSON at every door (a BOM, a 40-digit ``k`` for ``search_sources``,
   escaped NUL in keys and ids, top-level non-objects).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import httpx2
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from sqlmodel import col, select

from bench.adversarial import markdown_inputs
from bot.llm import ModelRouter
from bot.llm.output import LinkPolicy, sanitise
from bot.llm.pii import Redactor
from bot.services import Actor
from bot.store.models import Message
from tests.redteam.conftest import ADMIN, BUILDER_A, Municipality, municipality
from tests.redteam.test_bodies import PAS, Doors, doors
from tests.redteam.test_egress import Endpoints, _every_endpoint, endpoints, everything, router
from tests.redteam.test_markdown_safety import ALLOWED, Shown, assert_safe, opens_allowed

__all__ = ["doors", "endpoints", "municipality", "router"]  # fixtures, imported for this module

CPR_DIGITS = "0102031234"  # 01-02-03, serial 1234: a real date (1903)


# =================================================================================================
# Class 1: personal data to an endpoint not cleared for it
# =================================================================================================
def _digits(text: str) -> str:
    out = []
    for ch in unicodedata.normalize("NFKC", text):
        if ch.isdecimal():
            out.append(str(unicodedata.decimal(ch)))
    return "".join(out)


def _reached(kind: str, core: str, texts: list[str]) -> bool:
    """Did ``core`` reach a server in a form a reader (or a model) recognises?"""
    for text in texts:
        if kind == "email":
            seen = re.sub(r"[\s\\*`]", "", unicodedata.normalize("NFKC", text)).lower().replace("。", ".")
            if core in seen:
                return True
        elif kind == "iban":
            if core in re.sub(r"[^0-9A-Za-z]", "", text).upper():
                return True
        elif core in _digits(text):
            return True
    return False


def _leak(why: str) -> Any:
    return pytest.mark.xfail(strict=True, reason=why)


# (kind, text as a source or a question holds it, what must not arrive)
EGRESS = [
    # --- defended: disguises beyond the generators that the reading does handle ---
    pytest.param("cpr", "Borgeren 01\u030202\u030303-1234 ringede.", CPR_DIGITS, id="cpr-combining-marks"),
    pytest.param("cpr", "Borgeren 010203\u00ad1234 ringede.", CPR_DIGITS, id="cpr-soft-hyphen-as-dash"),
    pytest.param("cpr", "Borgeren 010203_1234 ringede.", CPR_DIGITS, id="cpr-underscore"),
    pytest.param("cpr", "Borgeren 010203\\-1234 ringede.", CPR_DIGITS, id="cpr-markdown-escaped-dash"),
    pytest.param("cpr", "CPR: 0102\n03-1234", CPR_DIGITS, id="cpr-named-broken-mid-date"),
    pytest.param("cpr", "cpr: 010203\r\n-1234", CPR_DIGITS, id="cpr-crlf-before-dash"),
    pytest.param("cpr", "Borger\u200d 0102\u206003-1234", CPR_DIGITS, id="cpr-word-joiner"),
    pytest.param("cpr", "Nr. 010203 — 1234 i sagen", CPR_DIGITS, id="cpr-em-dash-spaced"),
    pytest.param("cpr", "Nr. 01-02-03 1234 i sagen", CPR_DIGITS, id="cpr-dashed-date-space-serial"),
    pytest.param("phone", "Ring (+45)87654321 i dag", "87654321", id="phone-parenthesised-country"),
    pytest.param("phone", "Ring +45 (0) 87654321 i dag", "87654321", id="phone-trunk-zero"),
    pytest.param("email", "Skriv til borger＠mail.dk i dag", "borger@mail.dk", id="email-fullwidth-at"),
    pytest.param("email", "Skriv til borger@mail．dk i dag", "borger@mail.dk", id="email-fullwidth-dot"),
    pytest.param("email", "Skriv til `borger@mail.dk` i dag", "borger@mail.dk", id="email-code-span"),
    pytest.param("email", "Skriv til borger_@_mail.dk", "borger@mail.dk", id="email-underscores-around-at"),
    pytest.param("iban", "IBAN dk5000400440116243 tak", "DK5000400440116243", id="iban-lowercase-no-spaces"),
    pytest.param("account", "Reg. nr.: 1234 Kontonummer: 1234567890", "1234567890", id="account-labelled"),
    # --- got through in the red-team round, defended since (bot.llm.reading, bot.llm.pii) ---
    pytest.param(
        "email",
        "Skriv til borger\\@mail.dk i dag",
        "borger@mail.dk",
        id="email-markdown-escaped-at",
    ),
    pytest.param(
        "email",
        "Skriv til borger@mail\\.dk i dag",
        "borger@mail.dk",
        id="email-markdown-escaped-dot",
    ),
    pytest.param(
        "email",
        "Skriv til **borger**@mail.dk i dag",
        "borger@mail.dk",
        id="email-emphasis-inside",
    ),
    pytest.param(
        "email",
        "Skriv til anne\\_hansen@mail.dk i dag",
        "anne_",
        id="email-escaped-underscore",
    ),
    pytest.param(
        "email",
        "Skriv til borger @ mail.dk i dag",
        "borger@mail.dk",
        id="email-spaces-around-at",
    ),
    pytest.param(
        "email",
        "Skriv til borger@mail。dk i dag",
        "borger@mail.dk",
        id="email-ideographic-full-stop",
    ),
    pytest.param(
        "phone",
        "Ring på tlf. 8765-4321 i dag",
        "87654321",
        id="phone-named-dash-4-4",
    ),
    pytest.param(
        "phone",
        "Ring på tlf. 87-65-43-21 i dag",
        "87654321",
        id="phone-named-dashed-pairs",
    ),
    pytest.param(
        "phone",
        "Ring på tlf. 87.65.43.21 i dag",
        "87654321",
        id="phone-named-dotted-pairs",
    ),
    pytest.param(
        "phone",
        "Ring på +45-87654321 i dag",
        "87654321",
        id="phone-country-code-dash",
    ),
    pytest.param(
        "account",
        "Udbetales til reg.nr. 1234 kto.nr. 1234567890",
        "1234567890",
        id="account-kto-abbreviation",
    ),
    pytest.param(
        "iban",
        "IBAN: DK50-0040-0440-1162-43",
        "DK5000400440116243",
        id="iban-dashed-groups",
    ),
    pytest.param(
        "cpr",
        "Borgeren 010203\u20431234 ringede.",
        CPR_DIGITS,
        id="cpr-hyphen-bullet",
    ),
    pytest.param(
        "cpr",
        "Borgeren 010203\u02d71234 ringede.",
        CPR_DIGITS,
        id="cpr-modifier-minus",
    ),
    pytest.param(
        "cpr",
        "Oplysninger om borgeren:\n010203-\n1234\nTak.",
        CPR_DIGITS,
        id="cpr-own-lines-broken-at-dash",
    ),
    pytest.param(
        "cpr",
        "Borgeren har nummer 0102 03-1234 i sagen",
        CPR_DIGITS,
        id="cpr-space-inside-date",
    ),
]


@pytest.mark.parametrize(("kind", "text", "core"), EGRESS)
def test_a_disguised_value_never_reaches_an_offentlig_endpoint(
    endpoints: Endpoints, router: ModelRouter, kind: str, text: str, core: str
) -> None:
    endpoints.forget()
    _every_endpoint(endpoints, router, "offentlig", text)
    received = endpoints.public.received()
    assert all(received.values()), received  # every kind was asked
    for endpoint_kind, texts in received.items():
        assert not _reached(kind, core, texts), (endpoint_kind, texts)
    assert everything(endpoints.cleared) == []


# A /v1 client sends a form's fields as content parts (or consecutive user messages): the door joins
# them with a line break, and the model reads one number.
V1_SPLIT = [
    pytest.param(
        [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Hvad koster et nyt pas til en voksen? Mit CPR-nummer er"},
                    {"type": "text", "text": "010203-1234"},
                ],
            }
        ],
        id="named-then-value-in-two-parts",
    ),
    pytest.param(
        [
            {"role": "user", "content": "CPR:"},
            {"role": "user", "content": "010203"},
            {"role": "user", "content": "-1234 hvad koster et nyt pas til en voksen?"},
        ],
        id="named-value-split-over-three-user-messages",
    ),
    pytest.param(
        [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Hvad koster et nyt pas til en voksen for"},
                    {"type": "text", "text": "010203-"},
                    {"type": "text", "text": "1234"},
                ],
            }
        ],
        id="unnamed-value-split-at-the-dash-over-parts",
    ),
]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("messages", V1_SPLIT)
async def test_a_value_split_across_v1_parts_never_reaches_the_external_model(
    municipality: Municipality, messages: list[dict[str, Any]]
) -> None:
    slug = await municipality.specialist("Pas", PAS, public=True)
    app = municipality.services.app
    key = app.integrations.create_key(Actor(ADMIN), "sag", [slug], "offentlig", per_minute=10_000).secret
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{municipality.base}/v1/chat/completions",
            json={"model": slug, "messages": messages},
            headers={"Authorization": f"Bearer {key}"},
        ) as r,
    ):
        assert r.status == 200, await r.text()
    assert municipality.external.requests, "the question reached no model"
    sent = municipality.sent_to(municipality.external)
    assert CPR_DIGITS not in _digits(sent), sent


# =================================================================================================
# Class 2: stored content never outranks its specialist
# =================================================================================================
async def _v1_models(town: Municipality, key: str) -> list[dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{town.base}/v1/models", headers={"Authorization": f"Bearer {key}"}) as r,
    ):
        assert r.status == 200
        return (await r.json())["data"]


@asynccontextmanager
async def _mcp(base: str, key: str) -> AsyncIterator[ClientSession]:
    async with (
        httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=30) as http,
        streamable_http_client(f"{base}/mcp", http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_cpr_number_in_a_description_never_reaches_an_offentlig_key(
    municipality: Municipality,
) -> None:
    slug = await municipality.specialist("Pas", PAS, public=True)
    app, who = municipality.services.app, Actor(BUILDER_A)
    try:
        app.specialists.update_settings(who, {"description": "Spørg om pas. Eksempel: 010203-1234."}, slug)
        app.publishing.publish(who, slug)
    except Exception:  # refused: defended
        pass
    key = app.integrations.create_key(Actor(ADMIN), "offentlig", [slug], "offentlig").secret
    listed = json.dumps(await _v1_models(municipality, key))
    async with _mcp(municipality.base, key) as session:
        shown = (await session.read_resource(f"specialist://{slug}/description")).contents[0].text  # type: ignore[union-attr]
    assert CPR_DIGITS not in _digits(listed) and CPR_DIGITS not in _digits(shown), (listed, shown)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_cpr_number_in_a_specialists_name_never_reaches_an_offentlig_key(
    municipality: Municipality,
) -> None:
    try:
        slug = await municipality.specialist("Sag 010203-1234", PAS, public=True)
    except Exception:  # refused: defended
        return
    app = municipality.services.app
    key = app.integrations.create_key(Actor(ADMIN), "offentlig", [slug], "offentlig").secret
    listed = json.dumps(await _v1_models(municipality, key))
    assert CPR_DIGITS not in _digits(listed), listed


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_disguised_cpr_in_a_source_is_never_held_by_an_offentlig_specialist(
    municipality: Municipality,
) -> None:
    source = "# Sager\n\nBorgeren 010203\u20431234 har søgt om pas. Et pas koster 688 kr."
    try:
        slug = await municipality.specialist("Pas", source, public=True)
    except AssertionError:  # refused: defended
        return
    key = municipality.services.app.integrations.create_key(
        Actor(ADMIN), "offentlig", [slug], "offentlig"
    ).secret
    async with _mcp(municipality.base, key) as session:
        found = await session.call_tool(
            "search_sources", {"specialist": slug, "query": "pas borgeren", "k": 5}
        )
    assert CPR_DIGITS not in _digits(json.dumps(found.structured_content, ensure_ascii=False)), (
        found.structured_content
    )


# =================================================================================================
# Class 3: answers made safe on a parse tree, judged as a GFM client or markdown-it + linkify reads
# =================================================================================================
POLICY = LinkPolicy(ALLOWED)
# GFM's extended autolinks (e-mail addresses, mailto:/xmpp:) and linkify-it's fuzzy links (a domain
# with a known top-level domain, no scheme, no www.): what Teams, GitHub and markdown-it+linkify link.
_GFM_EMAIL = re.compile(r"(?<![\w.+\-@])(?:(?:mailto|xmpp):)?[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+", re.I)
_FUZZY = re.compile(
    r"(?<![\w.@/\-])(?:[a-z0-9\-]+\.)+(?:com|net|org|dk|io|eu|de|se|no|info|biz|ru|xyz|app)(?![\w\-])(?:[/?#][^\s<]*)?",
    re.I,
)


def gfm_targets(shown: Shown) -> list[str]:
    """Links a GFM/linkify client makes from text that CommonMark leaves as text."""
    text = " ".join(shown.text)
    found = []
    for m in _GFM_EMAIL.finditer(text):
        value = m.group().rstrip(".")
        found.append(value if value.lower().startswith(("mailto:", "xmpp:")) else "mailto:" + value)
    for m in _FUZZY.finditer(text):
        found.append("http://" + m.group().rstrip(".,;:!?)"))
    return found


def fuzzy_allowed(url: str) -> bool:
    """A fuzzy link opens over http: its host must still be an allowed one."""
    if url.startswith("http://") and "@" not in url:
        return opens_allowed("https://" + url[len("http://") :])
    return opens_allowed(url)


def assert_gfm_safe(markdown: str, values: tuple[str, ...] = ()) -> None:
    shown = assert_safe(markdown)  # the authors' judge: mistletoe, ada-url
    extra = gfm_targets(shown)
    outside = [u for u in extra if not fuzzy_allowed(u)]
    assert not outside, (outside, markdown)
    for target in shown.targets() + extra:
        for value in values:
            assert value.lower() not in target.lower(), (target, markdown)


VALUES = {"⟦CPR-1⟧": "010203-1234", "⟦EMAIL-1⟧": "borger@gmail.com", "⟦TLF-1⟧": "87654321"}


def _redactor() -> Redactor:
    red = Redactor()
    assert red.redact("010203-1234 borger@gmail.com tlf. 87654321").text == "⟦CPR-1⟧ ⟦EMAIL-1⟧ tlf. ⟦TLF-1⟧"
    return red


MARKDOWN = [
    # --- defended ---
    pytest.param("h&#116;tps://attacker.com/x", id="entity-in-scheme"),
    pytest.param("https&#58;//attacker.com/x", id="entity-colon"),
    pytest.param("https:&#47;&#47;attacker.com/x", id="entity-slashes"),
    pytest.param("ｈｔｔｐｓ://attacker.com/x", id="fullwidth-scheme"),
    pytest.param("https\u200b://attacker.com/x", id="zero-width-in-scheme"),
    pytest.param("https://attacker。com/", id="ideographic-dot-host"),
    pytest.param("WWW.attacker.com/x", id="upper-www"),
    pytest.param("https://aarhus.dk@attacker.com/", id="userinfo"),
    pytest.param("https://aarhus.dk.attacker.com/", id="allowed-as-prefix"),
    pytest.param("<a href='https://attacker.com'>x</a>", id="raw-anchor"),
    pytest.param("[x](javascript:alert(1))", id="javascript"),
    pytest.param("[x](data:image/png;base64,AAAA)", id="data-link"),
    pytest.param("data:text/html,<script>alert(1)</script>", id="data-text"),
    pytest.param("| a |\n|---|\n| ![x](https://attacker.com/p.png) |", id="image-in-table"),
    pytest.param("~~~\n![x](https://attacker.com/a.png)\n~~~", id="image-in-tilde-fence"),
    pytest.param("[x]( https://attacker.com )", id="spaced-destination"),
    pytest.param("<img src=x onerror=alert(1)>", id="img-onerror"),
    pytest.param("[![x](https://attacker.com/p.png)](https://www.aarhus.dk)", id="image-in-allowed-link"),
    pytest.param("[a](<https://attacker.com/x y>)", id="angle-destination-with-space"),
    pytest.param("- [x]\n\n  [x]: https://attacker.com/", id="definition-in-list-item"),
    pytest.param(
        "<https://www.aarhus.dk/?next=https://attacker.com/>", id="redirect-parameter-kept-on-allowed"
    ),
    pytest.param("[x](https://www.aarhus.dk/%2e%2e/%2F%2Fattacker.com)", id="encoded-path"),
    pytest.param("se tel:⟦TLF-1⟧ og sms:⟦TLF-1⟧", id="tel-sms-not-restored"),
    pytest.param("se ⟦CPR-1⟧.attacker.com", id="placeholder-as-subdomain"),
    # --- got through ---
    pytest.param(
        "Log ind på attacker.com/login for at se din sag",
        id="fuzzy-domain",
        marks=_leak(
            "a domain without scheme or www. ('attacker.com/login') stays as text; Teams and "
            "markdown-it+linkify link it (http://attacker.com/login): _BARE only knows 'scheme:/' and 'www.'"
        ),
    ),
    pytest.param(
        "Skriv til hjaelp@attacker.com",
        id="bare-email-autolink",
        marks=_leak("a bare e-mail address is a GFM extended autolink (mailto:) to a host off the list"),
    ),
    pytest.param(
        "mailto:hjaelp@attacker.com",
        id="mailto-autolink",
        marks=_leak(
            "'mailto:' text is a GFM extended protocol autolink; _BARE needs a slash after the colon"
        ),
    ),
    pytest.param(
        "xmpp:hjaelp@attacker.com/x",
        id="xmpp-autolink",
        marks=_leak("'xmpp:' text is a GFM extended protocol autolink; _BARE needs a slash after the colon"),
    ),
]


@pytest.mark.parametrize("written", MARKDOWN)
def test_no_link_image_or_html_reaches_a_gfm_or_linkify_client(written: str) -> None:
    out = sanitise(written, POLICY, restore=_redactor().restore)
    assert_gfm_safe(out, tuple(VALUES.values()))
    assert sanitise(out, POLICY) == out  # idempotent on these too


@pytest.mark.xfail(
    strict=True,
    reason=(
        "a restored e-mail address is a GFM extended e-mail autolink: the value the model never saw ends "
        "up inside a mailto: URL (the class the authors closed for '<⟦EMAIL-1⟧>')"
    ),
)
def test_a_restored_email_is_not_made_a_link_by_a_gfm_client() -> None:
    out = sanitise("Vi skriver til ⟦EMAIL-1⟧ i morgen.", POLICY, restore=_redactor().restore)
    assert "borger@gmail.com" in out  # restored in the text, as it should be
    assert_gfm_safe(out, tuple(VALUES.values()))


def test_a_restored_cpr_or_phone_next_to_an_allowed_link_stays_text() -> None:
    """The restored value sits right after a kept link, glued by a no-break space and by nothing."""
    red = _redactor()
    for written in (
        "https://www.aarhus.dk/?q=\u00a0⟦CPR-1⟧",
        "[se](https://www.aarhus.dk/?q=)⟦TLF-1⟧",
        "www.aarhus.dk⟦CPR-1⟧",
        "https://www.aarhus.dk/x#⟦CPR-1⟧",
        "**https://www.aarhus.dk/?q=**⟦CPR-1⟧",
    ):
        out = sanitise(written, POLICY, restore=red.restore)
        assert_gfm_safe(out, tuple(VALUES.values()))


# Adversarial Markdown against the sanitiser's own passes and markdown-it's slow spots. Their cost is
# measured by bench/sanitise_cost.py (~1 s worst at 50 KB on the shared 2-core machine, linear in the
# size); here they must finish (the timeout only catches a return of the ~40 s quadratic cases) and
# come out safe.
COST = markdown_inputs(50_000)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", list(COST))
def test_adversarial_markdown_is_sanitised_safe_and_finishes(name: str) -> None:
    out = sanitise(COST[name], POLICY, restore=_redactor().restore)
    assert_safe(out)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_source_title_reaches_mcp_sanitised(municipality: Municipality) -> None:
    source = "# ![logo](https://attacker.com/p.png) Pas\n\nEt pas koster 688 kr."
    slug = await municipality.specialist("Pas", source, public=True)
    key = municipality.services.app.integrations.create_key(Actor(ADMIN), "o", [slug], "offentlig").secret
    async with _mcp(municipality.base, key) as session:
        listing = (await session.read_resource(f"specialist://{slug}/sources")).contents[0].text  # type: ignore[union-attr]
        found = await session.call_tool("search_sources", {"specialist": slug, "query": "pas", "k": 5})
    for passage in (found.structured_content or {}).get("passages", []):
        assert_gfm_safe(passage["text"])
        assert_gfm_safe(passage["heading"] or "")
    assert_gfm_safe(listing)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_description_reaches_mcp_sanitised(municipality: Municipality) -> None:
    slug = await municipality.specialist("Pas", PAS, public=True)
    app, who = municipality.services.app, Actor(BUILDER_A)
    app.specialists.update_settings(who, {"description": "Pas ![x](https://attacker.com/p.png)"}, slug)
    key = app.integrations.create_key(Actor(ADMIN), "o", [slug], "offentlig").secret
    async with _mcp(municipality.base, key) as session:
        shown = (await session.read_resource(f"specialist://{slug}/description")).contents[0].text  # type: ignore[union-attr]
    assert_gfm_safe(shown)


# =================================================================================================
# Class 4: robust bodies at every door
# =================================================================================================
def _stored(town: Municipality) -> list[Message]:
    with town.services.db.session() as s:
        return list(s.exec(select(Message).order_by(col(Message.id))).all())


async def _post_raw(
    doors: Doors, door: str, raw: bytes, content_type: str = "application/json"
) -> tuple[int, str]:
    headers = doors.headers(door, None)
    headers["Content-Type"] = content_type
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{doors.town.base}{door}", data=raw, headers=headers) as r,
    ):
        return r.status, await r.text()


ODD_BODIES = [
    pytest.param(b"\xef\xbb\xbf", id="utf8-bom-before-the-object"),
    pytest.param(b"[]", id="top-level-array"),
    pytest.param(b'"x"', id="top-level-string"),
    pytest.param(b"null", id="top-level-null"),
    pytest.param(b"", id="empty"),
    pytest.param(b"]" * 40 + b"[" * 40, id="depth-counter-driven-negative"),
    pytest.param(b'{"a":1}' + b" " * 10 + b"{}", id="trailing-second-object"),
]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("prefix", ODD_BODIES)
async def test_odd_json_gets_a_4xx_at_every_door_never_a_500(doors: Doors, prefix: bytes) -> None:
    for door in doors.bodies():
        raw = prefix + b'{"x": 1}' if prefix == b"\xef\xbb\xbf" else prefix
        status, text = await _post_raw(doors, door, raw)
        assert 400 <= status < 500 or status in (200, 202), (door, status, text)
        await doors.healthy()
    assert doors.town.external.requests == []


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("k", [10**39, -(10**39), -1, 0, 2**63, 1.0e300])
async def test_search_sources_with_an_extreme_k_is_no_500(doors: Doors, k: Any) -> None:
    body = {
        "jsonrpc": "2.0",
        "id": 10**39,
        "method": "tools/call",
        "params": {"name": "search_sources", "arguments": {"specialist": "pas", "query": "pas", "k": k}},
    }
    status, text = await _post_raw(doors, "/mcp", json.dumps(body).encode())
    assert status < 500, text
    await doors.healthy()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_escaped_nul_in_keys_ids_and_names_is_never_stored(doors: Doors) -> None:
    """PostgreSQL refuses NUL: a NUL that reached a store would be a 500 (or a lost message)."""
    town = doors.town
    activity = {
        "type": "message",
        "id": "m\u00001",
        "text": "Hvad koster\u0000 et pas?",
        "from": {"id": "29:u\u0000x", "name": "N\u0000avn", "aadObjectId": "u\u0000x"},
        "recipient": {"id": "28:bot", "name": "bot"},
        "conversation": {"id": "a:u\u0000x", "conversationType": "personal", "tenantId": "t1"},
        "serviceUrl": town.connector.service_url,
        "channelId": "msteams",
        "locale": "da\u0000-DK",
        "channelData": {"te\u0000nant": {"id": "t1"}},
        "entities": [{"type": "clientInfo", "locale": "da-DK\u0000"}],
    }
    status, text = await _post_raw(doors, "/api/messages", json.dumps(activity).encode())
    assert status in (200, 202, 400), text
    body = {
        "model": "pas",
        "messages": [{"role": "user", "content": [{"type": "text", "text": "pas\u0000?"}]}],
        "user": "\u0000",
    }
    status, text = await _post_raw(doors, "/v1/chat/completions", json.dumps(body).encode())
    assert status in (200, 400), text
    await doors.healthy()
    for message in _stored(town):
        for value in message.model_dump().values():
            assert "\x00" not in str(value), message


def test_sanitise_and_the_detector_never_raise_on_hostile_unicode() -> None:
    red = _redactor()
    for text in ("\ud800", "a\udfffb", "\U0010ffff" * 100, "\ufeff⟦CPR-1⟧", "\x00⟦CPR-1⟧\x00", "⟦CPR-1⟧" * 3):
        sanitise(text, POLICY, restore=red.restore)
        red.redact(text)
