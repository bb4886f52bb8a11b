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


def docx(blocks: list[tuple[str, str]]) -> bytes:
    """``blocks``: (kind, text) with kind "h1", "h2" or "p"."""
    import docx as python_docx

    document = python_docx.Document()
    for kind, text in blocks:
        if kind.startswith("h"):
            document.add_heading(text, level=int(kind[1]))
        else:
            document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
