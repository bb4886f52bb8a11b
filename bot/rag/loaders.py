"""Turn a file's bytes into text sections (page and heading kept) for chunking.

PDF per page with headings told by font size (pypdf), DOCX with its headings and tables in place
(python-docx), HTML main text and title (BeautifulSoup), Markdown by heading, plain text. Tables become
sections of whole rows with their header row (``Section.table_header``), so the chunker never cuts a
row and repeats the header in every passage. Every failure is an ``IngestError`` naming the file.

Files are hostile until read: a .docx is checked before parsing (decompressed size, compression ratio,
paragraph count), PDFs are bounded in pages, every file in characters, and any parser error becomes a
"cannot be read" refusal. ``bot.rag.extract`` runs this in a separate process with a time and memory
limit, so a file that still gets through cannot stall or exhaust the service.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import PurePath
from typing import Any

from bot.rag.errors import IngestError

KINDS = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".html": "html",
    ".htm": "html",
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".text": "text",
}
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # encrypted Office files (and legacy .doc) are OLE
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024  # a .docx decompressed, all parts together
MAX_RATIO = 100  # decompressed / compressed, for parts over 1 MB
MAX_PARAGRAPHS = 100_000
MAX_PAGES = 3_000
MAX_CHARS = 10_000_000  # text per file (about 4,000 pages)


@dataclass(frozen=True)
class Section:
    text: str
    page: int | None = None
    heading: str | None = None
    table_header: str | None = None  # set for a table: ``text`` is its rows, one per line


def table_section(rows: list[list[str]], heading: str | None, page: int | None = None) -> Section | None:
    """A table as rows ``a | b | c``; the first row is the header, repeated in every passage."""
    lines = [" | ".join(" ".join(cell.split()) for cell in row) for row in rows]
    lines = [line for line in lines if line.strip(" |")]
    if not lines:
        return None
    if len(lines) == 1:
        return Section(lines[0], page=page, heading=heading)
    return Section("\n".join(lines[1:]), page=page, heading=heading, table_header=lines[0])


@dataclass
class LoadedSource:
    kind: str
    sections: list[Section]
    title: str | None = None
    pages: int | None = None
    warnings: list[str] = field(default_factory=list)

    def texts(self) -> list[str]:
        """Every string from the file that is stored, embedded or shown: title, headings, table
        headers and text (each is scanned for personal data, not just the body)."""
        found = [self.title] if self.title else []
        for s in self.sections:
            found.extend(t for t in (s.heading, s.table_header, s.text) if t)
        return found

    def rewritten(self, edit: Callable[[str], str]) -> None:
        """Apply ``edit`` (e.g. CPR removal) to every string that ``texts`` names."""
        self.title = edit(self.title) if self.title else self.title
        self.sections = [
            replace(
                s,
                text=edit(s.text),
                heading=edit(s.heading) if s.heading else s.heading,
                table_header=edit(s.table_header) if s.table_header else s.table_header,
            )
            for s in self.sections
        ]

    def as_text(self) -> str:
        """The readable text of the whole file (what is kept when the original may not be)."""
        parts = []
        for s in self.sections:
            body = f"{s.table_header}\n{s.text}" if s.table_header else s.text
            parts.append(f"{s.heading}\n\n{body}" if s.heading else body)
        return "\n\n".join(parts)


def detect_kind(filename: str, data: bytes) -> str:
    ext = PurePath(filename).suffix.lower()
    if ext in KINDS:
        return KINDS[ext]
    if not ext:
        if data.startswith(b"%PDF"):
            return "pdf"
        if data.startswith(b"PK"):
            return "docx"
        if data.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html")):
            return "html"
        return "text"
    raise IngestError(filename, "unsupported", ext=ext)


def load(filename: str, data: bytes, kind: str | None = None) -> LoadedSource:
    """Parse ``data`` (as ``kind``, else the type its name and bytes say); raise ``IngestError`` for
    empty, unreadable, protected, oversized or text-less files."""
    kind = kind if kind in KINDS.values() else detect_kind(filename, data)
    if not data.strip():
        raise IngestError(filename, "empty")
    loader = {"pdf": _pdf, "docx": _docx, "html": _html, "markdown": _markdown, "text": _text}[kind]
    try:
        loaded = loader(filename, data)
    except IngestError:
        raise
    except MemoryError:
        raise IngestError(filename, "too_complex") from None
    except Exception:  # any parser's error on a damaged or hostile file: refuse it, never crash
        raise IngestError(filename, "corrupt") from None
    loaded.sections = [s for s in loaded.sections if s.text.strip()]
    if sum(len(s.text) for s in loaded.sections) > MAX_CHARS:
        raise IngestError(filename, "too_much_text", limit=MAX_CHARS)
    if not loaded.sections:
        raise IngestError(filename, "scanned_pdf" if kind == "pdf" else "no_text")
    return loaded


def _pdf(filename: str, data: bytes) -> LoadedSource:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise IngestError(filename, "encrypted")
        if len(reader.pages) > MAX_PAGES:
            raise IngestError(filename, "too_many_parts", count=len(reader.pages), limit=MAX_PAGES)
        pages: list[list[tuple[str, float]]] = []
        total = 0
        for page in reader.pages:
            pages.append(_pdf_lines(page))
            total += sum(len(text) for text, _ in pages[-1])
            if total > MAX_CHARS:
                raise IngestError(filename, "too_much_text", limit=MAX_CHARS)
    except IngestError:
        raise
    except FileNotDecryptedError:
        raise IngestError(filename, "encrypted") from None
    except (PdfReadError, ValueError, KeyError, TypeError, AssertionError, OSError):
        raise IngestError(filename, "corrupt") from None
    sections = _pdf_sections(pages)
    empty = [i for i, lines in enumerate(pages, start=1) if not "".join(t for t, _ in lines).strip()]
    warnings = []
    if empty and len(empty) < len(pages):
        shown = ", ".join(str(p) for p in empty[:10]) + (" …" if len(empty) > 10 else "")
        warnings.append(f"{len(empty)} side(r) uden tekst blev sprunget over (side {shown})")
    title = (reader.metadata.title if reader.metadata else None) or None
    return LoadedSource("pdf", sections, title=title, pages=len(pages), warnings=warnings)


HEADING_SIZE_RATIO = 1.15  # a line this much larger than the body text is a heading
MAX_HEADING_CHARS = 150


def _pdf_lines(page: Any) -> list[tuple[str, float]]:
    """The page's text lines with the largest font size on each (size × text matrix scale)."""
    lines: list[tuple[str, float]] = []
    current: list[str] = []
    size = 0.0

    def visit(text: str, cm: Any, tm: Any, _font: Any, font_size: float) -> None:
        nonlocal size
        scale = abs(float(tm[3]) * float(cm[3])) if tm and cm else 1.0
        parts = text.split("\n")
        for n, part in enumerate(parts):
            if n:
                lines.append(("".join(current), size))
                current.clear()
                size = 0.0
            if part.strip():
                current.append(part)
                size = max(size, float(font_size or 0) * (scale or 1.0))

    page.extract_text(visitor_text=visit)
    lines.append(("".join(current), size))
    return [(text, sz) for text, sz in lines if text.strip()]


def _pdf_sections(pages: list[list[tuple[str, float]]]) -> list[Section]:
    """Sections per page, split at heading lines; a heading's level is the rank of its font size, and
    the heading path carries over to the next page. A PDF in one font size is one section per page."""
    weight: dict[float, int] = {}
    for lines in pages:
        for text, size in lines:
            weight[round(size, 1)] = weight.get(round(size, 1), 0) + len(text)
    body = max(weight, key=lambda sz: weight[sz]) if weight else 0.0

    def is_heading(text: str, size: float) -> bool:
        stripped = text.strip()
        return (
            body > 0
            and round(size, 1) >= body * HEADING_SIZE_RATIO
            and 2 <= len(stripped) <= MAX_HEADING_CHARS
            and any(c.isalpha() for c in stripped)
        )

    sizes = sorted({round(sz, 1) for lines in pages for t, sz in lines if is_heading(t, sz)}, reverse=True)
    level = {sz: n for n, sz in enumerate(sizes, start=1)}
    path = HeadingPath()
    heading: str | None = None
    sections: list[Section] = []
    for number, lines in enumerate(pages, start=1):
        body_lines: list[str] = []
        for text, size in lines:
            if is_heading(text, size):
                if "".join(body_lines).strip():
                    sections.append(Section(_tidy("\n".join(body_lines)), page=number, heading=heading))
                body_lines = []
                heading = path.enter(level[round(size, 1)], " ".join(text.split()))
            else:
                body_lines.append(text)
        if "".join(body_lines).strip():
            sections.append(Section(_tidy("\n".join(body_lines)), page=number, heading=heading))
    return sections


PATH_SEPARATOR = " › "


class HeadingPath:
    """The headings above the current text, by level: ``Pas › Priser › Børn``. A passage carries the
    whole path, so "Priser" under "Pas" and under "Kørekort" are told apart, in search and citations."""

    def __init__(self) -> None:
        self._levels: list[tuple[int, str]] = []

    def enter(self, level: int, text: str) -> str:
        self._levels = [(lv, t) for lv, t in self._levels if lv < level] + [(level, text)]
        return PATH_SEPARATOR.join(t for _, t in self._levels)[:500]


def _docx_level(style: str) -> int | None:
    lowered = style.lower()
    if lowered.startswith(("title", "titel")):
        return 0
    if lowered.startswith(("heading", "overskrift")):
        digits = "".join(c for c in lowered if c.isdigit())
        return int(digits) if digits else 1
    return None


def _docx(filename: str, data: bytes) -> LoadedSource:
    if data.startswith(OLE_MAGIC):
        raise IngestError(filename, "encrypted")
    import docx

    _check_zip(filename, data)
    document = docx.Document(io.BytesIO(data))
    sections: list[Section] = []
    heading: str | None = None
    lines: list[str] = []
    path = HeadingPath()

    def flush() -> None:
        if lines:
            sections.append(Section("\n\n".join(lines), heading=heading))
            lines.clear()

    from docx.table import Table

    for block in document.iter_inner_content():
        if isinstance(block, Table):  # in place, under its heading, as whole rows
            flush()
            table = table_section([_docx_row(row) for row in block.rows], heading)
            if table is not None:
                sections.append(table)
            continue
        text = block.text.strip()
        style = (block.style.name if block.style is not None else "") or ""
        if not text:
            continue
        level = _docx_level(style)
        if level is not None:
            flush()
            heading = path.enter(level, text)
        else:
            lines.append(text)
    flush()
    title = document.core_properties.title or None
    return LoadedSource("docx", sections, title=title)


def _docx_row(row: Any) -> list[str]:
    """A row's cells, a merged cell once (python-docx repeats it for every grid column it spans)."""
    cells: list[str] = []
    seen: set[int] = set()
    for cell in row.cells:
        if id(cell._tc) in seen:
            continue
        seen.add(id(cell._tc))
        cells.append(cell.text.strip())
    return cells


def _check_zip(filename: str, data: bytes) -> None:
    """Refuse a zip bomb before anything is decompressed into memory: sizes come from the central
    directory, and the main document's paragraphs are counted while it streams."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise IngestError(filename, "corrupt") from None
    with archive:
        infos = archive.infolist()
        total = sum(i.file_size for i in infos)
        if total > MAX_UNZIPPED_BYTES:
            raise IngestError(filename, "zip_bomb")
        for info in infos:
            if info.file_size > 1024 * 1024 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise IngestError(filename, "zip_bomb")
        if "word/document.xml" not in archive.namelist():
            raise IngestError(filename, "corrupt")
        paragraphs, tail = 0, b""
        with archive.open("word/document.xml") as part:
            read = 0
            while chunk := part.read(1024 * 1024):
                read += len(chunk)
                if read > MAX_UNZIPPED_BYTES:  # the directory lied about the size
                    raise IngestError(filename, "zip_bomb")
                window = tail + chunk
                paragraphs += window.count(b"<w:p>") + window.count(b"<w:p ") + window.count(b"<w:p/>")
                paragraphs -= tail.count(b"<w:p>") + tail.count(b"<w:p ") + tail.count(b"<w:p/>")
                tail = chunk[-8:]
                if paragraphs > MAX_PARAGRAPHS:
                    raise IngestError(filename, "too_many_parts", count=paragraphs, limit=MAX_PARAGRAPHS)


BLOCK_TAGS = ("h1", "h2", "h3", "h4", "p", "li", "pre", "blockquote", "table", "dd", "dt")
INLINE_GAP = re.compile(r" ([,.;:!?)])")  # "<b>Mit IT</b>, som" reads "Mit IT, som", not "Mit IT , som"
HIDDEN_STYLE = re.compile(r"(?i)(display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0)")


def _html(filename: str, data: bytes) -> LoadedSource:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(_decode(data)[0], "lxml")
    title = soup.title.get_text(strip=True) if soup.title else None
    for tag in soup(["script", "style", "noscript", "nav", "header", "footer", "aside", "form", "template"]):
        tag.decompose()
    # text a reader cannot see is where injected instructions hide: it is not a source
    hidden = [
        el
        for el in soup.find_all(True)
        if el.has_attr("hidden")
        or str(el.get("aria-hidden", "")).lower() == "true"
        or HIDDEN_STYLE.search(str(el.get("style", "")))
    ]
    for el in hidden:
        if not el.decomposed:
            el.decompose()
    root = soup.find("main") or soup.find("article") or soup.body or soup
    sections: list[Section] = []
    heading: str | None = None
    lines: list[str] = []
    path = HeadingPath()
    for el in root.find_all(BLOCK_TAGS):
        if any(parent.name in BLOCK_TAGS for parent in el.parents):
            continue  # nested block: its text is already in the outer one
        if el.name == "table":
            if lines:
                sections.append(Section("\n\n".join(lines), heading=heading))
                lines = []
            rows = [
                [c.get_text(" ", strip=True) for c in tr.find_all(("th", "td"))] for tr in el.find_all("tr")
            ]
            table = table_section([r for r in rows if r], heading)
            if table is not None:
                sections.append(table)
            continue
        text = INLINE_GAP.sub(r"\1", " ".join(el.get_text(" ", strip=True).split()))
        if not text:
            continue
        if el.name in ("h1", "h2", "h3", "h4"):
            if lines:
                sections.append(Section("\n\n".join(lines), heading=heading))
                lines = []
            heading = path.enter(int(el.name[1]), text)
        else:
            lines.append(text)
    if lines:
        sections.append(Section("\n\n".join(lines), heading=heading))
    if not sections:  # no block markup at all: fall back to the visible text
        text = root.get_text("\n", strip=True)
        sections = [Section(text)] if text else []
    return LoadedSource("html", sections, title=title or None)


HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
TABLE_RULE = re.compile(r"^\s*\|?[\s:|-]+\|?\s*$")


def _markdown(filename: str, data: bytes) -> LoadedSource:
    text, warnings = _decode(data)
    sections: list[Section] = []
    heading: str | None = None
    title: str | None = None
    lines: list[str] = []
    in_code = False
    path = HeadingPath()
    table: list[list[str]] = []

    def flush() -> None:
        if "\n".join(lines).strip():
            sections.append(Section(_tidy("\n".join(lines)), heading=heading))
        lines.clear()

    def flush_table() -> None:
        if table and (found := table_section(table, heading)) is not None:
            sections.append(found)
        table.clear()

    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            in_code = not in_code
        if not in_code and TABLE_ROW.match(line):
            if not table:
                flush()
            if not TABLE_RULE.match(line):
                table.append([cell.strip() for cell in line.strip().strip("|").split("|")])
            continue
        flush_table()
        match = None if in_code else HEADING.match(line)
        if match:
            flush()
            heading = path.enter(len(match.group(1)), match.group(2))
            if title is None and len(match.group(1)) == 1:
                title = match.group(2)
        else:
            lines.append(line)
    flush_table()
    flush()
    return LoadedSource("markdown", sections, title=title, warnings=warnings)


def _text(filename: str, data: bytes) -> LoadedSource:
    text, warnings = _decode(data)
    if "\x00" in text:
        raise IngestError(filename, "corrupt")
    return LoadedSource("text", [Section(_tidy(text))], warnings=warnings)


def _decode(data: bytes) -> tuple[str, list[str]]:
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), ["filen var ikke UTF-8 og er læst som Windows-1252"]


def _tidy(text: str) -> str:
    """Normalise whitespace but keep paragraph breaks (the splitter's best boundaries)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"[ \t\u00a0]+", " ", text)
    text = re.sub(r"\n[ \t]*\n\s*", "\n\n", text)
    return text.strip()
