"""The settings a Builder may change with ``/indstil``: their ranges, defaults and names (one
definition, used by the commands, the settings card, skills-as-code and the table's defaults)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.domain import AppError, Outcome


@dataclass(frozen=True)
class Tunable:
    field: str
    kind: type
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    choices_en: tuple[str, ...] = ()  # the same choices as an English reply shows them (parsed too)

    def shown_choices(self, locale: str) -> tuple[str, ...]:
        return self.choices_en if locale == "en" and self.choices_en else self.choices

    def describe(self, locale: str, key: str) -> str:
        from bot.messages import t

        text = t(f"tunable_{key}", locale)
        if self.choices:
            return f"{text} ({' | '.join(self.shown_choices(locale))})"
        if self.low is not None:
            return f"{text} ({fmt(self.low)}–{fmt(self.high)})"
        return text

    def check(self, value: float) -> None:
        if (self.low is not None and value < self.low) or (self.high is not None and value > self.high):
            raise AppError(
                Outcome.INVALID, "setting_range", name=self.field, low=fmt(self.low), high=fmt(self.high)
            )


def fmt(value: float | None) -> str:
    return "" if value is None else (str(int(value)) if float(value).is_integer() else str(value))


TUNABLES: dict[str, Tunable] = {
    "temperatur": Tunable("temperature", float, 0.0, 2.0),
    "top_k": Tunable("top_k", int, 1, 20),
    "chunk_size": Tunable("chunk_size", int, 200, 4000),
    "chunk_overlap": Tunable("chunk_overlap", int, 0, 1000),
    "model": Tunable("model_id", str),
    "navn": Tunable("name", str),
    "beskrivelse": Tunable("description", str),
    "afdeling": Tunable("department", str),
    "status": Tunable("status", str, choices=("kladde", "udgivet"), choices_en=("draft", "published")),
    "cpr_i_kilder": Tunable("source_cpr", str, choices=("afvis", "skjul"), choices_en=("refuse", "redact")),
}
# The keys as English replies name them (each is also an alias below, so what is shown can be typed).
ENGLISH_KEYS = {
    "temperatur": "temperature",
    "navn": "name",
    "beskrivelse": "description",
    "afdeling": "department",
    "cpr_i_kilder": "cpr_in_sources",
}
ALIASES = {
    "temperature": "temperatur",
    "name": "navn",
    "description": "beskrivelse",
    "department": "afdeling",
    "topk": "top_k",
    "top-k": "top_k",
    "chunksize": "chunk_size",
    "chunkoverlap": "chunk_overlap",
    "cpr_in_sources": "cpr_i_kilder",
}
SOURCE_CPR_VALUES = {"afvis": "refuse", "refuse": "refuse", "skjul": "redact", "redact": "redact"}
STATUS_VALUES = {"kladde": "draft", "draft": "draft", "udgivet": "published", "published": "published"}
RANGES = {t.field: (t.low, t.high) for t in TUNABLES.values() if t.low is not None}


def shown_key(key: str, locale: str = "da") -> str:
    """A setting's key in the reader's language (``temperatur`` / ``temperature``)."""
    return ENGLISH_KEYS.get(key, key) if locale == "en" else key


def allowed_keys_text(locale: str = "da") -> str:
    return "; ".join(f"{shown_key(key, locale)}: {t.describe(locale, key)}" for key, t in TUNABLES.items())


def parse_setting(
    key: str, raw: str, model_ids: list[str], chunk_size: int, chunk_overlap: int, locale: str = "da"
) -> tuple[str, Any]:
    """Validate ``/indstil <key> <value>``; return (field, value) or raise ``AppError(INVALID)``."""
    name = ALIASES.get(key.casefold(), key.casefold())
    tunable = TUNABLES.get(name)
    if tunable is None:
        raise AppError(Outcome.INVALID, "setting_unknown", key=key, allowed=allowed_keys_text(locale))
    raw = raw.strip()
    if not raw:
        raise AppError(
            Outcome.INVALID,
            "setting_needs_value",
            name=shown_key(name, locale),
            help=tunable.describe(locale, name),
        )
    value: Any
    if tunable.kind in (int, float):
        try:
            value = tunable.kind(raw.replace(",", "."))
        except ValueError:
            raise AppError(
                Outcome.INVALID,
                "setting_number",
                name=shown_key(name, locale),
                help=tunable.describe(locale, name),
            ) from None
        try:
            tunable.check(value)
        except AppError as exc:
            exc.values["name"] = shown_key(name, locale)
            raise
    elif name == "status":
        if raw.casefold() not in STATUS_VALUES:
            raise AppError(
                Outcome.INVALID, "setting_status", choices=", ".join(tunable.shown_choices(locale))
            )
        value = STATUS_VALUES[raw.casefold()]
    elif name == "cpr_i_kilder":
        if raw.casefold() not in SOURCE_CPR_VALUES:
            raise AppError(
                Outcome.INVALID,
                "setting_choice",
                name=shown_key(name, locale),
                choices=", ".join(tunable.shown_choices(locale)),
            )
        value = SOURCE_CPR_VALUES[raw.casefold()]
    elif name == "model":
        if raw not in model_ids:
            raise AppError(Outcome.INVALID, "setting_model_unknown", model=raw, known=", ".join(model_ids))
        value = raw
    else:
        value = raw[:2000]
    if name == "chunk_overlap" and value >= chunk_size:
        raise AppError(Outcome.INVALID, "setting_overlap", size=chunk_size)
    if name == "chunk_size" and value <= chunk_overlap:
        raise AppError(Outcome.INVALID, "setting_size", overlap=chunk_overlap)
    return tunable.field, value
