"""Split sections into passages of the specialist's size and overlap, never across a heading or page.

A table is packed by whole rows, each passage starting with the table's header row, so a row is never
cut from its columns' names (only a row longer than a passage on its own is split, header kept). Lists
split between items: the splitter prefers line breaks to sentences."""

from __future__ import annotations

from dataclasses import dataclass

from langchain_text_splitters import RecursiveCharacterTextSplitter

from bot.rag.loaders import Section

# Paragraphs first, then lines, then sentences, then words: the splitter keeps the largest unit it can.
SEPARATORS = ["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", ""]


@dataclass(frozen=True)
class Passage:
    text: str
    ordinal: int
    page: int | None = None
    heading: str | None = None

    @property
    def index_text(self) -> str:
        """What is embedded and indexed: the heading gives a short passage its context."""
        return f"{self.heading}\n{self.text}" if self.heading else self.text


def split(sections: list[Section], chunk_size: int, chunk_overlap: int) -> list[Passage]:
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=chunk_size,
        chunk_overlap=min(chunk_overlap, chunk_size // 2),
        separators=SEPARATORS,
        keep_separator="end",
        strip_whitespace=True,
    )
    passages: list[Passage] = []
    for section in sections:
        heading = section.heading[:500] if section.heading else None
        pieces = (
            _table_pieces(section.table_header, section.text, chunk_size, splitter)
            if section.table_header is not None
            else splitter.split_text(section.text)
        )
        for piece in pieces:
            if piece.strip():
                passages.append(Passage(piece.strip(), len(passages), section.page, heading))
    return passages


def _table_pieces(
    header: str, rows_text: str, chunk_size: int, splitter: RecursiveCharacterTextSplitter
) -> list[str]:
    """Whole rows under the header, as many as fit in ``chunk_size``."""
    room = max(chunk_size - len(header) - 1, chunk_size // 2)
    pieces: list[str] = []
    rows: list[str] = []
    size = 0
    for row in rows_text.split("\n"):
        if rows and size + len(row) + 1 > room:
            pieces.append("\n".join([header, *rows]))
            rows, size = [], 0
        if len(row) > room:  # a row longer than a passage: split it, each part under the header
            pieces.extend(f"{header}\n{part}" for part in splitter.split_text(row))
            continue
        rows.append(row)
        size += len(row) + 1
    if rows:
        pieces.append("\n".join([header, *rows]))
    return pieces
