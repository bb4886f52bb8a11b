"""Hypothesis strategies for personal data written the ways people and editors write it.

For each kind in ``KINDS`` (CPR numbers with real birth dates, Danish phone numbers, e-mail
addresses, reg.nr. + account numbers, IBANs with valid check digits):

- ``pii_value(kind)``: the canonical value ("0101901234", "22345678", "anne@aarhus.dk",
  "12341234567890", "DK5000400440116243"), as ``canonical`` would write it;
- ``disguised_value(kind)``: that value as written, then disguised: separators and dashes, spaces of
  every width, a line break inside, invisible characters inside (zero-width, soft hyphen, word joiner,
  BOM, bidi marks, ...), full-width and other-script digits. It is the value alone, to be put in
  one's own template;
- ``disguised(kind)``: ``(text, value)``: a disguised value inside a sentence, with punctuation or
  Markdown (bold, code, links, tables, lists) around it, and its canonical value;
- ``disguised_case(kind)``: the same as a ``Case`` that also says which text is around the value,
  for checking that a redaction removes exactly the value;
- ``leaks(kind, value, text)``: whether ``text`` still holds ``value`` as a reader reads it (digits of
  any script, invisible characters and whitespace ignored): the check to run on whatever left the bot.

The words around a value hold no digits, so a digit sequence in a text made from these is a value's.
Values are kept away from what the detector rightly leaves alone (two years side by side are a
period; a 10-digit account number that is also a valid CPR number is found as a CPR number).
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from typing import NamedTuple

from hypothesis import strategies as st

KINDS = ("cpr", "phone", "email", "account", "iban")

# -- canonical values -----------------------------------------------------------------------------


def _serial_digits(year: int) -> list[int]:
    """The 7th CPR digits that put a birth year in its century."""
    yy = year % 100
    if 1858 <= year <= 1899:
        return [5, 6, 7, 8]
    if 1900 <= year <= 1999:
        return [0, 1, 2, 3] + ([4, 9] if yy >= 37 else [])
    return [4, 9, 5, 6, 7, 8] if yy <= 36 else [5, 6, 7, 8]  # 2000-2057


@st.composite
def _cpr(draw: st.DrawFn) -> str:
    day = draw(st.dates(datetime.date(1858, 1, 1), datetime.date(2036, 12, 31)))
    seventh = draw(st.sampled_from(_serial_digits(day.year)))
    return f"{day:%d%m}{day.year % 100:02d}{seventh}{draw(st.integers(0, 999)):03d}"


_YEAR_PAIR = re.compile(r"(?:19|20)\d\d(?:19|20)\d\d")


def _phone() -> st.SearchStrategy[str]:
    number = st.tuples(st.integers(2, 9), st.integers(0, 9_999_999)).map(lambda t: f"{t[0]}{t[1]:07d}")
    return number.filter(lambda n: not _YEAR_PAIR.fullmatch(n))  # "2019 2024" is a period


_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_LOCAL_CHARS = _LETTERS + "0123456789æøå"


@st.composite
def _email(draw: st.DrawFn) -> str:
    part = st.text(_LOCAL_CHARS, min_size=1, max_size=10)
    first = draw(st.text(_LETTERS, min_size=2, max_size=8))
    rest = draw(st.lists(st.tuples(st.sampled_from(".-_+"), part), max_size=2))
    local = first + "".join(sep + p for sep, p in rest)
    label = st.text(_LETTERS + "0123456789", min_size=2, max_size=10)
    labels = draw(st.lists(label, min_size=1, max_size=3))
    tld = draw(st.sampled_from(["dk", "com", "org", "net", "eu", "info", "se"]))
    return f"{local}@{'.'.join(labels)}.{tld}".lower()


@st.composite
def _account(draw: st.DrawFn) -> str:
    reg = draw(st.integers(1000, 9999))
    size = draw(st.integers(6, 10))
    # a 10-digit account number is kept from starting like a birth date (it would be a CPR number)
    low = 9 * 10**9 if size == 10 else 10 ** (size - 1)
    return f"{reg}{draw(st.integers(low, 10**size - 1))}"


_IBAN_LAYOUT = {"DK": "n14", "NO": "n11", "FI": "n14", "DE": "n18", "GB": "a4n14", "NL": "a4n10"}


def _check_digits(country: str, bban: str) -> str:
    number = int("".join(str(int(ch, 36)) for ch in bban + country + "00"))
    return f"{98 - number % 97:02d}"


@st.composite
def _iban(draw: st.DrawFn) -> str:
    country = draw(st.sampled_from(sorted(_IBAN_LAYOUT)))
    bban = ""
    for kind, size in re.findall(r"([an])(\d+)", _IBAN_LAYOUT[country]):
        alphabet = _LETTERS.upper() if kind == "a" else "0123456789"
        bban += draw(st.text(alphabet, min_size=int(size), max_size=int(size)))
    return country + _check_digits(country, bban) + bban


_VALUES = {"cpr": _cpr, "phone": _phone, "email": _email, "account": _account, "iban": _iban}


def pii_value(kind: str) -> st.SearchStrategy[str]:
    """Canonical values of ``kind`` (see the module docstring)."""
    return _VALUES[kind]()


# -- how people write them ------------------------------------------------------------------------

_DASHES = ["-", "\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2212", "\ufe63", "\uff0d"]


def _cpr_written(value: str) -> st.SearchStrategy[str]:
    d, m, y, s = value[:2], value[2:4], value[4:6], value[6:]
    dash = st.sampled_from(_DASHES)
    return st.one_of(
        st.just(d + m + y + s),
        dash.map(lambda x: f"{d}{m}{y}{x}{s}"),
        dash.map(lambda x: f"{d}{m}{y} {x} {s}"),
        st.sampled_from([f"{d}{m}{y} {s}", f"{d}{m}{y}/{s}", f"{d} {m} {y} {s}"]),
        st.sampled_from(".-/").flatmap(
            lambda x: st.sampled_from([f"{d}{x}{m}{x}{y}-{s}", f"{d}{x}{m}{x}{y} {s}"])
        ),
    )


def _phone_written(value: str) -> st.SearchStrategy[str]:
    layouts = [value, f"{value[:4]} {value[4:]}", f"{value[:2]} {value[2:4]} {value[4:6]} {value[6:]}"]
    prefixes = ["", "", "+45 ", "+45", "0045 ", "(+45) "]
    return st.builds(lambda p, n: p + n, st.sampled_from(prefixes), st.sampled_from(layouts))


def _account_written(value: str) -> st.SearchStrategy[str]:
    reg, number = value[:4], value[4:]
    seps = ["-", " ", "/", " - ", " konto ", ", konto ", " kontonr. "]
    return st.sampled_from(seps).map(lambda sep: reg + sep + number)


def _iban_written(value: str) -> st.SearchStrategy[str]:
    grouped = " ".join(value[i : i + 4] for i in range(0, len(value), 4))
    return st.sampled_from([value, grouped, grouped.lower()[:2] + grouped[2:]])


def _email_written(value: str) -> st.SearchStrategy[str]:
    return st.sampled_from([value, value.capitalize(), value.upper()])


_WRITTEN = {
    "cpr": _cpr_written,
    "phone": _phone_written,
    "email": _email_written,
    "account": _account_written,
    "iban": _iban_written,
}

# -- disguises ------------------------------------------------------------------------------------

# Characters a reader does not see: zero-width space/non-joiner/joiner, word joiner, soft hyphen,
# BOM, bidi marks, embeddings and isolates, Arabic letter mark, invisible operators, combining
# grapheme joiner, variation selector, Mongolian vowel separator, a language tag.
INVISIBLE = (
    "\u200b\u200c\u200d\u2060\u00ad\ufeff\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2066\u2067\u2068\u2069\u061c\u2061\u2062\u2063\u2064\u034f\ufe0f\u180e\U000e0001"
)
# Spaces people and word processors put between groups.
SPACES = (" ", "\u00a0", "\u2009", "\u202f", "\u2007", "\u3000", "\u2002", "  ", "\t", " \u200b ")
LINE_BREAKS = ("\n", "\r\n", "\u2028", " \n", "\n ", "\u000b", "<br>", "<br />\n")
# Decimal digit systems (Unicode Nd): ASCII, full-width, Arabic-Indic, extended Arabic-Indic,
# Devanagari, Bengali, Thai, N'Ko, mathematical bold and monospace.
DIGIT_ZEROS = (0x30, 0xFF10, 0x660, 0x6F0, 0x966, 0x9E6, 0xE50, 0x7C0, 0x1D7CE, 0x1D7F6)


def _digits_as(text: str, zeros: list[int]) -> str:
    """Each ASCII digit of ``text`` in the digit system ``zeros[i % len]`` (one system or a mix)."""
    out, i = [], 0
    for ch in text:
        if ch.isascii() and ch.isdigit():
            out.append(chr(zeros[i % len(zeros)] + int(ch)))
            i += 1
        else:
            out.append(ch)
    return "".join(out)


def _full_width(text: str) -> str:
    """Full-width forms of printable ASCII (what East-Asian input methods type)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@st.composite
def _disguise(draw: st.DrawFn, kind: str, written: str) -> str:
    text = written
    # spaces of other widths between the groups
    if " " in text and draw(st.booleans()):
        text = re.sub(" ", lambda _: draw(st.sampled_from(SPACES)), text)
    # other digit forms: one system, or a mix
    if draw(st.booleans()):
        systems = draw(st.lists(st.sampled_from(DIGIT_ZEROS), min_size=1, max_size=3))
        text = _digits_as(text, systems)
    if kind in ("email", "iban") and draw(st.integers(0, 4)) == 0:
        text = _full_width(text)
    # invisible characters anywhere inside
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(1, len(text) - 1))
        text = text[:at] + draw(st.sampled_from(INVISIBLE)) + text[at:]
    # a line break inside, next to a digit or in place of a space (e-mail: next to the "@"); after
    # the invisible characters, so that a "<br>" stays whole
    if draw(st.integers(0, 2)) == 0:
        places = _break_places(kind, text)
        if places:
            at = draw(st.sampled_from(places))
            replace = text[at].isspace()
            text = text[:at] + draw(st.sampled_from(LINE_BREAKS)) + text[at + (1 if replace else 0) :]
    return text


def _break_places(kind: str, text: str) -> list[int]:
    """Indices where a line break may go (before the character at the index)."""
    places = []
    for i in range(1, len(text)):
        before, after = text[i - 1], text[i]
        if kind == "email":
            if "@" in (before, after):
                places.append(i)
        elif after.isspace() and not before.isspace() and i + 1 < len(text) and not text[i + 1].isspace():
            places.append(i)  # in place of the space (handled by the caller)
        elif (before.isdecimal() or after.isdecimal()) and not (before.isspace() or after.isspace()):
            places.append(i)
    return places


def disguised_value(kind: str) -> st.SearchStrategy[str]:
    """A value of ``kind``, as written and disguised (no text around it)."""
    return _disguised_pair(kind).map(lambda pair: pair[0])


def _disguised_pair(kind: str) -> st.SearchStrategy[tuple[str, str]]:
    return pii_value(kind).flatmap(
        lambda value: _WRITTEN[kind](value).flatmap(
            lambda written: _disguise(kind, written).map(lambda shown: (shown, value))
        )
    )


# -- text around them -----------------------------------------------------------------------------

_BEFORE = {
    "cpr": ("Borgeren har CPR-nr.: ", "cpr ", "Ansøger ", ""),
    "phone": ("Ring på ", "Tlf. ", "Mobil: ", ""),
    "email": ("Skriv til ", "Mail: ", "Kontakt ", ""),
    "account": ("Udbetal til ", "Kontonummer: ", "Reg. og konto: ", ""),
    "iban": ("IBAN: ", "Betal til ", ""),
}
# Words that name a value (a detector needs them for a number broken over two lines: a table's
# columns look the same).
_NAMING = {
    "cpr": ("Borgeren har CPR-nr.: ", "cpr "),
    "phone": ("Ring på ", "Tlf. ", "Mobil: "),
    "email": _BEFORE["email"],
    "account": ("Udbetal til ", "Kontonummer: ", "Reg. og konto: "),
    "iban": _BEFORE["iban"],
}
_LINE_BROKEN = re.compile(r"[\n\r\v\u2028]|<br", re.IGNORECASE)
_AFTER = ("", ".", " i dag.", ", tak.", " og spørger om boligstøtte.", "!", "?")
# (left, right) around the value: punctuation and Markdown.
WRAPPERS = (
    ("", ""),
    ("(", ")"),
    ("[", "]"),
    ('"', '"'),
    ("«", "»"),
    ("'", "'"),
    ("**", "**"),
    ("*", "*"),
    ("_", "_"),
    ("__", "__"),
    ("`", "`"),
    ("~~", "~~"),
    ("[", "](https://aarhus.dk/kontakt)"),
    ("> ", ""),
    ("- ", ""),
    ("# ", ""),
    ("| Navn | ", " |\n|---|---|\n| Sag | ja |"),
)


class Case(NamedTuple):
    """``text == before + shown + after``; ``shown`` is the disguised value, ``value`` its canonical form."""

    text: str
    value: str
    shown: str
    before: str
    after: str


@st.composite
def disguised_case(draw: st.DrawFn, kind: str) -> Case:
    """A disguised value of ``kind`` in a sentence, with what is around it."""
    shown, value = draw(_disguised_pair(kind))
    left, right = draw(st.sampled_from(WRAPPERS))
    if kind == "email" and draw(st.integers(0, 5)) == 0:
        left, right = draw(st.sampled_from([("<", ">"), ("<mailto:", ">"), ("[skriv](mailto:", ")")]))
    if _LINE_BROKEN.search(shown):  # across lines, a number is read as a value where it is named so
        left, right = draw(st.sampled_from([w for w in WRAPPERS if "|" not in w[0]]))
        before = draw(st.sampled_from(_NAMING[kind])) + left
    else:
        before = draw(st.sampled_from(_BEFORE[kind])) + left
    after = right + draw(st.sampled_from(_AFTER))
    return Case(before + shown + after, value, shown, before, after)


def disguised(kind: str) -> st.SearchStrategy[tuple[str, str]]:
    """``(text, value)``: a disguised value of ``kind`` in a sentence, and its canonical form."""
    return disguised_case(kind).map(lambda case: (case.text, case.value))


# -- what a reader reads --------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"⟦[A-Z]+-\d+⟧")
_HTML_BREAK = re.compile(r"<br ?/?>", re.IGNORECASE)


def reads_as(text: str) -> str:
    """``text`` as a reader reads it, compactly: NFKC, every decimal digit as ASCII, no invisible
    (format, control, combining) characters, no whitespace and no HTML ``<br>``. Independent of
    ``bot.llm.reading``."""
    out = []
    for ch in unicodedata.normalize("NFKC", _HTML_BREAK.sub(" ", text)):
        if ch.isdecimal():
            out.append(str(unicodedata.decimal(ch)))
        elif ch.isspace() or unicodedata.category(ch) in ("Cf", "Cc", "Mn", "Me"):
            continue
        else:
            out.append(ch)
    return "".join(out)


def canonical(kind: str, written: str) -> str:
    """The canonical form of a value as written (what ``pii_value`` gives)."""
    seen = reads_as(written)
    if kind == "email":
        return seen.lower()
    if kind == "iban":
        return re.sub(r"[^0-9A-Za-z]", "", seen).upper()
    digits = re.sub(r"[^0-9]", "", seen)
    return digits[-8:] if kind == "phone" else digits


def leaks(kind: str, value: str, text: str) -> bool:
    """Whether ``text`` still holds ``value`` (canonical) as a reader reads it, placeholders aside.

    Numbers: the value's digits appear as one digit sequence once everything but digits is dropped
    (the text around a generated value holds no digits). E-mail: the address, or its local part with
    the "@", or the "@" with its domain. IBAN: its account part (after the check digits)."""
    seen = reads_as(_PLACEHOLDER.sub(" ", text))
    if kind == "email":
        local, domain = value.split("@")
        seen = seen.lower()
        return value in seen or f"{local}@" in seen or f"@{domain}" in seen
    if kind == "iban":
        return value[4:] in re.sub(r"[^0-9A-Za-z]", "", seen).upper()
    digits = re.sub(r"[^0-9]", "", seen)
    core = value[-8:] if kind == "phone" else value
    return core in digits
