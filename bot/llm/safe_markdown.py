"""Markdown made safe on its CommonMark parse tree: parsed, rewritten as nodes, rendered back.

Regular expressions over Markdown decide what *looks* like a link; a client decides what *is* one, and
the two differ (reference definitions, angle-bracket destinations, entities, nested brackets). So the
text is parsed as CommonMark (``markdown-it-py``, with the tables and strikethrough the answer renderers
show) and every node is decided:

- a link is kept only when ``LinkPolicy.target`` allows it, and then written with the *serialised* URL
  that was checked; otherwise its words stay (a citation marker ``[1]`` stays ``[1]``) and an autolink
  becomes a note that a link was removed;
- an image becomes its alt text; raw HTML is dropped (an HTML block keeps its text; ``<script>`` and
  ``<style>`` lose their content), and so is anything left in a text that looks like a tag;
- a URL written as plain text (``https://…``, ``www.…``) is a link to a client that links bare URLs:
  kept as an explicit link when allowed, else replaced by the note;
- text is escaped on the way out, so the result parsed again forms no link, image, HTML, reference
  definition or new block: what was text stays text.

``restore`` (personal-data placeholders back to their values) is applied to text nodes only, and not
to a word that looks like part of a URL (``aarhus.dk/⟦CPR-1⟧``, ``?q=⟦CPR-1⟧``): some clients turn such
words into links themselves. Never to link targets, image sources, HTML, link labels that are URLs, or
code (code is shown literally and is what people copy into a browser or a terminal).
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Sequence

from markdown_it import MarkdownIt
from markdown_it.token import Token

from bot.llm.links import LinkPolicy

Restore = Callable[[str], str]


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    # every link becomes a node, whatever its scheme; the policy decides, on the target as written
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    md.normalizeLink = lambda url: url  # type: ignore[method-assign]
    md.normalizeLinkText = lambda text: text  # type: ignore[method-assign]
    return md


_MD = _parser()

# Piece kinds of one inline container (a paragraph, a heading, a table cell).
TEXT, PLAIN, CODE, OPEN, CLOSE, LOPEN, LCLOSE, SOFT, HARD = range(9)

# A bare URL: a scheme followed by a slash or backslash, or "www."; the word it starts, up to a "<" (as
# GFM clients read it). A scheme is read from where the word starts ("800https://" is not a URL a
# browser opens, but a client may find "https://" in it: removed); the look-behind keeps it linear.
_BARE = re.compile(r"(?:(?<![a-z0-9+.\-])[a-z0-9+.\-]*:[/\\]|www\.)[^\s<]*", re.I)
_TRAILING = ".,;:!?'\"*_~"
# A tag that is still in a text (written with entities, or an unfinished one with attributes up to the
# text's end): removed, so that a client that reads HTML where CommonMark does not finds none either.
# "[^<>]*" keeps it linear: a try ends at the next "<".
_TAG = re.compile(r"<(?:/?[a-z][a-z0-9\-]*(?:[\s/][^<>]*)?>|[!?][^<>]*>)|<[a-z][a-z0-9\-]*\s[^<>]*$", re.I)
_TAG_START = re.compile(r"<(?=[a-z/!?])", re.I)
_RAW_OPEN = re.compile(r"<(script|style)\b", re.I)
# A word with any of these may be (part of) a URL to a client that links text itself: nothing restored.
_URLISH = re.compile(r"[/\\?=#%&@]|www\.|\.[^\W\d_]{2}|[^\W\d_]:\S", re.I)
_WORD = re.compile(r"\S+")
_ESCAPE = re.compile(r"\[\d{1,9}\][(:]?|[\\`*\[\]<|~#_]|&(?=#?[0-9a-z]+;)|!(?=\[)", re.I)
# What starts a block at the start of a line: a quote, a list item, a thematic break or an underline.
# (A "." or ")" without a number too: some renderers read it as a list item.)
_LINE_START = re.compile(r">|[+\-](?=[ \t]|$)|-[\- \t]*$|=+[ \t]*$|\d{0,9}[.)](?=[ \t]|$)")
_BACKTICKS = re.compile(r"`+")
_EMPHASIS = {"*": "em", "_": "em", "**": "strong", "__": "strong", "~~": "s"}
_EMPHASIS_TYPES = {f"{name}_{side}" for name in ("em", "strong", "s") for side in ("open", "close")}
_ATTEMPTS = 4  # rounds of taking out emphasis that would not read as such (each a linear pass)
_MAX_NESTING = 8  # emphasis inside emphasis, at most
_OTHER_MARKER = {"-": "*", "*": "-", "+": "-", ".": ")", ")": "."}


def _absolute(url: str) -> str:
    return "https://" + url if url[:4].lower() == "www." else url


def _trim(url: str) -> str:
    """A bare URL without the punctuation that ends the sentence around it."""
    opened, closed = url.count("("), url.count(")")
    end = len(url)
    while end:
        c = url[end - 1]
        if c in _TRAILING or (c == ")" and closed > opened):
            closed -= c == ")"
            end -= 1
        else:
            break
    return url[:end]


def _destination(url: str) -> str:
    """A serialised URL as a link destination that every Markdown parser reads back unchanged."""
    url = url.replace("\\", "%5C").replace("(", "%28").replace(")", "%29").replace(" ", "%20")
    return re.sub(r"&(?=#?[0-9a-z]+;)", r"\\&", url, flags=re.I)


def _html_text(block: str) -> str:
    """The text an HTML block shows, without tags, comments, scripts and styles (linear)."""
    out: list[str] = []
    lower = block.lower()
    i, n = 0, len(block)
    while i < n:
        j = block.find("<", i)
        if j < 0:
            out.append(block[i:])
            break
        out.append(block[i:j])
        raw = _RAW_OPEN.match(block, j)
        if lower.startswith("<!--", j):
            k = block.find("-->", j + 4)
            i = n if k < 0 else k + 3
        elif raw:
            k = lower.find("</" + raw.group(1).lower(), j)
            k = -1 if k < 0 else block.find(">", k)
            i = n if k < 0 else k + 1
        elif j + 1 < n and (block[j + 1].isalpha() or block[j + 1] in "/!?"):
            k = block.find(">", j)
            i = n if k < 0 else k + 1
        else:
            out.append("<")
            i = j + 1
    return html.unescape("".join(out))


def _code_span(content: str) -> str:
    longest = max((len(run) for run in _BACKTICKS.findall(content)), default=0)
    fence = "`" * (longest + 1)
    pad = (
        " "
        if content[:1] == "`"
        or content[-1:] == "`"
        or (content[:1] == content[-1:] == " " and content.strip())
        else ""
    )
    return f"{fence}{pad}{content}{pad}{fence}"


def _matches(tokens: Sequence[Token]) -> list[int]:
    """For each opening block token, the index of its closing token."""
    match = [0] * len(tokens)
    stack: list[int] = []
    for i, tok in enumerate(tokens):
        if tok.nesting == 1:
            stack.append(i)
        elif tok.nesting == -1 and stack:
            match[stack.pop()] = i
    return match


class _Renderer:
    def __init__(self, policy: LinkPolicy, removed: str, restore: Restore | None) -> None:
        self.policy = policy
        self.removed = removed
        self.restore = restore

    # --- blocks -------------------------------------------------------------------------------------

    def document(self, text: str) -> str:
        tokens = _MD.parse(text)
        blocks = self.blocks(tokens, 0, len(tokens), _matches(tokens))
        return "\n\n".join("\n".join(lines) for lines in blocks)

    def blocks(self, tokens: Sequence[Token], lo: int, hi: int, match: list[int]) -> list[list[str]]:
        out: list[list[str]] = []
        i = lo
        last_list = ""  # the marker of the list just written: a list right after it needs another one
        while i < hi:
            tok = tokens[i]
            marker = ""
            if tok.type in ("bullet_list_open", "ordered_list_open"):
                marker = tok.markup or ("." if tok.type == "ordered_list_open" else "-")
                if marker == last_list:  # what kept two lists apart is gone (a definition, HTML)
                    marker = _OTHER_MARKER[marker]
                lines = self.list(tokens, i, match[i], match, marker)
                i = match[i] + 1
            elif tok.nesting == 1:
                lines = self.container(tokens, i, match[i], match)
                i = match[i] + 1
            else:
                lines = self.leaf(tok)
                i += 1
            if lines:
                out.append(lines)
                last_list = marker
        return out

    def container(self, tokens: Sequence[Token], i: int, j: int, match: list[int]) -> list[str]:
        tok = tokens[i]
        kind = tok.type
        if kind == "paragraph_open":
            return self.inline(tokens[i + 1].children or []) if i + 1 < j else []
        if kind == "heading_open":
            level = int(tok.tag[1:]) if tok.tag[1:].isdigit() else 1
            words = self.inline(tokens[i + 1].children or [], one_line=True) if i + 1 < j else []
            return ["#" * level + (" " + words[0] if words else "")]
        if kind == "blockquote_open":
            inner = _join(self.blocks(tokens, i + 1, j, match), tight=False)
            return ["> " + line if line else ">" for line in inner]  # nothing left: no quote
        if kind == "table_open":
            return self.table(tokens, i, j)
        return _join(self.blocks(tokens, i + 1, j, match), tight=False)  # anything else: its content

    def list(self, tokens: Sequence[Token], i: int, j: int, match: list[int], marker: str) -> list[str]:
        tok = tokens[i]
        ordered = tok.type == "ordered_list_open"
        start = int(tok.attrs.get("start", 1) or 1) if ordered else 0
        items = []
        k = i + 1
        while k < j:
            end = match[k] if tokens[k].nesting == 1 else k
            if tokens[k].type == "list_item_open":
                items.append((k, end))
            k = end + 1
        # tight when its paragraphs are (markdown-it hides them); with none to tell, loose, which reads
        # back the same, so nothing written after a nested list can join that list's last paragraph
        hidden = [
            tokens[p].hidden
            for a, b in items
            for p in range(a + 1, b)
            if tokens[p].type == "paragraph_open" and tokens[p].level == tokens[a].level + 1
        ]
        tight = bool(hidden) and all(hidden)
        bodies = [_join(self.blocks(tokens, a + 1, b, match), tight=tight) for a, b in items]
        lines: list[str] = []
        for n, body in enumerate(b for b in bodies if b):  # an item left empty goes
            mark = f"{start + n}{marker}" if ordered else marker
            if n and not tight:
                lines.append("")
            indent = " " * (len(mark) + 1)
            lines.append(f"{mark} {body[0]}")
            lines += [indent + line if line else "" for line in body[1:]]
        return lines

    def table(self, tokens: Sequence[Token], i: int, j: int) -> list[str]:
        rows: list[list[str]] = []
        aligns: list[str] = []
        for k in range(i, j):
            tok = tokens[k]
            if tok.type == "tr_open":
                rows.append([])
            elif tok.type in ("th_open", "td_open") and rows:
                cell = self.inline(tokens[k + 1].children or [], one_line=True, cell=True)
                rows[-1].append(cell[0] if cell else "")
                if tok.type == "th_open":
                    style = str(tok.attrs.get("style", ""))
                    left, right = "left" in style or "center" in style, "right" in style or "center" in style
                    aligns.append((":" if left else "") + "---" + (":" if right else ""))
        if not rows:
            return []
        lines = ["| " + " | ".join(rows[0]) + " |", "| " + " | ".join(aligns) + " |"]
        return lines + ["| " + " | ".join(row) + " |" for row in rows[1:]]

    def leaf(self, tok: Token) -> list[str]:
        if tok.type in ("fence", "code_block"):
            content = self.code_urls(tok.content)
            if content and not content.endswith("\n"):
                content += "\n"
            longest = max((len(run) for run in _BACKTICKS.findall(content)), default=0)
            fence = "`" * max(3, longest + 1)
            info = re.sub(r"[^\w+#.\-]", "", tok.info.split()[0]) if tok.info.strip() else ""
            return [fence + info, *content.splitlines(), fence]
        if tok.type == "hr":
            return ["***"]
        if tok.type == "html_block":
            pieces: list[list] = []
            for n, line in enumerate(ln.strip() for ln in _html_text(tok.content).splitlines()):
                if n:
                    pieces.append([SOFT, ""])
                self.text(line, pieces, label=False)
            return self.lines(pieces)
        if tok.content:  # a block this renderer does not know: its text, as text
            pieces = []
            self.text(tok.content.replace("\n", " "), pieces, label=False)
            return self.lines(pieces)
        return []

    # --- inline -------------------------------------------------------------------------------------

    def inline(self, tokens: Sequence[Token], one_line: bool = False, cell: bool = False) -> list[str]:
        pieces: list[list] = []
        self.walk(tokens, pieces, label=False)
        if one_line:
            for p in pieces:
                if p[0] in (SOFT, HARD):
                    p[0], p[1] = PLAIN, " "
        if cell:
            for p in pieces:
                if p[0] == CODE:
                    p[1] = p[1].replace("|", "\\|")
        return self.lines(pieces)

    def walk(self, tokens: Sequence[Token], out: list[list], label: bool) -> None:
        skip: str | None = None  # inside <script>/<style>: nothing is shown until it closes
        i, n = 0, len(tokens)
        while i < n:
            tok = tokens[i]
            kind = tok.type
            i += 1
            if skip is not None:
                if kind == "html_inline" and tok.content.lower().startswith("</" + skip):
                    skip = None
                continue
            if kind in ("text", "text_special"):
                self.text(tok.content, out, label)
            elif kind == "softbreak":
                out.append([SOFT, ""])
            elif kind == "hardbreak":
                out.append([HARD, ""])
            elif kind == "code_inline":
                out.append([CODE, self.code_urls(tok.content)])
            elif kind in ("em_open", "strong_open", "s_open"):
                out.append([OPEN, tok.markup])
            elif kind in ("em_close", "strong_close", "s_close"):
                out.append([CLOSE, tok.markup])
            elif kind == "link_open":
                depth, j = 1, i
                while j < n:
                    depth += {"link_open": 1, "link_close": -1}.get(tokens[j].type, 0)
                    if not depth:
                        break
                    j += 1
                self.link(tok, tokens[i:j], out, label)
                i = j + 1
            elif kind == "image":  # its alt text, whatever the source
                self.walk(tok.children or [], out, label)
            elif kind == "html_inline":
                raw = _RAW_OPEN.match(tok.content)
                if raw and not tok.content.rstrip().endswith("/>"):
                    skip = raw.group(1).lower()
            elif tok.children:
                self.walk(tok.children, out, label)
            elif tok.content and tok.nesting == 0:
                self.text(tok.content, out, label)

    def link(self, tok: Token, children: Sequence[Token], out: list[list], label: bool) -> None:
        href = str(tok.attrs.get("href", ""))
        auto = tok.markup in ("autolink", "linkify")
        target = None if label else self.policy.target(href)
        if target is None:
            words = "".join(c.content for c in children) if all(c.type == "text" for c in children) else ""
            if auto:
                out.append([PLAIN, self.removed])
            elif words.strip().isdigit():
                out.append([PLAIN, f"[{words.strip()}]"])  # a citation marker stays a marker
            else:
                self.walk(children, out, label)
            return
        out.append([LOPEN, "["])
        start = len(out)
        if auto:
            out.append([PLAIN, target])
        else:
            self.walk(children, out, label=True)
            words = "".join(p[1] for p in out[start:] if _is_text(p))
            if not _without_tags(words).strip() and not any(p[0] == CODE for p in out[start:]):
                del out[start:]
                out.append([PLAIN, target])
        out.append([LCLOSE, f"]({_destination(target)})"])

    def text(self, content: str, out: list[list], label: bool) -> None:
        pos = 0
        for m in _BARE.finditer(content):
            url = _trim(m.group())
            if not url:
                continue
            if m.start() > pos:
                out.append([TEXT, content[pos : m.start()]])
            target = self.policy.target(_absolute(url))
            if target is None:
                out.append([PLAIN, self.removed])
            elif label:  # inside a link nothing links it again: the words as written
                out.append([PLAIN, url])
            else:
                out += [[LOPEN, "["], [PLAIN, target], [LCLOSE, f"]({_destination(target)})"]]
            pos = m.start() + len(url)
        if pos < len(content):
            out.append([TEXT, content[pos:]])

    def code_urls(self, code: str) -> str:
        """Code is shown as written, but a URL that is not allowed is removed from it as well."""

        def decide(m: re.Match[str]) -> str:
            url = _trim(m.group())
            kept = url and self.policy.allows(_absolute(url))
            return m.group() if kept else self.removed + m.group()[len(url) :]

        return _BARE.sub(decide, code)

    # --- one inline container back to Markdown ------------------------------------------------------

    def lines(self, pieces: list[list]) -> list[str]:
        _untag(pieces)
        _tidy(pieces)
        if self.restore is not None:
            self.restore_words(pieces)
        return _escape(pieces)

    def restore_words(self, pieces: list[list]) -> None:
        """Apply ``restore`` to text pieces, except to words that may be part of a URL."""
        assert self.restore is not None
        view: list[str] = []
        spans: list[tuple[int, int]] = []
        at = 0
        for kind, value in pieces:
            shown = (
                value if kind in (TEXT, PLAIN, CODE, OPEN, CLOSE) else "\n" if kind in (SOFT, HARD) else " "
            )
            view.append(shown)
            spans.append((at, at + len(shown)))
            at += len(shown)
        whole = "".join(view)
        if self.restore(whole) == whole:  # nothing here to restore (most paragraphs)
            return
        blocked = [m.span() for m in _WORD.finditer(whole) if _URLISH.search(m.group())]
        b = 0
        for piece, (start, end) in zip(pieces, spans, strict=True):
            if piece[0] != TEXT:
                continue
            while b < len(blocked) and blocked[b][1] <= start:
                b += 1
            parts: list[str] = []
            pos, k = start, b
            while k < len(blocked) and blocked[k][0] < end:
                lo, hi = max(blocked[k][0], start), min(blocked[k][1], end)
                if lo > pos:
                    parts.append(self.restore(whole[pos:lo]))
                parts.append(whole[lo:hi])
                pos = hi
                k += 1
            if pos < end:
                parts.append(self.restore(whole[pos:end]))
            piece[1] = "".join(parts).replace("\r\n", " ").replace("\n", " ").replace("\r", " ")


def _join(blocks: list[list[str]], tight: bool) -> list[str]:
    lines: list[str] = []
    for n, block in enumerate(blocks):
        if n and not tight:
            lines.append("")
        lines += block
    return lines


def _is_text(piece: list) -> bool:
    return piece[0] in (TEXT, PLAIN)


def _without_tags(text: str) -> str:
    if "<" not in text:
        return text
    for _ in range(4):  # a tag taken out can join what was around it into another ("<<b>img>")
        text, found = _TAG.subn("", text)
        if not found:
            return text
    return _TAG_START.sub("", text)  # nested deeper than that: no "<" may start anything


def _untag(pieces: list[list]) -> None:
    """Tags out of the texts, each read whole (a "<" and what follows may come from different nodes)."""
    merged: list[list] = []
    for piece in pieces:
        if _is_text(piece) and merged and merged[-1][0] == piece[0]:
            merged[-1][1] += piece[1]
        else:
            merged.append(piece)
    for piece in merged:
        if _is_text(piece):
            piece[1] = _without_tags(piece[1])
    pieces[:] = merged


def _tidy(pieces: list[list]) -> None:
    """Whitespace that CommonMark would read differently goes: inside emphasis next to its markers, at
    the start and end of a line; emphasis left empty, emphasis nested deeper than ``_MAX_NESTING``
    (a renderer may recurse once per level) and empty lines go with it."""
    _flatten_deep(pieces)
    stack: list[tuple[int, int]] = []  # an open marker, and how much had been shown when it opened
    shown = 0
    for i, piece in enumerate(pieces):
        kind = piece[0]
        if kind == OPEN:
            stack.append((i, shown))
        elif kind == CLOSE:
            if not stack:
                piece[0], piece[1] = PLAIN, ""
                continue
            start, before = stack.pop()
            _strip(pieces, start + 1, i, left=True)
            _strip(pieces, i - 1, start, left=False)
            if shown == before or len(stack) >= _MAX_NESTING:
                pieces[start][0], pieces[start][1] = PLAIN, ""
                piece[0], piece[1] = PLAIN, ""
        elif kind not in (SOFT, HARD) and (not _is_text(piece) or piece[1].strip()):
            shown += 1
    stack_open = [i for i, _ in stack]
    for i in stack_open:  # an emphasis whose end was inside a dropped <script>
        pieces[i][0], pieces[i][1] = PLAIN, ""
    _strip(pieces, 0, len(pieces), left=True)
    _strip(pieces, len(pieces) - 1, -1, left=False)
    for i, piece in enumerate(pieces):
        if piece[0] in (SOFT, HARD):
            _strip(pieces, i - 1, -1, left=False)
            _strip(pieces, i + 1, len(pieces), left=True)
    # no empty lines, no break at either end
    kept: list[list] = []
    for piece in pieces:
        if _is_text(piece) and not piece[1]:
            continue
        if piece[0] in (SOFT, HARD) and (not kept or kept[-1][0] in (SOFT, HARD)):
            continue
        kept.append(piece)
    while kept and kept[-1][0] in (SOFT, HARD):
        kept.pop()
    pieces[:] = kept


def _flatten_deep(pieces: list[list]) -> None:
    """Emphasis nested deeper than ``_MAX_NESTING`` loses its markers before anything else looks at it:
    ``_tidy`` would otherwise walk the emptied markers inside once per level (25,000 nested ``*`` took
    20 s). Pairs are matched as ``_tidy`` matches them, so the outer ones keep theirs."""
    stack: list[int] = []
    for i, piece in enumerate(pieces):
        if piece[0] == OPEN:
            stack.append(i)
        elif piece[0] == CLOSE and stack:
            start = stack.pop()
            if len(stack) >= _MAX_NESTING:
                pieces[start][0], pieces[start][1] = PLAIN, ""
                piece[0], piece[1] = PLAIN, ""


def _strip(pieces: list[list], start: int, stop: int, left: bool) -> None:
    step = 1 if left else -1
    for i in range(start, stop, step):
        piece = pieces[i]
        if not _is_text(piece):
            return
        piece[1] = piece[1].lstrip(" \t") if left else piece[1].rstrip(" \t")
        if piece[1]:
            return


def _escape(pieces: list[list]) -> list[str]:
    """Pieces to Markdown lines: text escaped so that it stays text, whatever surrounds it. Emphasis
    whose neighbours changed (a link became its words, say) so that it would no longer read as
    emphasis loses its markers, and the text around it is escaped again."""
    for attempt in range(_ATTEMPTS + 1):
        merged: list[list] = []
        for piece in pieces:
            if _is_text(piece) and merged and _is_text(merged[-1]):
                merged[-1][1] += piece[1]
            else:
                merged.append([TEXT if _is_text(piece) else piece[0], piece[1]])
        written = _write(merged)
        unread = _unread_emphasis(merged, written)
        if not unread:
            break
        if attempt == _ATTEMPTS - 1:  # one loss after another: this text is shown without emphasis
            unread = {i for i, p in enumerate(merged) if p[0] in (OPEN, CLOSE)}
        for i in unread:
            merged[i] = [TEXT, ""]
        pieces = merged
    lines: list[str] = []
    line: list[str] = []
    for (kind, _), text in zip(merged, written, strict=True):
        if kind in (SOFT, HARD):
            lines.append("".join(line) + ("\\" if kind == HARD else ""))
            line = []
        else:
            line.append(text)
    if line:
        lines.append("".join(line))
    emphasis = [
        _EMPHASIS[value] + ("_open" if kind == OPEN else "_close")
        for kind, value in merged
        if kind in (OPEN, CLOSE)
    ]
    if emphasis and not _plain_emphasis(merged, written):
        # CommonMark's emphasis rules have more corners than the check above: read it back, and if it
        # reads differently, show this text without emphasis (what is shown then reads back the same)
        read = [
            t.type for t in _MD.parseInline("\n".join(lines))[0].children or [] if t.type in _EMPHASIS_TYPES
        ]
        if read != emphasis:
            return _escape([[TEXT, ""] if p[0] in (OPEN, CLOSE) else p for p in merged])
    return lines


def _write(merged: list[list]) -> list[str]:
    """Each piece as written ("" for a line break)."""
    written: list[str] = []
    last = ""  # the last character written on this line ("" at its start)
    for i, (kind, value) in enumerate(merged):
        if kind in (SOFT, HARD):
            written.append("")
            last = ""
            continue
        if kind == TEXT:
            j = i + 1
            while j < len(merged) and merged[j][0] == TEXT and not merged[j][1]:
                j += 1
            after = _first(merged[j]) if j < len(merged) else ""
            value = _without_tags(value)  # (text and words that are not restored, read together)
            written.append(_escape_text(value, last, after, not last) if value else "")
        else:
            written.append(_code_span(value) if kind == CODE else value)
        last = written[-1][-1:] or last
    return written


def _around(merged: list[list], written: list[str]) -> dict[int, tuple[str, str]]:
    """For each emphasis marker, the characters before and after the run of markers it is part of
    ("\n" at a line's edge); one pass, however long the run."""
    shown = [j for j, (kind, _) in enumerate(merged) if kind in (SOFT, HARD, OPEN, CLOSE) or written[j]]

    def edge(j: int, last: bool) -> str:
        if merged[j][0] in (SOFT, HARD):
            return "\n"
        return written[j][-1] if last else written[j][0]

    around: dict[int, tuple[str, str]] = {}
    k = 0
    while k < len(shown):
        kind, value = merged[shown[k]]
        if kind not in (OPEN, CLOSE):
            k += 1
            continue
        end = k
        while end + 1 < len(shown) and merged[shown[end + 1]][0] in (OPEN, CLOSE):
            if merged[shown[end + 1]][1][:1] != value[:1]:
                break
            end += 1
        before = edge(shown[k - 1], last=True) if k else "\n"
        after = edge(shown[end + 1], last=False) if end + 1 < len(shown) else "\n"
        for j in shown[k : end + 1]:
            around[j] = (before, after)
        k = end + 1
    return around


def _unread_emphasis(merged: list[list], written: list[str]) -> set[int]:
    """Indexes of emphasis markers (both of a pair) that CommonMark would not read as emphasis here."""
    pair: dict[int, int] = {}
    stack: list[int] = []
    for i, (kind, _) in enumerate(merged):
        if kind == OPEN:
            stack.append(i)
        elif kind == CLOSE and stack:
            j = stack.pop()
            pair[i], pair[j] = j, i
    unread: set[int] = set()
    for i, (before, after) in _around(merged, written).items():
        kind, value = merged[i]
        left = not after.isspace() and (not _punct(after) or before.isspace() or _punct(before))
        right = not before.isspace() and (not _punct(before) or after.isspace() or _punct(after))
        if value[:1] == "_":
            ok = (
                (left and (not right or _punct(before)))
                if kind == OPEN
                else (right and (not left or _punct(after)))
            )
        else:
            ok = left if kind == OPEN else right
        if not ok:
            unread |= {i, pair.get(i, i)}
    return unread


_OPENS_AFTER = " \t\n(\"'"
_CLOSES_BEFORE = ".,;:!?)\"'"


def _plain_emphasis(merged: list[list], written: list[str]) -> bool:
    """Is every emphasis marker of the everyday kind (`` **800 kr.** ``, ``(*se*)``): one marker alone,
    opening after a space and before a letter or digit, closing after one (or a full stop) and before
    a space or punctuation? Those read back the same; anything else is read back to be sure."""
    around = _around(merged, written)
    runs = [i for i in around if not (i and merged[i - 1][0] in (OPEN, CLOSE))]
    if len(runs) != len(around):
        return False  # markers side by side
    for i, (before, after) in around.items():
        if merged[i][0] == OPEN and not (before in _OPENS_AFTER and after.isalnum()):
            return False
        if merged[i][0] == CLOSE and not (
            (before.isalnum() or before in _CLOSES_BEFORE)
            and (after in _OPENS_AFTER or after in _CLOSES_BEFORE)
        ):
            return False
    return True


def _punct(char: str) -> bool:
    return unicodedata.category(char)[0] in "PS"


def _first(piece: list) -> str:
    """The first character a piece is written with."""
    kind, value = piece
    return "`" if kind == CODE else "" if kind in (SOFT, HARD) else value[:1]


def _escape_text(text: str, before: str, after: str, line_start: bool) -> str:
    head = ""
    if line_start:
        m = _LINE_START.match(text)
        if m:
            found = m.group()
            head = found[:-1] + "\\" + found[-1] if found[-1] in ".)" else "\\" + found
            before, text = found[-1], text[m.end() :]

    def escape(m: re.Match[str]) -> str:
        s = m.group()
        if s[0] == "[" and len(s) > 1:  # a citation marker: kept, but never the start of a link
            return s[:-1] + "\\" + s[-1] if s[-1] in "(:" else s
        if s == "_":
            i = m.start()
            left = text[i - 1] if i else before
            right = text[i + 1] if i + 1 < len(text) else after
            if left.isalnum() and right.isalnum():
                return s
        return "\\" + s

    text = _ESCAPE.sub(escape, text)
    if after == "[" and text.endswith("!"):  # "!" and then a link would be an image
        backslashes = len(text) - 1 - len(text[:-1].rstrip("\\"))
        if backslashes % 2 == 0:  # (an odd run escapes the "!" already)
            text = text[:-1] + "\\!"
    return head + text


def render_safe(text: str, policy: LinkPolicy, removed: str, restore: Restore | None = None) -> str:
    """``text`` parsed as CommonMark, made safe node by node, written back as Markdown."""
    return _Renderer(policy, removed, restore).document(text)


_PLAIN_INLINE = {"text", "code_inline"}
_PLAIN_BLOCK = {"code_block", "fence"}


def plain_text(markdown: str) -> str:
    """``markdown`` as a reader reads it, on one line, without any syntax: no ``**``, ``#``, table
    pipes, link targets, images or HTML (a Teams citation's title and snippet are shown as written)."""
    words: list[str] = []
    for token in _MD.parse(markdown):
        if token.type == "inline":
            for child in token.children or []:
                if child.type in _PLAIN_INLINE:
                    words.append(child.content)
                elif child.type in ("softbreak", "hardbreak"):
                    words.append(" ")
        elif token.type in _PLAIN_BLOCK:
            words.append(token.content)
        words.append(" ")
    return " ".join(_TAG.sub(" ", "".join(words)).replace("<", "‹").replace(">", "›").split())
