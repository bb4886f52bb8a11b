"""Why a source could not be ingested, in words a Builder understands (Danish and English)."""

from __future__ import annotations

REASONS: dict[str, dict[str, str]] = {
    "empty": {"da": "filen er tom", "en": "the file is empty"},
    "no_text": {"da": "filen indeholder ingen tekst", "en": "the file contains no text"},
    "scanned_pdf": {
        "da": "PDF'en indeholder ingen tekst, kun billeder (den er nok skannet). Kør tekstgenkendelse (OCR) "
        "på den, og send den igen",
        "en": "the PDF contains no text, only images (it is probably scanned). Run text recognition (OCR) "
        "on it and send it again",
    },
    "corrupt": {
        "da": "filen kan ikke læses; den er måske beskadiget eller ikke den filtype, navnet siger",
        "en": "the file cannot be read; it may be damaged or not the type its name says",
    },
    "encrypted": {
        "da": "filen er beskyttet med adgangskode. Fjern beskyttelsen, og send den igen",
        "en": "the file is password-protected. Remove the protection and send it again",
    },
    "unsupported": {
        "da": "filtypen {ext} understøttes ikke (understøttet: PDF, Word (.docx), HTML, Markdown og tekst)",
        "en": "the file type {ext} is not supported (supported: PDF, Word (.docx), HTML, Markdown and text)",
    },
    "too_large": {
        "da": "filen fylder {size_mb:.1f} MB; grænsen er {limit_mb} MB",
        "en": "the file is {size_mb:.1f} MB; the limit is {limit_mb} MB",
    },
    "download_failed": {
        "da": "filen kunne ikke hentes fra Teams ({detail})",
        "en": "the file could not be downloaded from Teams ({detail})",
    },
}


class IngestError(Exception):
    """A source was refused; nothing of it was stored."""

    def __init__(self, filename: str, reason: str, **values: object) -> None:
        super().__init__(f"{filename}: {reason}")
        self.filename = filename
        self.reason = reason
        self.values = values

    def message(self, locale: str = "da") -> str:
        text = REASONS[self.reason].get(locale, REASONS[self.reason]["da"]).format(**self.values)
        if locale == "en":
            return f"'{self.filename}' was not added: {text}."
        return f"'{self.filename}' blev ikke tilføjet: {text}."
