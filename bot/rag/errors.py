"""Why a source could not be ingested; the words are in ``bot.messages`` (``ingest_<reason>``)."""

from __future__ import annotations


class IngestError(Exception):
    """A source was refused; nothing of it was stored."""

    def __init__(self, filename: str, reason: str, **values: object) -> None:
        super().__init__(f"{filename}: {reason}")
        self.filename = filename
        self.reason = reason
        self.values = values

    def message(self, locale: str = "da") -> str:
        from bot.messages import t

        reason = t(f"ingest_{self.reason}", locale, **self.values)
        return t("ingest_refused", locale, filename=self.filename, reason=reason)
