"""Turn a file's bytes into text sections (page and heading kept) for chunking.

PDF per page (pypdf), DOCX with its headings (python-docx), HTML main text and title
(BeautifulSoup), Markdown by heading, plain text. Every failure is an ``IngestError`` naming the file.

Files are hostile until read: a .docx is checked before parsing (decompressed size, compression ratio,
paragraph count), PDFs are bounded in pages, every file in characters, and any parser error becomes a
"cannot be read" refusal. ``bot.rag.extract`` runs this in a separate process with a time and memory
limit, so a file that still gets through cannot stall or exhaust the service.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePath

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


@dataclass
class LoadedSource:
    kind: str
    sections: list[Section]
    title: str | None = None
    pages: int | None = None
    warnings: list[str] = field(default_factory=list)


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
        pages = []
        total = 0
        for page in reader.pages:
            pages.append(page.extract_text() or "")
            total += len(pages[-1])
            if total > MAX_CHARS:
                raise IngestError(filename, "too_much_text", limit=MAX_CHARS)
    except IngestError:
        raise
    except FileNotDecryptedError:
        raise IngestError(filename, "encrypted") from None
    except (PdfReadError, ValueError, KeyError, TypeError, AssertionError, OSError):
        raise IngestError(filename, "corrupt") from None
    sections = [Section(_tidy(text), page=i) for i, text in enumerate(pages, start=1)]
    empty = [s.page for s in sections if not s.text.strip()]
    warnings = []
    if empty and len(empty) < len(pages):
        shown = ", ".join(str(p) for p in empty[:10]) + (" …" if len(empty) > 10 else "")
        warnings.append(f"{len(empty)} side(r) uden tekst blev sprunget over (side {shown})")
    title = (reader.metadata.title if reader.metadata else None) or None
    return LoadedSource("pdf", sections, title=title, pages=len(pages), warnings=warnings)


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

    for paragraph in document.paragraphs:
        text = paragraph.text.strip()
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        if not text:
            continue
        level = _docx_level(style)
        if level is not None:
            flush()
            heading = path.enter(level, text)
        else:
            lines.append(text)
    flush()
    for table in document.tables:
        rows = [" | ".join(cell.text.strip() for cell in row.cells) for row in table.rows]
        if any(r.strip(" |") for r in rows):
            sections.append(Section("\n".join(rows), heading="Tabel"))
    title = document.core_properties.title or None
    return LoadedSource("docx", sections, title=title)


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


BLOCK_TAGS = ("h1", "h2", "h3", "h4", "p", "li", "pre", "blockquote", "td", "th", "dd", "dt")
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
        text = " ".join(el.get_text(" ", strip=True).split())
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


def _markdown(filename: str, data: bytes) -> LoadedSource:
    text, warnings = _decode(data)
    sections: list[Section] = []
    heading: str | None = None
    title: str | None = None
    lines: list[str] = []
    in_code = False
    path = HeadingPath()
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            in_code = not in_code
        match = None if in_code else HEADING.match(line)
        if match:
            if "\n".join(lines).strip():
                sections.append(Section(_tidy("\n".join(lines)), heading=heading))
            lines = []
            heading = path.enter(len(match.group(1)), match.group(2))
            if title is None and len(match.group(1)) == 1:
                title = match.group(2)
        else:
            lines.append(line)
    if "\n".join(lines).strip():
        sections.append(Section(_tidy("\n".join(lines)), heading=heading))
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
