"""Build real test documents (PDF, DOCX, HTML) in memory."""

from __future__ import annotations

import io


def pdf(pages: list[str], title: str | None = None) -> bytes:
    from fpdf import FPDF

    doc = FPDF()
    if title:
        doc.set_title(title)
    doc.set_font("helvetica", size=11)
    for text in pages:
        doc.add_page()
        if text:
            doc.multi_cell(0, 6, text)
    return bytes(doc.output())


def scanned_pdf(n_pages: int = 2) -> bytes:
    """Pages with only graphics, no text layer: what a scanner without OCR produces."""
    from fpdf import FPDF

    doc = FPDF()
    for _ in range(n_pages):
        doc.add_page()
        doc.set_fill_color(40, 40, 40)
        doc.rect(20, 20, 150, 200, style="F")
    return bytes(doc.output())


def encrypted_pdf(text: str, password: str = "hemmelig") -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(pdf([text]))).pages:
        writer.add_page(page)
    writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


HEADING_SIZES = {"h1": 20, "h2": 15, "h3": 13}


def pdf_with_headings(pages: list[list[tuple[str, str]]], title: str | None = None) -> bytes:
    """Pages of (kind, text) blocks: "h1"–"h3" in larger bold type, "p" in 11 pt, as a word processor
    exports them (no outline, headings told only by their size)."""
    from fpdf import FPDF

    doc = FPDF()
    if title:
        doc.set_title(title)
    for blocks in pages:
        doc.add_page()
        for kind, text in blocks:
            size = HEADING_SIZES.get(kind, 11)
            doc.set_font("helvetica", "B" if kind in HEADING_SIZES else "", size=size)
            doc.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
            doc.ln(2)
    return bytes(doc.output())


def docx(blocks: list[tuple[str, str | list[list[str]]]], title: str | None = None) -> bytes:
    """``blocks``: (kind, text) with kind "title", "h1"–"h3" or "p", or ("table", rows)."""
    import docx as python_docx

    document = python_docx.Document()
    if title:
        document.core_properties.title = title
    for kind, content in blocks:
        if kind == "table":
            assert isinstance(content, list)
            table = document.add_table(rows=len(content), cols=len(content[0]))
            for r, row in enumerate(content):
                for c, cell in enumerate(row):
                    table.cell(r, c).text = cell
        elif kind == "title":
            document.add_heading(str(content), level=0)
        elif kind.startswith("h"):
            document.add_heading(str(content), level=int(kind[1]))
        else:
            document.add_paragraph(str(content))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
