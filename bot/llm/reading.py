"""The text a person reads, for detectors, with a map back to the characters it came from.

A value can be written so that its characters differ from what a reader sees: full-width or Arabic-
Indic digits, a zero-width space or a soft hyphen inside it, a line break in the middle, twenty spaces
or a no-break space between its groups. ``read`` gives a detector one plain form of all of these:
NFKC, every decimal digit as ASCII, every dash (and dash look-alike: U+2043, U+02D7, U+2796) as
``-``, an ideographic full stop as ``.``, format and other invisible characters removed, a backslash
escaping ASCII punctuation and emphasis or code marks against an ``@`` removed (CommonMark shows
``borger\\@mail.dk`` and ``**borger**@mail.dk`` as an address), whitespace runs as one space, a
line break (an HTML ``<br>`` too) as ``\\n`` and a blank line as ``\\u2029``.
``View.span`` maps a span of that form back to the original, so a finding covers exactly what a
reader reads as the value, invisible characters inside it included.

Two more readings of a single line break: ``SPACED`` reads it as a space (Markdown renders it so),
``JOINED`` removes it where it breaks a number (between the characters of a number, or next to an
``@``) and also removes Markdown marks (``*``, ``_``, a backtick, a backslash escape) between digits.

Cost: one pass; printable ASCII and Latin-1 letters are copied in slices, everything else goes
through a per-character table, so the work is linear in the length of the text.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, replace
from functools import lru_cache

# The readings: a line break as one (``LINES``), as a space (``SPACED``: how Markdown renders a single
# line break), or removed where it breaks a number (``JOINED``). A blank line always stays a break.
LINES, SPACED, JOINED = "lines", "spaced", "joined"

# What ``_fold`` says about one character besides the text it reads as.
_DROP, _SPACE, _BREAK, _PARAGRAPH, _MARK, _SUP = range(6)

_LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028")
# Characters that render as blank space although they are letters or symbols (Hangul fillers, the
# blank Braille pattern): a reader sees a space.
_BLANKS = frozenset("\u115f\u1160\u2800\u3164\uffa0")
# Default-ignorable characters outside the format category (combining grapheme joiner, Khmer and
# Mongolian invisibles, variation selectors): they render as nothing.
_IGNORABLE = frozenset(
    "\u034f\u17b4\u17b5\u180b\u180c\u180d\u180f"
    + "".join(map(chr, range(0xFE00, 0xFE10)))
    + "".join(map(chr, range(0xE0100, 0xE01F0)))
)
# Markdown marks that a renderer removes between digits (emphasis, code, a backslash escape).
_MARKDOWN = frozenset("*_`\\")
_NUMBERISH = frozenset("0123456789-/.")
_WORDISH = frozenset("0123456789-/.+()ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

# Anything but printable ASCII and Latin-1 letters (which read as themselves), except a single space
# between two such characters.
_PLAIN = "\x21-\x7e\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff"
# An HTML line break ("<br>", "<br/>", "<br />") reads as one.
_BR = r"<[bB][rR] ?/?>"
# Read as nothing: a backslash that escapes ASCII punctuation (CommonMark shows "\\@" as "@"), and
# emphasis or code marks against an "@" ("**borger**@mail.dk"). Bounded runs: linear time.
_UNSEEN = r"(?P<unseen>\\(?=[!-/:-@\[-`{-~])|[*_`]{1,8}(?=@)|(?<=@)[*_`]{1,8})"
_SPECIAL = re.compile(rf"{_UNSEEN}|(?! [{_PLAIN}])[^{_PLAIN}]+|{_BR}")
# With ``join``: also Markdown marks next to a digit.
_SPECIAL_JOIN = re.compile(
    rf"{_UNSEEN}|(?! [{_PLAIN}])[^{_PLAIN}]+|{_BR}|(?<=[0-9])[*_`\\]+|[*_`\\]+(?=[0-9])"
)
# Markdown marks that the joined reading removes.
_MARKS_IN_NUMBER = re.compile(r"[0-9][*_`\\]|[*_`\\][0-9]")


@lru_cache(maxsize=8192)
def _fold(ch: str) -> tuple[int, str]:
    """How one character reads: (kind, text) where kind is -1 for visible text."""
    if ch in _LINE_BREAKS:
        return _BREAK, ""
    if ch == "\u2029":
        return _PARAGRAPH, ""
    if ch.isspace() or ch in _BLANKS:
        return _SPACE, ""
    category = unicodedata.category(ch)
    if category in ("Cf", "Cc", "Cs") or ch in _IGNORABLE:
        return _DROP, ""
    if category in ("Mn", "Me", "Mc"):
        return _MARK, ""
    if ch.isdecimal():
        return -1, str(unicodedata.decimal(ch))
    folded = unicodedata.normalize("NFKC", ch)
    if category == "No" and folded.isdecimal() and len(folded) == 1:
        return _SUP, str(unicodedata.decimal(folded))  # superscript, circled, ...: digits set apart
    if any(c.isspace() or unicodedata.combining(c) for c in folded):
        folded = ch  # a spacing accent ("´" -> " ́"): keep it as it is
    return -1, "".join(_dash_or_digit(c) for c in folded)


# Characters that read as a dash though Unicode files them elsewhere: minus sign, hyphen bullet,
# modifier letter minus, heavy minus, small and full-width hyphen-minus.
_DASHES = frozenset("\u2212\u2043\u02d7\u2796\ufe63\uff0d")
# Ideographic full stops (IDNA reads them as "." in a domain).
_STOPS = frozenset("\u3002\uff61")


def _dash_or_digit(ch: str) -> str:
    if ch.isdecimal():
        return str(unicodedata.decimal(ch))
    if ch in _DASHES or unicodedata.category(ch) == "Pd":
        return "-"
    if ch in _STOPS:
        return "."
    return ch


@dataclass(frozen=True)
class View:
    """A normalised text and its map: segment ``k`` starts at normalised index ``_n[k]`` and at
    original index ``_o[k]``; an identity segment maps character to character, a block maps all its
    characters to the original range ``_o[k]:_e[k]``."""

    text: str
    original: str
    _n: tuple[int, ...]
    _o: tuple[int, ...]
    _e: tuple[int, ...]  # end of a block segment; -1 for an identity segment
    may_join: bool = False  # whether ``read(text, JOINED)`` can read differently
    has_breaks: bool = False  # whether ``read(text, SPACED)`` can read differently (single line breaks)

    def spaced(self) -> View:
        """The ``SPACED`` reading of a ``LINES`` view: the same map, each line break a space."""
        return replace(self, text=self.text.replace("\n", " "))

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of the normalised span ``start:end`` (``end > start``)."""
        return self._start(start), self._end(end - 1)

    def _start(self, i: int) -> int:
        k = bisect_right(self._n, i) - 1
        return self._o[k] + (i - self._n[k]) if self._e[k] < 0 else self._o[k]

    def _end(self, i: int) -> int:
        k = bisect_right(self._n, i) - 1
        return self._o[k] + (i - self._n[k]) + 1 if self._e[k] < 0 else self._e[k]


class _Builder:
    """Writes the normalised text and its segments, one decision per run of special characters."""

    def __init__(self, text: str, mode: str) -> None:
        self.src, self.mode = text, mode
        self.join = mode == JOINED
        self.parts: list[str] = []
        self.size = 0
        self.n: list[int] = []
        self.o: list[int] = []
        self.e: list[int] = []
        self.id_end = -1  # original end of the last segment when it is an identity one
        self.last = ""  # the last normalised character written
        self.last_sup = False
        self.ws: list[int] | None = None  # pending whitespace: [start, end, breaks, paragraph, after CR]
        self.md: tuple[int, int] | None = None  # pending Markdown marks (join only)
        self.joinable = False
        self.broken = False

    # writing
    def copy(self, start: int, end: int) -> None:
        """Original characters that read as themselves."""
        if self.id_end != start:
            self.n.append(self.size), self.o.append(start), self.e.append(-1)
        self.parts.append(self.src[start:end])
        self.size += end - start
        self.id_end = end
        self.last = self.src[end - 1]

    def block(self, text: str, start: int, end: int) -> None:
        """``text`` read from the original characters ``start:end`` as a whole."""
        if len(text) == 1 and end - start == 1 and self.src[start] == text:
            self.copy(start, end)
            return
        self.n.append(self.size), self.o.append(start), self.e.append(end)
        self.parts.append(text)
        self.size += len(text)
        self.id_end = -1
        self.last = text[-1]

    def extend_last(self, end: int, replacement: str | None) -> None:
        """The last character also covers original characters up to ``end`` (a combining mark)."""
        i = self.size - 1
        if self.e[-1] < 0:  # split the identity segment: its last character becomes a block
            start = self.o[-1] + (i - self.n[-1])
            if i == self.n[-1]:
                self.n.pop(), self.o.pop(), self.e.pop()
            self.n.append(i), self.o.append(start), self.e.append(end)
        else:
            self.e[-1] = max(self.e[-1], end)
        self.id_end = -1
        if replacement is not None:
            self.parts[-1] = self.parts[-1][:-1] + replacement
            self.last = replacement

    # deciding pending runs once the next character is known
    def flush(self, following: str) -> None:
        self.flush_ws(following)
        self.flush_md(following)

    def flush_ws(self, following: str) -> None:
        if self.ws is not None:
            start, end, breaks, paragraph, _ = self.ws
            self.ws = None
            if paragraph or breaks > 1:
                self.block("\u2029", start, end)
            elif breaks:
                self.broken = True
                if self._joins_break(following):
                    self.joinable = True
                    if self.mode == JOINED:
                        return  # one number broken over two lines
                self.block("\n" if self.mode == LINES else " ", start, end)
            else:
                self.block(" ", start, end)

    def flush_md(self, following: str) -> None:
        if self.md is not None:
            start, end = self.md
            self.md = None
            if not (self.last in _NUMBERISH and following in _NUMBERISH):
                self.copy(start, end)

    def _joins_break(self, following: str) -> bool:
        before, after = self.last, following
        if before == "@" or after == "@":
            return bool(before) and bool(after) and (before.isalnum() or after.isalnum())
        digit = before.isdigit() or after.isdigit()
        return digit and before in _WORDISH and after in _WORDISH

    def whitespace(self, i: int, kind: int, end: int | None = None) -> None:
        self.flush_md(" ")
        if self.ws is None:
            self.ws = [i, i + 1, 0, 0, 0]
        ws = self.ws
        ws[1] = end or i + 1
        ch = self.src[i]
        if kind == _PARAGRAPH:
            ws[3] = 1
        elif kind == _BREAK and not (ch == "\n" and ws[4]):  # CR LF (or "<br>" LF) is one break
            ws[2] += 1
        ws[4] = ch in "\r<"

    def visible(self, text: str, start: int, end: int, sup: bool) -> None:
        self.flush(text[0])
        if self.last.isdigit() and text[0].isdigit() and sup != self.last_sup:
            self.block(" ", start, start)  # "22345678¹": a footnote mark is not part of the number
        self.block(text, start, end)
        self.last_sup = sup

    def special(self, start: int, end: int) -> None:
        src = self.src
        if src[start] == "<":  # an HTML line break
            self.whitespace(start, _BREAK, end)
            return
        for i in range(start, end):
            ch = src[i]
            if self.join and ch in _MARKDOWN:
                self.flush_ws(ch)
                self.md = (self.md[0] if self.md else i, i + 1)
                continue
            kind, text = _fold(ch)
            if kind < 0 or kind == _SUP:
                self.visible(text, i, i + 1, kind == _SUP)
            elif kind in (_SPACE, _BREAK, _PARAGRAPH):
                self.whitespace(i, kind)
            elif kind == _MARK and self.ws is None and self.md is None and self.size:
                composed = unicodedata.normalize("NFC", self.last + ch)
                self.extend_last(i + 1, composed if len(composed) == 1 else None)
            # _DROP, or a mark with nothing to sit on: read as nothing

    def plain(self, start: int, end: int) -> None:
        self.flush(self.src[start])
        if self.last_sup and self.last.isdigit() and self.src[start].isdigit():
            self.block(" ", start, start)
        self.last_sup = False
        self.copy(start, end)

    def view(self) -> View:
        self.flush("")
        if not self.n:
            self.n.append(0), self.o.append(len(self.src)), self.e.append(len(self.src))
        joinable = self.joinable or _MARKS_IN_NUMBER.search(self.src) is not None
        parts = "".join(self.parts)
        return View(parts, self.src, tuple(self.n), tuple(self.o), tuple(self.e), joinable, self.broken)


def read(text: str, mode: str = LINES) -> View:
    """``text`` as a person reads it (see the module docstring), with its map back."""
    special = _SPECIAL_JOIN if mode == JOINED else _SPECIAL
    if special.search(text) is None:
        return View(text, text, (0,), (0,), (-1,), _MARKS_IN_NUMBER.search(text) is not None)
    builder = _Builder(text, mode)
    pos = 0
    for m in special.finditer(text):
        if m.start() > pos:
            builder.plain(pos, m.start())
        if m.lastgroup != "unseen":
            builder.special(m.start(), m.end())
        pos = m.end()
    if pos < len(text):
        builder.plain(pos, len(text))
    return builder.view()
