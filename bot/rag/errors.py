"""Why a source could not be ingested; the words are in ``bot.messages`` (``ingest_<reason>``)."""

from __future__ import annotations

from bot.errors import AarhusAIError, Outcome
from bot.messages import Msg


class IngestError(AarhusAIError):
    """A source was refused; nothing of it was stored. ``values`` fill in the reason's message."""

    key = "ingest_refused"
    outcome = Outcome.INVALID

    def __init__(self, filename: str, reason: str, **values: object) -> None:
        super().__init__(f"{filename}: {reason}")
        self.filename = filename
        self.reason = reason
        self.values = values

    def params(self) -> dict[str, object]:
        return {"filename": self.filename, "reason": Msg(f"ingest_{self.reason}", **self.values)}

    def message(self, locale: str = "da") -> str:
        """The older name of ``render``."""
        return self.render(locale)
