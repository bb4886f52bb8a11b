"""Class 3 and 5 of issue 21: personal data is detected on the text a person reads, in linear time.

An independent attack found that a CPR number with a line break or an invisible character inside it
passed the detector, and that one ~50 KB request froze every door for ~14 s (a pattern whose cost grew
with the square of a whitespace run). Here: a known-bad table (each case leaked through redaction on
the old detector), generated properties over every personal-data kind disguised the ways people and
editors write it (``tests/redteam/pii_generators.py``), precision properties, and the cost bound.
"""

from __future__ import annotations

import asyncio
import datetime
import re
import threading
from re import _constants as sre_constants  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.adversarial import pii_inputs
from bot.llm import pii
from bot.llm.pii import Redactor, blank_pii, find_pii, remove_cpr
from tests.redteam.pii_generators import (
    DIGIT_ZEROS,
    KINDS,
    SPACES,
    Case,
    canonical,
    disguised_case,
    leaks,
    pii_value,
    reads_as,
)

EXAMPLES = 60  # per kind and property: each example is one detection (about a millisecond)
PROPERTY = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_PLACEHOLDER = r"⟦(?:CPR|TLF|EMAIL|KONTO|IBAN)-1⟧"

# (case, text, kind, canonical value): every one of these left the value readable after redaction
# by the detector before this change (it read characters, not what a person reads).
KNOWN_BAD = [
    ("cpr-line-break-in-serial", "CPR: 010190-12\n34 i journalen", "cpr", "0101901234"),
    ("cpr-line-break-in-date", "Borgeren har 0101\n901234 som CPR", "cpr", "0101901234"),
    ("cpr-line-break-after-dash", "CPR 010190-\n1234", "cpr", "0101901234"),
    ("cpr-crlf", "CPR 010190\r\n-1234", "cpr", "0101901234"),
    ("cpr-line-separator", "CPR 0101\u2028901234", "cpr", "0101901234"),
    ("cpr-html-line-break", "CPR 0101<br>901234", "cpr", "0101901234"),
    ("cpr-zwsp", "CPR 0101\u200b90-1234", "cpr", "0101901234"),
    ("cpr-zwsp-before-dash", "CPR 010190\u200b-1234", "cpr", "0101901234"),
    ("cpr-soft-hyphen", "CPR 0101\u00ad901234", "cpr", "0101901234"),
    ("cpr-word-joiner", "CPR 010190\u20601234", "cpr", "0101901234"),
    ("cpr-bom", "CPR 01\ufeff0190-1234", "cpr", "0101901234"),
    ("cpr-lrm-rlm", "CPR 0101\u200e90\u200f-1234", "cpr", "0101901234"),
    ("cpr-bidi-isolate-inside", "CPR 010190\u2066-1234\u2069", "cpr", "0101901234"),
    ("cpr-bidi-embedding-inside", "CPR 010190\u202a-\u202c1234", "cpr", "0101901234"),
    ("cpr-zwj-zwnj", "CPR 01\u200d01\u200c90-1234", "cpr", "0101901234"),
    ("cpr-variation-selector", "CPR 010190\ufe0f-1234", "cpr", "0101901234"),
    ("cpr-keycap", "CPR " + "".join(d + "\ufe0f\u20e3" for d in "010190") + "-1234", "cpr", "0101901234"),
    ("cpr-thin-spaces", "CPR 010190\u2009-\u20091234", "cpr", "0101901234"),
    ("cpr-many-spaces", "CPR 010190" + " " * 5 + "1234", "cpr", "0101901234"),
    ("cpr-ideographic-space", "CPR 010190\u30001234", "cpr", "0101901234"),
    ("cpr-markdown-escape", "CPR 010190\\-1234", "cpr", "0101901234"),
    ("cpr-bold-inside", "CPR 0101**90**-1234", "cpr", "0101901234"),
    ("phone-full-width", "Ring ２２３４５６７８", "phone", "22345678"),
    ("phone-arabic-indic", "Ring ٢٢٣٤٥٦٧٨", "phone", "22345678"),
    ("phone-devanagari", "Ring २२ ३४ ५६ ७८", "phone", "22345678"),
    ("phone-thin-spaces", "Ring 22\u200934\u200956\u200978", "phone", "22345678"),
    ("phone-narrow-nbsp", "Ring 2234\u202f5678", "phone", "22345678"),
    ("phone-line-break", "Ring 22 34\n56 78", "phone", "22345678"),
    ("phone-line-break-in-group", "Ring 2234\n5678", "phone", "22345678"),
    ("phone-html-line-break", "Tlf. 2234<br/>5678", "phone", "22345678"),
    ("phone-zwsp", "Ring 2234\u200b5678", "phone", "22345678"),
    ("phone-soft-hyphen", "Ring 22\u00ad34\u00ad56\u00ad78", "phone", "22345678"),
    ("phone-markdown-italic", "Ring _22345678_", "phone", "22345678"),
    ("phone-markdown-bold-underscore", "Ring __22 34 56 78__", "phone", "22345678"),
    ("email-zwsp-before-at", "Skriv til anne\u200b@aarhus.dk", "email", "anne@aarhus.dk"),
    ("email-soft-hyphen-in-domain", "Skriv til anne@aar\u00adhus.dk", "email", "anne@aarhus.dk"),
    ("email-full-width-at", "Skriv til anne＠aarhus.dk", "email", "anne@aarhus.dk"),
    ("email-small-at", "Skriv til anne\ufe6baarhus.dk", "email", "anne@aarhus.dk"),
    ("email-full-width", "Skriv til ａｎｎｅ＠ａａｒｈｕｓ．ｄｋ", "email", "anne@aarhus.dk"),
    ("email-line-break-after-at", "Skriv til anne.hansen@\naarhus.dk", "email", "anne.hansen@aarhus.dk"),
    ("email-markdown-italic", "Skriv til _anne@aarhus.dk_", "email", "anne@aarhus.dk"),
    ("email-bidi-override", "Skriv til anne\u202e@aarhus.dk", "email", "anne@aarhus.dk"),
    ("account-thin-space", "Konto 1234\u20091234567890", "account", "12341234567890"),
    ("account-line-break", "Konto 1234-\n1234567890", "account", "12341234567890"),
    ("account-full-width-dash", "Konto １２３４－１２３４５６７８", "account", "123412345678"),
    ("account-zwsp", "Konto 1234-12345\u200b67890", "account", "12341234567890"),
    ("iban-full-width", "IBAN ＤＫ５０００４００４４０１１６２４３", "iban", "DK5000400440116243"),
    ("iban-thin-spaces", "IBAN DK50\u20090040\u20090440\u20091162\u200943", "iban", "DK5000400440116243"),
    ("iban-line-break", "IBAN DK50 0040\n0440 1162 43", "iban", "DK5000400440116243"),
    ("iban-zwsp", "IBAN DK50\u200b00400440116243", "iban", "DK5000400440116243"),
    ("iban-arabic-indic", "IBAN DK٥٠٠٠٤٠٠٤٤٠١١٦٢٤٣", "iban", "DK5000400440116243"),
]


@pytest.mark.parametrize(("text", "kind", "value"), [c[1:] for c in KNOWN_BAD], ids=[c[0] for c in KNOWN_BAD])
def test_known_disguises_are_found_and_redacted(text: str, kind: str, value: str) -> None:
    found = find_pii(text)
    assert [f.kind for f in found] == [kind], found
    assert canonical(kind, found[0].value) == value  # the whole value, as a reader reads it
    redacted = Redactor().redact(text).text
    assert not leaks(kind, value, redacted), redacted
    assert text[: found[0].start] + "⟦" in redacted  # nothing before the value was taken


def test_the_known_bad_table_covers_every_kind() -> None:
    assert {c[2] for c in KNOWN_BAD} == set(KINDS) and len(KNOWN_BAD) >= 40


# -- generated: every disguised value is found, exactly ----------------------------------------------


def _check_redacted_exactly(kind: str, case: Case) -> None:
    redacted = Redactor().redact(case.text).text
    assert not leaks(kind, case.value, redacted), (case, redacted)
    # the span is exactly what a reader reads as the value: the text around it is left as it was,
    # the invisible characters inside are gone with it
    assert re.fullmatch(re.escape(case.before) + _PLACEHOLDER + re.escape(case.after), redacted), (
        case,
        redacted,
    )


@pytest.mark.parametrize("kind", KINDS)
def test_every_disguised_value_is_found_and_redacted_exactly(kind: str) -> None:
    @PROPERTY
    @given(disguised_case(kind))
    def check(case: Case) -> None:
        assert canonical(kind, case.shown) == case.value  # the generator's own promise
        _check_redacted_exactly(kind, case)

    check()


@pytest.mark.parametrize("kind", KINDS)
def test_a_disguised_value_among_others_is_found(kind: str) -> None:
    """Two values in one text, of any kinds: each is redacted, the text between them survives."""

    @PROPERTY
    @given(disguised_case(kind), st.sampled_from(KINDS).flatmap(disguised_case))
    def check(first: Case, second: Case) -> None:
        text = first.text + "\n\nOg desuden: " + second.text
        redacted = Redactor().redact(text).text
        assert "Og desuden: " in redacted
        assert not leaks(kind, first.value, redacted), (text, redacted)
        second_kind = next(k for k in KINDS if canonical(k, second.shown) == second.value)
        assert not leaks(second_kind, second.value, redacted), (text, redacted)

    check()


@PROPERTY
@given(disguised_case("cpr"))
def test_cpr_removal_and_blanking_take_the_disguised_number(case: Case) -> None:
    for rewritten in (remove_cpr(case.text), blank_pii(case.text)):
        assert not leaks("cpr", case.value, rewritten), (case, rewritten)
        assert rewritten.startswith(case.before) and rewritten.endswith(case.after)


@PROPERTY
@given(pii_value("cpr"), st.sampled_from(DIGIT_ZEROS))
def test_a_value_in_other_digits_shares_its_placeholder(value: str, zero: int) -> None:
    other = "".join(chr(zero + int(d)) for d in value)
    redaction = Redactor().redact(f"CPR {value[:6]}-{value[6:]} og igen {other[:6]}\u200b{other[6:]}")
    assert redaction.text == "CPR ⟦CPR-1⟧ og igen ⟦CPR-1⟧"


# -- precision: what only looks like personal data is left alone ------------------------------------


def _in_digits(text: str, zero: int) -> str:
    return "".join(chr(zero + int(c)) if c.isascii() and c.isdigit() else c for c in text)


_DATES = st.dates(datetime.date(1900, 1, 1), datetime.date(2099, 12, 31))
_MONTHS = "januar februar marts april maj juni juli august september oktober november december".split()
NOT_PERSONAL = st.one_of(
    # amounts
    st.integers(1_000, 999_999_999).map(lambda n: f"{n:,}".replace(",", ".") + " kr."),
    st.integers(1_000, 999_999_999).map(lambda n: f"{n:,}".replace(",", ".") + ",00 kr."),
    st.integers(10_000_000, 99_999_999).map(lambda n: f"{n} kr."),
    st.integers(10_000_000, 99_999_999).map(lambda n: f"kr. {n}"),
    st.integers(10_000_000, 99_999_999).map(lambda n: f"{n},-"),
    st.integers(10_000_000, 99_999_999).map(lambda n: f"{n} DKK"),
    # dates
    _DATES.map(lambda d: f"{d:%d-%m-%Y}"),
    _DATES.map(lambda d: f"{d:%d.%m.%Y}"),
    _DATES.map(lambda d: f"{d:%Y-%m-%d}"),
    _DATES.map(lambda d: f"{d:%d/%m/%Y}"),
    _DATES.map(lambda d: f"{d.day}. {_MONTHS[d.month - 1]} {d.year}"),
    # years and periods
    st.integers(1900, 2099).map(str),
    st.tuples(
        st.integers(1900, 2099), st.integers(1900, 2099), st.sampled_from(["-", "–", "/", " ", "\n"])
    ).map(lambda t: f"{t[0]}{t[2]}{t[1]}"),
    # postal codes
    st.tuples(st.integers(1000, 9999), st.sampled_from(["Aarhus C", "Viby J", "København K"])).map(
        lambda t: f"{t[0]} {t[1]}"
    ),
    # case, journal and company numbers
    st.tuples(st.integers(2000, 2099), st.integers(0, 999_999)).map(lambda t: f"Sagsnr. {t[0]}-{t[1]:06d}"),
    st.tuples(st.integers(0, 99), st.integers(0, 99_999)).map(lambda t: f"j.nr. {t[0]:02d}/{t[1]:05d}"),
    st.integers(20_000_000, 99_999_999).map(lambda n: f"Sag nr. {n}"),
    st.integers(10_000_000, 99_999_999).map(lambda n: f"CVR {n}"),
)


@settings(max_examples=4 * EXAMPLES, deadline=None)
@given(NOT_PERSONAL, st.sampled_from(DIGIT_ZEROS), st.sampled_from(SPACES))
def test_amounts_dates_years_postal_and_case_numbers_are_not_flagged(
    text: str, zero: int, space: str
) -> None:
    for written in (text, _in_digits(text, zero).replace(" ", space)):
        sentence = f"Se {written} i sagen."
        assert find_pii(sentence) == [], (sentence, find_pii(sentence))


# -- cost: linear, bounded, and off the event loop ----------------------------------------------------

DETECTORS = {
    "cpr": pii._CPR,
    "email": pii._EMAIL,
    "phone": pii._PHONES[0],
    "phone with country code": pii._PHONES[1],
    "account": pii._ACCOUNT,
    "iban": pii._IBAN,
    "case-number context": pii._NOT_PERSONAL_CONTEXT,
    "amount context": pii._AMOUNT_BEFORE,
}
_REPEATS = {sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, sre_constants.POSSESSIVE_REPEAT}


def _unbounded(tree: object) -> list[str]:
    """Every repeat without an upper bound in a parsed pattern."""
    found: list[str] = []
    items = tree.data if isinstance(tree, sre_parse.SubPattern) else tree
    for item in items if isinstance(items, list | tuple) else ():
        if isinstance(item, tuple) and len(item) == 2 and item[0] in _REPEATS:
            low, high, body = item[1]
            if high == sre_constants.MAXREPEAT:
                found.append(f"{{{low},}} over {body}")
        if isinstance(item, sre_parse.SubPattern | list | tuple):
            found += _unbounded(item)
    return found


@pytest.mark.parametrize("name", DETECTORS)
def test_no_pattern_has_an_unbounded_run(name: str) -> None:
    """Each pattern has a longest match, so each start position costs at most a constant: the scan
    is linear in the text whatever the text is (the quadratic whitespace run cannot come back)."""
    pattern = DETECTORS[name]
    assert _unbounded(sre_parse.parse(pattern.pattern, pattern.flags)) == []


def test_the_structural_check_would_see_an_unbounded_run() -> None:
    assert _unbounded(sre_parse.parse(r"\d{4}[ ]*,?[ ]*\d{6}")) != []


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", list(pii_inputs(1)))
def test_a_large_adversarial_text_is_scanned_in_linear_time(name: str) -> None:
    """200 KB of each: about a second on a slow machine (the old detector took minutes on the first)."""
    text = pii_inputs(200_000)[name]
    assert len(text) >= 190_000
    find_pii(text)
    Redactor().redact(text)


def test_windowed_scanning_finds_what_a_whole_scan_finds() -> None:
    """Long texts are scanned window by window (short GIL holds); values across every window edge
    are found exactly as one scan over the whole text finds them."""
    values = [
        "010190-1234",
        "22 34 56 78",
        "+45 87654321",
        "anne.hansen@aarhus.dk",
        "1234-1234567890",
        "DK50 0040 0440 1162 43",
        "0045 22345678",
    ]
    text = "".join(f"{'x' * (i % 50)} {v} " for i in range(12_000) for v in values[i % len(values) :][:1])
    assert len(text) > 3 * pii._WINDOW
    for pattern in (pii._CPR, pii._EMAIL, *pii._PHONES, pii._ACCOUNT, pii._IBAN):
        assert [m.span() for m in pii._finditer(pattern, text)] == [m.span() for m in pattern.finditer(text)]


async def test_long_texts_are_scanned_off_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[int] = []
    real = pii.find_pii
    monkeypatch.setattr(pii, "find_pii", lambda text: threads.append(threading.get_ident()) or real(text))
    loop_thread = threading.get_ident()
    short, long = "Ring 22345678", "Ring 22345678. " + "x" * pii.OFF_LOOP_CHARS
    assert [f.kind for f in await pii.afind_pii(short)] == ["phone"]
    assert [f.kind for f in await pii.afind_pii(long)] == ["phone"]
    assert await pii.ablank_pii(long) == blank_pii(long)
    assert (await Redactor().aredact(long)).kinds == {"phone": 1}
    assert await pii.ahas_pii(["intet", long]) and not await pii.ahas_pii(["intet"] * 3)
    assert threads[0] == loop_thread and threads[1] != loop_thread
    await asyncio.sleep(0)


def test_the_reader_and_the_oracle_agree_on_what_is_read() -> None:
    """``reads_as`` (the tests' oracle) is independent of ``bot.llm.reading``; on plain text they agree."""
    from bot.llm.reading import read

    text = "Ring ２２\u200b34 ٥٦ 78, skriv til ａｎｎｅ＠aarhus.dk"
    assert reads_as(read(text).text) == reads_as(text)


_CELL = st.one_of(
    st.integers(1900, 2099).map(str),  # years
    st.integers(0, 99_999_999).map(str),  # counts, ids
    st.integers(1000, 9999).map(lambda n: f"{n} Aarhus"),  # postal codes
    _DATES.map(lambda d: f"{d:%d%m%y}"),  # compact dates
    st.integers(1000, 10**9).map(lambda n: f"{n:,}".replace(",", ".") + " kr."),
)


@settings(max_examples=2 * EXAMPLES, deadline=None)
@given(
    st.lists(st.lists(_CELL, min_size=1, max_size=4), min_size=2, max_size=30),
    st.sampled_from([";", "\t", " | ", ","]),
    st.sampled_from(["\n", "\r\n"]),
)
def test_a_tables_columns_are_not_read_across_its_lines(
    rows: list[list[str]], separator: str, newline: str
) -> None:
    """A spreadsheet or CSV source: a number that ends one record and one that starts the next are
    not one value (a false CPR number would refuse the file)."""
    text = newline.join(separator.join(row) for row in rows)
    crossing = [f for f in find_pii(text) if "\n" in f.value or "\r" in f.value]
    assert crossing == [], crossing


def test_a_value_however_disguised_keeps_one_placeholder() -> None:
    redaction = Redactor().redact(
        "anne@aarhus.dk, ANNE＠aarhus.dk, anne@\naarhus.dk; tlf. 22345678, tlf. ٢٢ ٣٤ ٥٦ ٧٨, tlf. 2234\n5678"
    )
    assert redaction.text == "⟦EMAIL-1⟧, ⟦EMAIL-1⟧, ⟦EMAIL-1⟧; tlf. ⟦TLF-1⟧, tlf. ⟦TLF-1⟧, tlf. ⟦TLF-1⟧"
