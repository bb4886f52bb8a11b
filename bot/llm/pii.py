"""A guard for Danish personal data in text bound for a model that is not cleared for it.

``find_pii`` finds CPR numbers, e-mail addresses, Danish phone numbers, bank accounts (reg.nr. +
kontonr.) and IBANs. ``Redactor`` swaps them for placeholders such as ``⟦CPR-1⟧`` before the text
leaves the bot and swaps them back in the answer, so the model never sees the values yet can still
refer to them. Detection leans towards recall for CPR numbers (a missed one is a data breach) and
towards precision for plain numbers (amounts, dates, postal codes and case numbers must survive).

Detection runs on the text a person reads (``bot.llm.reading``: NFKC, every digit as ASCII, invisible
characters removed, whitespace runs as one space), line by line, then across single line breaks (read
as a space, and with a number's line break removed) where a value is believable there: named as one
and not a table's columns. Each finding's span is mapped back to the original characters, invisible
ones inside included, so redaction removes exactly what a reader reads as the value.

Cost: linear in the length of the text. Every pattern has a bounded length (no ``*`` or ``+`` runs;
an e-mail address is at most 64 + 1 + 8 x 64 + 24 characters), so each start position costs a
constant, and the patterns are run over windows of ``_WINDOW`` characters, so one call into the regex
engine (which holds the GIL) is short even for a 10-million-character source. Texts over
``OFF_LOOP_CHARS`` are scanned in a worker thread by the ``a*`` functions, which the async code uses.
Measured (``bench/pii_scan.py``, 2-core shared machine): 50,000 characters of the worst adversarial
input tried take ~0.1 s (0.45 s for 200,000), where the old patterns took 14 s.
"""

from __future__ import annotations

import asyncio
import functools
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import accumulate
from typing import TypeVar

from bot.llm.output import LinkPolicy, sanitise
from bot.llm.reading import JOINED, SPACED, View, read

# The kinds, in the order messages list them.
KINDS = ("cpr", "iban", "account", "phone", "email")
# An IBAN's check digits make it the surest reading of its characters, even with a CPR-like run inside.
_RANK = {kind: i for i, kind in enumerate(("iban", "cpr", "account", "phone", "email"))}
_PREFIX = {"cpr": "CPR", "email": "EMAIL", "phone": "TLF", "account": "KONTO", "iban": "IBAN"}

# The patterns run on ``reading.read`` output: every dash is "-", every digit ASCII, every whitespace
# run one space (a blank line is "\u2029"). Runs are bounded ({0,3}) all the same, so no pattern can
# cost more than a constant per start position whatever text it is given.
_SP = r"[ \t\u00a0]"  # a space within one line
_SPS = _SP + "{0,3}"
_DASH = "\\-\u2010\u2011\u2013"  # hyphen-minus, hyphen, non-breaking hyphen, en dash
# Not glued to a longer number: no digit, nor digit + separator ("12-", "3.", "24/"), either side.
_NOT_BEFORE_NUMBER = rf"(?!\d|[{_DASH}/.,]\d)"
# Not glued to a word: a letter or digit, but not "_" (Markdown emphasis: "_22345678_").
_NOT_AFTER_WORD = r"(?<![^\W_])"
_NOT_BEFORE_WORD = r"(?![^\W_])"
# Amounts: "12345678 kr.", "12345678,-", "12345678 DKK".
_NOT_AMOUNT = rf"(?!{_SP}?(?i:kr(?:oner)?|dkk|eur(?:o)?)\b|,-)"


def _first(char: str, after: str) -> str:
    """``char`` (one character or class), not preceded by any of ``after``.

    The look-behinds follow the first character instead of preceding it, so the regex engine can skip
    to the next place where that character occurs instead of trying every position (3-10x faster)."""
    return char + "".join(f"(?<!{a}{char})" for a in after.split())


_AFTER_NUMBER = rf"\d \d[{_DASH}/.,]"  # not after a digit, nor digit + separator
_AFTER_WORD = r"[^\W_]"
_DIGIT = r"\d"

# Every dash people (and word processors) write between date and serial: hyphen-minus, hyphen,
# non-breaking hyphen, figure dash, en and em dash, minus sign, small and full-width hyphen-minus.
_CPR_DASH = "\\-\u2010\u2011\u2012\u2013\u2014\u2212\ufe63\uff0d"
# DDMMYY with the same separator (none, dot, slash, space or a dash) between day, month and year, then
# the serial after nothing, spaces, or a dash/slash with optional spaces around it; or DDMM YY-SSSS.
_CPR = re.compile(
    rf"(?P<dd>{_first(_DIGIT, _AFTER_NUMBER)}\d)(?:(?P<s>[./ \u00a0{_CPR_DASH}]?)"
    rf"(?P<mm>\d{{2}})(?P=s)(?P<yy>\d{{2}})(?:{_SPS}[{_CPR_DASH}/]{_SPS}|{_SP}?)"
    # or DDMM YY-SSSS ("0102 03-1234"): with the dash, so that two numbers side by side are not one
    rf"|(?P<mm2>\d{{2}}){_SP}(?P<yy2>\d{{2}}){_SPS}[{_CPR_DASH}/]{_SPS})(?P<seq>\d{{4}})"
    rf"(?!\d|[{_CPR_DASH}/.,]\d)"
)
# Local part: 1-64 characters, dots only between other characters; domain: 1-8 labels and a TLD.
_EMAIL = re.compile(
    r"(?<![^\W_])(?<![.%+-])(?:[^\W_]|[%+-])(?:[\w%+-]|\.(?=[\w%+-])){0,63}"
    r"@(?:[\w-]{1,63}\.){1,8}[^\W\d_]{2,24}(?![^\W_]|-)"
)
# Spaces around "@" ("borger @ mail.dk") only before a common top-level domain: "@" in prose is not
# an address, and a file name ("README.md") is not a domain.
_TLDS = "dk|com|net|org|eu|se|no|de|fi|is|gl|fo|nu|io|uk|info|biz|gov|edu|me|co|at|ch|nl|be|fr|es|it|pl"
_EMAIL_SPACED = re.compile(
    r"(?<![^\W_])(?<![.%+-])(?:[^\W_]|[%+-])(?:[\w%+-]|\.(?=[\w%+-])){0,63}"
    rf"(?:{_SP}{{1,3}}@{_SP}{{0,3}}|@{_SP}{{1,3}})(?:[\w-]{{1,63}}\.){{1,8}}(?i:{_TLDS})(?![^\W_]|-|\.\w)"
)
# The seven digits after the first, then: not glued to a number, a word, an "@" or "kr.".
_PHONE_REST = (
    rf"\d(?:\d{{6}}|\d{{2}}{_SP}\d{{4}}|{_SP}\d{{2}}{_SP}\d{{2}}{_SP}\d{{2}})"
    rf"{_NOT_BEFORE_NUMBER}{_NOT_BEFORE_WORD}(?!@){_NOT_AMOUNT}"
)
_AFTER_PHONE = f"{_AFTER_WORD} [+@] {_AFTER_NUMBER}"
_COUNTRY = "|".join(
    (
        _first(r"\(", _AFTER_PHONE) + r"(?:\+|00)45\)",  # "(" only with its ")"
        _first(r"\+", _AFTER_PHONE) + r"45\)?",
        _first("0", _AFTER_PHONE) + r"045\)?",
    )
)
# Two patterns, so that each starts with a character: "22 34 56 78", and "+45", "(+45)", "0045" first.
_PHONES = (
    re.compile(_first("[2-9]", _AFTER_PHONE) + _PHONE_REST),
    re.compile(rf"(?:{_COUNTRY})(?:{_SP}|-)?[2-9]{_PHONE_REST}"),
)
# Groups joined by "-" or "." ("8765-4321", "87-65-43-21", "87.65.43.21"): plain numbers (ranges, case
# and version numbers) are written so too, so only after a +45 or a word naming a phone number.
_PHONE_SEP_REST = (
    r"\d(?:\d{2}-\d{4}|-\d{2}-\d{2}-\d{2}|\.\d{2}\.\d{2}\.\d{2})"
    rf"{_NOT_BEFORE_NUMBER}{_NOT_BEFORE_WORD}(?!@){_NOT_AMOUNT}"
)
_PHONE_SEP = re.compile(rf"(?:(?:{_COUNTRY})(?:{_SP}|-)?)?" + _first("[2-9]", _AFTER_PHONE) + _PHONE_SEP_REST)
_PHONE_NAMED_BEFORE = re.compile(
    rf"(?i)\b(?:tlf|telefon|tel|mobil|mob|ring(?:{_SP}på)?)(?:\.|nr\.?|nummer){{0,3}}\s{{0,3}}:?\s{{0,3}}$"
)
# "0045 87654321" and "+4587 654321" are phone numbers, not accounts.
_ACCOUNT = re.compile(
    _first(_DIGIT, rf"{_AFTER_WORD} [+@] {_AFTER_NUMBER}") + rf"(?!(?<=0)045{_SP}?[2-9]\d{{7}}(?!\d))\d{{3}}"
    rf"(?:{_SP}?[{_DASH}/]{_SP}?|{_SPS},?{_SPS}(?i:(?:konto|kto\.?)(?:nummer|{_SP}?nr\.?)?){_SPS}:?{_SPS}|{_SP}{{1,3}})"
    rf"\d{{6,10}}{_NOT_BEFORE_NUMBER}{_NOT_BEFORE_WORD}(?!@){_NOT_AMOUNT}"
)
_IBAN_SEP = r"[ \t\u00a0-]"  # groups of four apart by a space or a dash
_IBAN = re.compile(
    rf"{_NOT_AFTER_WORD}[A-Za-z]{{2}}\d{{2}}(?:{_IBAN_SEP}?[A-Za-z0-9]{{4}}){{2,7}}(?:{_IBAN_SEP}?[A-Za-z0-9]{{1,3}})?"
    rf"{_NOT_BEFORE_WORD}"
)
# Words that make a number a case, company or journal number rather than a phone or an account.
_NOT_PERSONAL_CONTEXT = re.compile(
    r"(?i)\b(?:sag(?:s?nr|s?nummer|s?\.?\s?nr)?|j\.?\s?nr|journal(?:nr|nummer)?|cvr(?:-?nr)?|se-?nr|p-?nr)"
    r"\.?\s{0,3}:?\s{0,3}$"
)
# Two years side by side ("2019 2024", a period) look like a phone number but are not one.
_YEAR_PAIR = re.compile(r"^(?:19|20)\d\d[ \t\u00a0](?:19|20)\d\d$")
_ANY_DIGIT = re.compile(r"\d")
_YEARS = re.compile(r"(?:19|20)\d\d(?:19|20)\d\d")
_AMOUNT_BEFORE = re.compile(r"(?i)\b(?:kr|dkk|eur)\.?\s{0,3}$")

# The regex engine holds the GIL for one call: scan long texts window by window. A window overlaps
# the next by ``_MARGIN``, more than any match plus its look-ahead.
_WINDOW = 1 << 16
_MARGIN = 1024
# Above this many characters the async functions scan in a worker thread (a few ms on the loop below).
OFF_LOOP_CHARS = 2_000


@dataclass(frozen=True)
class Finding:
    """One piece of personal data: its kind (see ``KINDS``), the text as written and its span."""

    kind: str
    value: str
    start: int
    end: int


def _cpr_date_ok(dd: str, mm: str, yy: str, seq: str) -> bool:
    """The first six digits are a real birth date; the 7th digit and the year give the century."""
    year, digit = int(yy), int(seq[0])
    if digit <= 3:
        century = 1900
    elif digit in (4, 9):
        century = 2000 if year <= 36 else 1900
    else:
        century = 2000 if year <= 57 else 1800
    try:
        date(century + year, int(mm), int(dd))
    except ValueError:
        return False
    return True


def _iban_ok(candidate: str) -> bool:
    """ISO 13616: length 15–34 and the mod-97 checksum of the rearranged IBAN is 1."""
    iban = re.sub(r"[\s-]", "", candidate).upper()
    if not 15 <= len(iban) <= 34:
        return False
    digits = "".join(str(int(ch, 36)) for ch in iban[4:] + iban[:4])
    return int(digits) % 97 == 1


def _valid_iban_prefix(text: str, match: re.Match[str]) -> tuple[int, int] | None:
    """The longest valid IBAN at the match's start: the regex may swallow a following 4-char word."""
    start, end = match.span()
    while True:
        if _iban_ok(text[start:end]):
            return start, end
        cut = max(text.rfind(c, start, end) for c in " \t\u00a0-")
        if cut <= start:
            return None
        end = cut


def _preceded_by(pattern: re.Pattern[str], text: str, start: int) -> bool:
    return pattern.search(text, max(0, start - 30), start) is not None


def _finditer(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text)``, one window at a time (same matches: windows overlap by a margin
    longer than any match, and a match that reaches into the margin is taken up by the next window)."""
    size = len(text)
    if size <= _WINDOW:
        yield from pattern.finditer(text)
        return
    pos = 0
    while pos < size:
        end = min(size, pos + _WINDOW)
        limit = size if end == size else end - _MARGIN
        following = limit
        for m in pattern.finditer(text, pos, end):
            if m.start() >= limit:
                break
            if m.end() > limit and end < size:  # it may be cut short by the window: rescan from it
                following = m.start()
                break
            yield m
            following = max(limit, m.end())
        pos = following


def _candidates(text: str) -> list[tuple[str, int, int]]:
    """(kind, start, end) of every candidate in a normalised text."""
    found: list[tuple[str, int, int]] = []
    if "@" in text:
        found.extend(("email", m.start(), m.end()) for m in _finditer(_EMAIL, text))
        if " @" in text or "@ " in text:
            found.extend(("email", m.start(), m.end()) for m in _finditer(_EMAIL_SPACED, text))
    if _ANY_DIGIT.search(text) is None:  # every other kind has digits
        return found
    iban_shaped: list[tuple[int, int]] = []  # valid or not: its groups of four are not phone numbers
    for m in _finditer(_CPR, text):
        if _cpr_date_ok(m["dd"], m["mm"] or m["mm2"], m["yy"] or m["yy2"], m["seq"]):
            found.append(("cpr", m.start(), m.end()))
    for m in _finditer(_IBAN, text):
        iban_shaped.append(m.span())
        if span := _valid_iban_prefix(text, m):
            found.append(("iban", *span))
    for kind, pattern in (("account", _ACCOUNT), ("phone", _PHONES[0]), ("phone", _PHONES[1])):
        for m in _finditer(pattern, text):
            if _preceded_by(_NOT_PERSONAL_CONTEXT, text, m.start()):
                continue
            if _preceded_by(_AMOUNT_BEFORE, text, m.start()):
                continue
            if _inside(iban_shaped, m.start(), m.end()):
                continue
            if kind == "phone" and _YEAR_PAIR.match(m.group()):
                continue
            found.append((kind, m.start(), m.end()))
    for m in _finditer(_PHONE_SEP, text):
        if m.group()[0] in "+(0" or _preceded_by(_PHONE_NAMED_BEFORE, text, m.start()):
            found.append(("phone", m.start(), m.end()))
    return found


def _inside(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether ``start:end`` lies within one of ``spans`` (sorted, from one finditer: disjoint)."""
    i = bisect_right(spans, (start, float("inf"))) - 1
    return i >= 0 and spans[i][0] <= start and end <= spans[i][1]


def _read(view: View, candidates: list[tuple[str, int, int]], joined: bool) -> list[Finding]:
    """Candidates of one reading as findings in original coordinates."""
    found = []
    for kind, start, end in candidates:
        if joined and kind == "phone" and _YEARS.fullmatch(re.sub(r"\D", "", view.text[start:end])):
            continue  # "2019\n2024": two years, one per line
        o_start, o_end = view.span(start, end)
        found.append(Finding(kind, view.original[o_start:o_end], o_start, o_end))
    return found


# Reading across a line break finds values that a table's columns only look like ("2010\n9622276\t2003"):
# such a finding must not split fields of a table, and a phone or account number, which plain numbers
# often look like, must be named as one (or carry its +45, or the word "konto").
_RECORD_BREAK = re.compile(r"[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")
_HTML_BREAK = re.compile(r"<[bB][rR] ?/?>")
_FIELD_SEPARATORS = "\t|"
_NAMED = {
    "cpr": re.compile(r"(?i)cpr|person\s?n(?:umme)?r|f(?:ø|oe)dt"),
    "phone": re.compile(r"(?i)tlf|telefon|mobil|ring|sms|kontakt|\+\s?45|\b0045"),
    "account": re.compile(r"(?i)konto|kto\b|reg\b|reg\.|bank|udbetal|overf(?:ø|oe)r"),
}


# A CPR number broken over two lines right after its dash: no table column ends in a dash.
_CPR_BROKEN_AT_DASH = re.compile(r"\d{6} ?- ?\n ?\d{4}")


def _crosses_lines(text: str, f: Finding) -> bool:
    return (
        _RECORD_BREAK.search(text, f.start, f.end) is not None
        or _HTML_BREAK.search(text, f.start, f.end) is not None
    )


def _believable(text: str, f: Finding) -> bool:
    """Whether ``f``, read across a line break, is a value rather than a table's columns."""
    record = _RECORD_BREAK.search(text, f.start, f.end) is not None
    context = read(text[max(0, f.start - 40) : f.start] + " " + f.value).text
    named = f.kind in ("email", "iban") or _NAMED[f.kind].search(context) is not None
    if record:
        before = text[max(0, f.start - 40) : f.start].rstrip(" ")[-1:]
        after = text[f.end : f.end + 40].lstrip(" ")[:1]
        # a comma or semicolon right against the number separates fields ("2012;52"), not ", " in prose
        csv = text[f.start - 1 : f.start] in (",", ";") or re.match(r"[,;]\S", text[f.end : f.end + 2])
        if (before and before in _FIELD_SEPARATORS) or (after and after in _FIELD_SEPARATORS) or csv:
            return False  # "...;8921\n2012;..": one field ends a record, the other starts the next
        starts_line = not before or _RECORD_BREAK.match(before)
        ends_line = not after or _RECORD_BREAK.match(after)
        if f.kind == "cpr" and _CPR_BROKEN_AT_DASH.fullmatch(read(f.value).text):
            return True  # "010203-\n1234": the dash says the number goes on (its date is checked)
        if (starts_line or ends_line) and not named:
            return False  # "2016\n6901 Aarhus": a line that is one number, and the next one
    return named or f.kind == "cpr"


def _findings(text: str) -> list[Finding]:
    """Candidates of every reading, in original coordinates.

    Line by line first; then, where single line breaks are, across them: with a line break read as a
    space, and with a number's line break removed. A value found across lines must be believable
    (``_believable``) and then stands alone: a value found line by line inside it ("0045 2023435" in
    "0045 2023435\n2", a phone number) is not a value of its own."""
    lines = read(text)
    found = _read(lines, _candidates(lines.text), False)
    if not lines.has_breaks and not lines.may_join:
        return found
    across: list[Finding] = []
    for mode in (SPACED, JOINED) if lines.may_join else (SPACED,):
        view = lines.spaced() if mode == SPACED else read(text, mode)
        across += [
            f
            for f in _read(view, _candidates(view.text), mode == JOINED)
            # off a line break only JOINED reads differently ("0101**90**1234")
            if (_believable(text, f) if _crosses_lines(text, f) else mode == JOINED)
        ]
    if not across:
        return found
    across.sort(key=lambda f: f.start)
    starts = [f.start for f in across]
    reach = list(accumulate((f.end for f in across), max))  # the furthest end among those up to i
    spans = {(f.start, f.end) for f in across}
    kept = []
    for f in found:
        i = bisect_right(starts, f.start) - 1
        if i >= 0 and (reach[i] > f.end or (reach[i] == f.end and (f.start, f.end) not in spans)):
            continue  # inside a longer value read across lines
        kept.append(f)
    return list({(f.kind, f.start, f.end): f for f in kept + across}.values())


SCAN_CACHE_CHARS = 20_000  # texts up to this long are remembered (1,024 of them: ≤ 20 MB at worst)


def find_pii(text: str) -> list[Finding]:
    """All findings, sorted by start, non-overlapping.

    When two candidates overlap the more specific kind wins (iban > cpr > account > phone > email),
    then the longer match: a phone-like run inside an IBAN is part of the IBAN, not a phone number.
    A text is scanned once: a turn asks about its question for the warning, for retrieval, for the
    router's check and for its redaction, and about the same history turn after turn.
    """
    if len(text) > SCAN_CACHE_CHARS:
        return _find_pii(text)
    return list(_scanned(text))


@functools.lru_cache(maxsize=1024)
def _scanned(text: str) -> tuple[Finding, ...]:
    return tuple(_find_pii(text))


def _find_pii(text: str) -> list[Finding]:
    starts: list[int] = []
    kept: list[Finding] = []
    for f in sorted(_findings(text), key=lambda f: (_RANK[f.kind], f.start - f.end, f.start)):
        i = bisect_left(starts, f.start)
        if i > 0 and kept[i - 1].end > f.start:
            continue
        if i < len(kept) and kept[i].start < f.end:
            continue
        starts.insert(i, f.start)
        kept.insert(i, f)
    return kept


T = TypeVar("T")


async def off_loop(size: int, fn: Callable[..., T], *args: object) -> T:
    """``fn(*args)`` on ``size`` characters of text: in a worker thread when that is long enough to be
    felt on the event loop (over ``OFF_LOOP_CHARS``), else here."""
    if size <= OFF_LOOP_CHARS:
        return fn(*args)
    return await asyncio.to_thread(fn, *args)


async def afind_pii(text: str) -> list[Finding]:
    """``find_pii`` for async code: long texts are scanned off the event loop."""
    return await off_loop(len(text), find_pii, text)


async def ahas_pii(texts: Iterable[str]) -> bool:
    """Whether any of ``texts`` holds personal data; long payloads are scanned off the event loop."""
    texts = list(texts)
    return await off_loop(sum(map(len, texts)), lambda: any(find_pii(t) for t in texts))


@dataclass
class Redaction:
    """One redacted text; ``mapping`` and ``kinds`` cover only the values found in it.

    ``kinds`` counts distinct values, so a CPR number written twice counts once.
    """

    text: str
    mapping: dict[str, str] = field(default_factory=dict)
    kinds: dict[str, int] = field(default_factory=dict)


def _normalise(kind: str, value: str) -> str:
    """The identity of a value, so "010203-1234" and "0102031234" share a placeholder."""
    value = read(value).text  # as read: "０１０２０３-１２３４" is "010203-1234"
    if kind == "email":
        return re.sub(r"\s", "", value).lower()  # "anne@\naarhus.dk" broken over two lines
    if kind == "iban":
        return re.sub(r"[\s-]", "", value).upper()
    digits = re.sub(r"[^0-9]", "", value)
    return digits[-8:] if kind == "phone" else digits


# A Markdown link target "](...)", an autolink "<...>" or a bare URL (with or without a scheme).
_PLACEHOLDER = re.compile("⟦(?:" + "|".join(_PREFIX.values()) + r")-\d+⟧")


class Redactor:
    """Replaces findings with stable placeholders (``⟦CPR-1⟧``, ``⟦EMAIL-2⟧``) and restores them.

    Use one per conversation: the same value always gets the same placeholder across texts, so the
    model can tell people apart, and the numbering follows first appearance per kind.
    """

    def __init__(self) -> None:
        self._mapping: dict[str, str] = {}  # placeholder -> original as first written
        self._placeholders: dict[tuple[str, str], str] = {}  # (kind, normalised value) -> placeholder
        self._counts: dict[str, int] = {}

    def _placeholder(self, finding: Finding) -> str:
        key = (finding.kind, _normalise(finding.kind, finding.value))
        placeholder = self._placeholders.get(key)
        if placeholder is None:
            n = self._counts[finding.kind] = self._counts.get(finding.kind, 0) + 1
            placeholder = f"⟦{_PREFIX[finding.kind]}-{n}⟧"
            self._placeholders[key] = placeholder
            self._mapping[placeholder] = finding.value
        return placeholder

    def redact(self, text: str) -> Redaction:
        """``text`` with every finding replaced by its placeholder."""
        parts: list[str] = []
        used: dict[str, str] = {}
        kinds: dict[str, int] = {}
        pos = 0
        for finding in find_pii(text):
            placeholder = self._placeholder(finding)
            parts += [text[pos : finding.start], placeholder]
            pos = finding.end
            if placeholder not in used:
                used[placeholder] = self._mapping[placeholder]
                kinds[finding.kind] = kinds.get(finding.kind, 0) + 1
        parts.append(text[pos:])
        return Redaction("".join(parts), used, kinds)

    async def aredact(self, text: str) -> Redaction:
        """``redact`` for async code: a long text is scanned off the event loop."""
        return await off_loop(len(text), self.redact, text)

    def restore(self, text: str) -> str:
        """Every known placeholder replaced by its original; only exact placeholders, unknown ones stay."""
        return _PLACEHOLDER.sub(lambda m: self._mapping.get(m.group(), m.group()), text)

    def restore_outside_links(self, text: str, policy: LinkPolicy | None = None, locale: str = "da") -> str:
        """``text`` made safe (``sanitise``) with placeholders restored in its text nodes only: never in
        a link target, an image, HTML, code or a word that looks like part of a URL, so a model cannot
        carry a value out in a link it wrote. Without ``policy`` no link is kept."""
        return sanitise(text, policy or LinkPolicy(), locale, restore=self.restore)

    @property
    def kinds(self) -> dict[str, int]:
        """Distinct values redacted so far, per kind."""
        return dict(self._counts)

    @property
    def mapping(self) -> dict[str, str]:
        """A copy of placeholder -> original value for the whole conversation so far."""
        return dict(self._mapping)


_NAMES = {
    "cpr": ("CPR-nummer", "CPR-numre"),
    "iban": ("IBAN-nummer", "IBAN-numre"),
    "account": ("kontonummer", "kontonumre"),
    "phone": ("telefonnummer", "telefonnumre"),
    "email": ("e-mailadresse", "e-mailadresser"),
}


_NAMES_EN = {
    "cpr": ("CPR number", "CPR numbers"),
    "iban": ("IBAN", "IBANs"),
    "account": ("account number", "account numbers"),
    "phone": ("phone number", "phone numbers"),
    "email": ("e-mail address", "e-mail addresses"),
}


def describe(kinds: dict[str, int], locale: str = "da") -> str:
    """A Danish list for messages: {"cpr": 2, "email": 1} -> "2 CPR-numre og 1 e-mailadresse".

    Kinds come in precedence order whatever the dict's order, so messages read the same every time;
    empty counts give "ingen personoplysninger".
    """
    names = _NAMES_EN if locale == "en" else _NAMES
    order = [k for k in KINDS if kinds.get(k)] + [k for k in kinds if k not in names and kinds[k]]
    items = []
    for kind in order:
        n = kinds[kind]
        singular, plural = names.get(kind, (kind, kind))
        items.append(f"{n} {singular if n == 1 else plural}")
    if not items:
        return "no personal data" if locale == "en" else "ingen personoplysninger"
    joiner = " and " if locale == "en" else " og "
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + joiner + items[-1]


@dataclass(frozen=True)
class Found:
    """What was found, as a value for a message: rendered with ``describe`` in the reader's language."""

    kinds: dict[str, int]
    key: str = "pii_found"

    def render(self, locale: str = "da") -> str:
        return describe(self.kinds, locale)


def count(texts: list[str]) -> dict[str, int]:
    """Distinct values per kind across ``texts``."""
    redactor = Redactor()
    for text in texts:
        redactor.redact(text)
    return redactor.kinds


def _replace(text: str, findings: list[Finding], by: Callable[[Finding], str]) -> str:
    """``text`` with each (sorted, disjoint) finding replaced, in one pass."""
    parts: list[str] = []
    pos = 0
    for finding in findings:
        parts += [text[pos : finding.start], by(finding)]
        pos = finding.end
    parts.append(text[pos:])
    return "".join(parts)


def remove_cpr(text: str) -> str:
    """``text`` with every CPR number replaced by a fixed marker (kept nowhere else)."""
    return _replace(text, [f for f in find_pii(text) if f.kind == "cpr"], lambda _: "[CPR fjernet]")


def blank_pii(text: str) -> str:
    """``text`` with every finding replaced by a space: what a search should look for (personal data
    says nothing about which passage answers, and has no business in a query embedding)."""
    return _replace(text, find_pii(text), lambda _: " ")


async def ablank_pii(text: str) -> str:
    """``blank_pii`` for async code: a long text is scanned off the event loop."""
    return await off_loop(len(text), blank_pii, text)
