"""Split sections into passages of the specialist's size and overlap, never across a heading or page."""

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
        for piece in splitter.split_text(section.text):
            if piece.strip():
                heading = section.heading[:500] if section.heading else None
                passages.append(Passage(piece.strip(), len(passages), section.page, heading))
    return passages
