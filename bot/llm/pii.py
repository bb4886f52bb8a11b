"""A guard for Danish personal data in text bound for a model that is not cleared for it.

``find_pii`` finds CPR numbers, e-mail addresses, Danish phone numbers, bank accounts (reg.nr. +
kontonr.) and IBANs. ``Redactor`` swaps them for placeholders such as ``⟦CPR-1⟧`` before the text
leaves the bot and swaps them back in the answer, so the model never sees the values yet can still
refer to them. Detection leans towards recall for CPR numbers (a missed one is a data breach) and
towards precision for plain numbers (amounts, dates, postal codes and case numbers must survive).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

# Order of precedence when two findings overlap: the first kind wins, then the longer match.
KINDS = ("cpr", "iban", "account", "phone", "email")
_RANK = {kind: i for i, kind in enumerate(KINDS)}
_PREFIX = {"cpr": "CPR", "email": "EMAIL", "phone": "TLF", "account": "KONTO", "iban": "IBAN"}

_SP = r"[ \t\u00a0]"  # a space within one line
_DASH = "\\-\u2010\u2011\u2013"  # hyphen-minus, hyphen, non-breaking hyphen, en dash
# Not glued to a longer number: no digit, nor digit + separator ("12-", "3.", "24/"), either side.
_NOT_AFTER_NUMBER = rf"(?<!\d)(?<!\d[{_DASH}/.,])"
_NOT_BEFORE_NUMBER = rf"(?!\d|[{_DASH}/.,]\d)"
# Amounts: "12345678 kr.", "12345678,-", "12345678 DKK".
_NOT_AMOUNT = rf"(?!{_SP}?(?i:kr(?:oner)?|dkk|eur(?:o)?)\b|,-)"

# Every dash people (and word processors) write between date and serial: hyphen-minus, hyphen,
# non-breaking hyphen, figure dash, en and em dash, minus sign, small and full-width hyphen-minus.
_CPR_DASH = "\\-\u2010\u2011\u2012\u2013\u2014\u2212\ufe63\uff0d"
# DDMMYY with the same separator (none, dot, slash, space or a dash) between day, month and year, then
# the serial after nothing, spaces, or a dash/slash with optional spaces around it.
_CPR = re.compile(
    rf"{_NOT_AFTER_NUMBER}(?<![{_CPR_DASH}]\d)(?P<dd>\d{{2}})(?P<s>[./ \u00a0{_CPR_DASH}]?)"
    rf"(?P<mm>\d{{2}})(?P=s)(?P<yy>\d{{2}})(?:{_SP}*[{_CPR_DASH}/]{_SP}*|{_SP}?)(?P<seq>\d{{4}})"
    rf"(?!\d|[{_CPR_DASH}/.,]\d)"
)
_EMAIL = re.compile(r"(?<![\w.%+-])[\w%+-]+(?:\.[\w%+-]+)*@(?:[\w-]+\.)+[^\W\d_]{2,}(?![\w-])")
_PHONE = re.compile(
    rf"(?<![\w+@]){_NOT_AFTER_NUMBER}"
    rf"(?:\(?(?:\+|00)45\)?{_SP}?)?"
    rf"[2-9]\d(?:\d{{6}}|\d{{2}}{_SP}\d{{4}}|{_SP}\d{{2}}{_SP}\d{{2}}{_SP}\d{{2}})"
    rf"{_NOT_BEFORE_NUMBER}(?![\w@]){_NOT_AMOUNT}"
)
_ACCOUNT = re.compile(
    rf"(?<![\w@]){_NOT_AFTER_NUMBER}(?!0045{_SP}?[2-9]\d{{7}}(?!\d))\d{{4}}"  # "0045 87654321" is a phone
    rf"(?:{_SP}?[{_DASH}/]{_SP}?|{_SP}*,?{_SP}*(?i:konto(?:nummer|{_SP}?nr\.?)?){_SP}*:?{_SP}*|{_SP}+)"
    rf"\d{{6,10}}{_NOT_BEFORE_NUMBER}(?![\w@]){_NOT_AMOUNT}"
)
_IBAN = re.compile(
    rf"(?<!\w)[A-Za-z]{{2}}\d{{2}}(?:{_SP}?[A-Za-z0-9]{{4}}){{2,7}}(?:{_SP}?[A-Za-z0-9]{{1,3}})?(?!\w)"
)
# Words that make a number a case, company or journal number rather than a phone or an account.
_NOT_PERSONAL_CONTEXT = re.compile(
    r"(?i)\b(?:sag(?:s?nr|s?nummer|s?\.?\s?nr)?|j\.?\s?nr|journal(?:nr|nummer)?|cvr(?:-?nr)?|se-?nr|p-?nr)"
    r"\.?\s*:?\s*$"
)
# Two years side by side ("2019 2024", a period) look like a phone number but are not one.
_YEAR_PAIR = re.compile(r"^(?:19|20)\d\d[ \t\u00a0](?:19|20)\d\d$")
_AMOUNT_BEFORE = re.compile(r"(?i)\b(?:kr|dkk|eur)\.?\s*$")


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
    iban = re.sub(r"\s", "", candidate).upper()
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
        cut = max(text.rfind(" ", start, end), text.rfind("\t", start, end), text.rfind("\u00a0", start, end))
        if cut <= start:
            return None
        end = cut


def _preceded_by(pattern: re.Pattern[str], text: str, start: int) -> bool:
    return pattern.search(text, max(0, start - 30), start) is not None


def _candidates(text: str) -> list[Finding]:
    found: list[Finding] = []
    iban_shaped: list[tuple[int, int]] = []  # valid or not: its groups of four are not phone numbers
    for m in _CPR.finditer(text):
        if _cpr_date_ok(m["dd"], m["mm"], m["yy"], m["seq"]):
            found.append(Finding("cpr", m.group(), m.start(), m.end()))
    for m in _IBAN.finditer(text):
        iban_shaped.append(m.span())
        if span := _valid_iban_prefix(text, m):
            found.append(Finding("iban", text[span[0] : span[1]], *span))
    for kind, pattern in (("account", _ACCOUNT), ("phone", _PHONE)):
        for m in pattern.finditer(text):
            if _preceded_by(_NOT_PERSONAL_CONTEXT, text, m.start()):
                continue
            if _preceded_by(_AMOUNT_BEFORE, text, m.start()):
                continue
            if any(s <= m.start() and m.end() <= e for s, e in iban_shaped):
                continue
            if kind == "phone" and _YEAR_PAIR.match(m.group()):
                continue
            found.append(Finding(kind, m.group(), m.start(), m.end()))
    found.extend(Finding("email", m.group(), m.start(), m.end()) for m in _EMAIL.finditer(text))
    return found


def find_pii(text: str) -> list[Finding]:
    """All findings, sorted by start, non-overlapping.

    When two candidates overlap the more specific kind wins (cpr > iban > account > phone > email),
    then the longer match: a phone-like run inside an IBAN is part of the IBAN, not a phone number.
    """
    kept: list[Finding] = []
    for f in sorted(_candidates(text), key=lambda f: (_RANK[f.kind], f.start - f.end, f.start)):
        if all(f.end <= k.start or f.start >= k.end for k in kept):
            kept.append(f)
    return sorted(kept, key=lambda f: f.start)


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
    if kind == "email":
        return value.lower()
    if kind == "iban":
        return re.sub(r"\s", "", value).upper()
    digits = re.sub(r"\D", "", value)
    return digits[-8:] if kind == "phone" else digits


# A Markdown link target "](...)", an autolink "<...>" or a bare URL (with or without a scheme).
_URLISH = re.compile(r"\]\([^)]*\)?|<[a-z][a-z0-9+.-]*:[^>]*>?|\b(?:[a-z][a-z0-9+.-]*://|www\.)\S*", re.I)
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

    def restore(self, text: str) -> str:
        """Every known placeholder replaced by its original; only exact placeholders, unknown ones stay."""
        return _PLACEHOLDER.sub(lambda m: self._mapping.get(m.group(), m.group()), text)

    def restore_outside_links(self, text: str) -> str:
        """Like ``restore``, but a placeholder inside a URL or a Markdown link target stays a
        placeholder: a model must not be able to carry a restored value out in a link it wrote."""
        links = [m.span() for m in _URLISH.finditer(text)]

        def put_back(m: re.Match[str]) -> str:
            if any(start <= m.start() < end for start, end in links):
                return m.group()
            return self._mapping.get(m.group(), m.group())

        return _PLACEHOLDER.sub(put_back, text)

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


def remove_cpr(text: str) -> str:
    """``text`` with every CPR number replaced by a fixed marker (kept nowhere else)."""
    for finding in reversed([f for f in find_pii(text) if f.kind == "cpr"]):
        text = text[: finding.start] + "[CPR fjernet]" + text[finding.end :]
    return text


def blank_pii(text: str) -> str:
    """``text`` with every finding replaced by a space: what a search should look for (personal data
    says nothing about which passage answers, and has no business in a query embedding)."""
    for finding in reversed(find_pii(text)):
        text = text[: finding.start] + " " + text[finding.end :]
    return text
