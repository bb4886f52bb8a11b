"""The settings a Builder may change with ``/indstil``, their ranges and Danish names."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.specialists.errors import SpecialistError


@dataclass(frozen=True)
class Tunable:
    field: str
    kind: type
    help: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.choices:
            return f"{self.help} ({' | '.join(self.choices)})"
        if self.low is not None:
            low, high = _fmt(self.low), _fmt(self.high)
            return f"{self.help} ({low}–{high})"
        return self.help


def _fmt(value: float | None) -> str:
    return "" if value is None else (str(int(value)) if float(value).is_integer() else str(value))


TUNABLES: dict[str, Tunable] = {
    "temperatur": Tunable("temperature", float, "hvor frit modellen formulerer sig", 0.0, 2.0),
    "top_k": Tunable("top_k", int, "antal kildeuddrag pr. svar", 1, 20),
    "chunk_size": Tunable("chunk_size", int, "tegn pr. kildeuddrag ved indlæsning", 200, 4000),
    "chunk_overlap": Tunable("chunk_overlap", int, "overlap mellem uddrag i tegn", 0, 1000),
    "model": Tunable("model_id", str, "sprogmodel fra modelkataloget"),
    "navn": Tunable("name", str, "visningsnavn"),
    "beskrivelse": Tunable("description", str, "kort beskrivelse"),
    "afdeling": Tunable("department", str, "magistratsafdeling"),
    "status": Tunable("status", str, "kladde eller udgivet", choices=("kladde", "udgivet")),
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
}
STATUS_VALUES = {"kladde": "draft", "draft": "draft", "udgivet": "published", "published": "published"}


def allowed_keys_text() -> str:
    return "; ".join(f"{key}: {t.describe()}" for key, t in TUNABLES.items())


def parse_setting(
    key: str, raw: str, model_ids: list[str], chunk_size: int, chunk_overlap: int
) -> tuple[str, Any]:
    """Validate ``/indstil <key> <value>``; return (field, value) or raise ``SpecialistError``."""
    name = ALIASES.get(key.casefold(), key.casefold())
    tunable = TUNABLES.get(name)
    if tunable is None:
        raise SpecialistError(f"Ukendt indstilling '{key}'. Tilladte: {allowed_keys_text()}.")
    raw = raw.strip()
    if not raw:
        raise SpecialistError(f"Angiv en værdi for {name}: {tunable.describe()}.")
    value: Any
    if tunable.kind in (int, float):
        try:
            value = tunable.kind(raw.replace(",", "."))
        except ValueError:
            raise SpecialistError(f"{name} skal være et tal: {tunable.describe()}.") from None
        if (tunable.low is not None and value < tunable.low) or (
            tunable.high is not None and value > tunable.high
        ):
            raise SpecialistError(
                f"{name} skal ligge i intervallet {_fmt(tunable.low)}–{_fmt(tunable.high)}."
            )
    elif name == "status":
        if raw.casefold() not in STATUS_VALUES:
            raise SpecialistError(f"status skal være en af: {', '.join(tunable.choices)}.")
        value = STATUS_VALUES[raw.casefold()]
    elif name == "model":
        if raw not in model_ids:
            known = ", ".join(model_ids) or "ingen – der er ikke forbundet nogen sprogmodel"
            raise SpecialistError(f"Modellen '{raw}' findes ikke i modelkataloget. Kendte modeller: {known}.")
        value = raw
    else:
        value = raw[:2000]
    if name == "chunk_overlap" and value >= chunk_size:
        raise SpecialistError(f"chunk_overlap skal være mindre end chunk_size ({chunk_size}).")
    if name == "chunk_size" and value <= chunk_overlap:
        raise SpecialistError(f"chunk_size skal være større end chunk_overlap ({chunk_overlap}).")
    return tunable.field, value
