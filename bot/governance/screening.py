"""Screening before publishing: purpose, data categories, legal basis, DPIA, responsible person.

The answers set the specialist's data classification, which decides which models may see it:
``offentlig`` < ``intern`` < ``fortrolig`` < ``personfølsom``.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain import AppError, Classification, Outcome, Status
from bot.governance import content
from bot.messages import Msg, Words
from bot.specialists import SpecialistStore
from bot.store import Database
from bot.store.models import Screening, Specialist, utcnow

DATA_CATEGORIES = ("ingen", "almindelige", "følsomme", "cpr")
CATEGORY_ALIASES = {
    "ingen": "ingen",
    "none": "ingen",
    "almindelige": "almindelige",
    "almindelig": "almindelige",
    "følsomme": "følsomme",
    "foelsomme": "følsomme",
    "følsom": "følsomme",
    "sensitive": "følsomme",
    "art9": "følsomme",
    "ordinary": "almindelige",
    "cpr": "cpr",
}
KEYS = {
    "formål": "purpose",
    "data": "data",
    "kilder": "sources",
    "hjemmel": "legal_basis",
    "dpia": "dpia",
    "ansvarlig": "responsible",
}
ALIASES = {"formaal": "purpose", "purpose": "purpose", "sources": "sources", "legal": "legal_basis"}
ALIASES |= {"legal_basis": "legal_basis", "responsible": "responsible"}
USAGE = Msg("screening_usage")


def classify(categories: list[str], public_sources: bool) -> Classification:
    """Sensitive data (GDPR art. 9) or CPR numbers: personfølsom; ordinary personal data: fortrolig;
    no personal data: offentlig when every source is public, otherwise intern."""
    if "følsomme" in categories or "cpr" in categories:
        return Classification.PERSONFOELSOM
    if "almindelige" in categories:
        return Classification.FORTROLIG
    return Classification.OFFENTLIG if public_sources else Classification.INTERN


@dataclass(frozen=True)
class ScreeningAnswers:
    purpose: str
    categories: list[str]
    public_sources: bool
    legal_basis: str
    dpia_needed: bool
    responsible: str

    @property
    def classification(self) -> Classification:
        return classify(self.categories, self.public_sources)


def categories(raw: list[str]) -> list[str]:
    found = []
    for item in raw:
        category = CATEGORY_ALIASES.get(item.strip().casefold())
        if category is None:
            allowed = Words(*(f"data_category_{c}" for c in DATA_CATEGORIES))
            raise AppError(Outcome.INVALID, "screening_category", item=item.strip(), allowed=allowed)
        found.append(category)
    if "ingen" in found and len(found) > 1:
        raise AppError(Outcome.INVALID, "screening_none_alone")
    return found


def parse(text: str) -> ScreeningAnswers:
    """``key=value; key=value``; every key is required. Raises ``AppError`` naming what is wrong."""
    values: dict[str, str] = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        name = KEYS.get(key.strip().casefold()) or ALIASES.get(key.strip().casefold())
        if not sep or name is None:
            raise AppError(Outcome.INVALID, "screening_unparsable", part=part.strip(), usage=USAGE)
        values[name] = value.strip()
    return _answers(values)


def from_form(form: dict[str, object]) -> ScreeningAnswers:
    """The screening card's fields (its ids are ``KEYS``, as ``/screening`` names them) through the
    same checks as the text. A multi-select sends ``a,b``; a toggle sends ``ja``/``nej``."""
    values = {name: str(form.get(key) or "").strip() for key, name in KEYS.items()}
    return _answers({k: v for k, v in values.items() if v or k in ("purpose", "legal_basis", "responsible")})


def _answers(values: dict[str, str]) -> ScreeningAnswers:
    missing = [k for k, v in KEYS.items() if v not in values]
    if missing:
        names = Words(*(f"screening_key_{KEYS[k]}" for k in missing))
        raise AppError(Outcome.INVALID, "screening_missing", missing=names, usage=USAGE)
    found = categories(values["data"].split(","))
    dpia = values["dpia"].casefold()
    if dpia not in ("ja", "nej", "yes", "no"):
        raise AppError(Outcome.INVALID, "screening_dpia")
    sources = values["sources"].casefold()
    if sources not in ("offentlige", "interne", "public", "internal"):
        raise AppError(Outcome.INVALID, "screening_sources")
    for key in ("purpose", "legal_basis", "responsible"):
        if not values[key]:
            raise AppError(Outcome.INVALID, "screening_fill", key=Msg(f"screening_key_{key}"), usage=USAGE)
    return ScreeningAnswers(
        values["purpose"],
        found,
        sources in ("offentlige", "public"),
        values["legal_basis"],
        dpia in ("ja", "yes"),
        values["responsible"],
    )


def save(
    db: Database, specialists: SpecialistStore, spec: Specialist, answers: ScreeningAnswers, actor: str
) -> Specialist:
    """Store the screening and set the classification. A new screening needs a new approval, and a
    published specialist goes back to draft until it is published again."""
    with db.session() as s:
        row = s.get(Screening, spec.id) or Screening(
            specialist_id=spec.id,
            purpose="",
            data_categories="",
            legal_basis="",
            responsible="",
            completed_by=actor,
        )
        row.purpose, row.data_categories = answers.purpose, ",".join(answers.categories)
        row.public_sources, row.legal_basis = answers.public_sources, answers.legal_basis
        row.dpia_needed, row.responsible = answers.dpia_needed, answers.responsible
        row.completed_by, row.completed_at = actor, utcnow()
        s.add(row)
        s.commit()
    return specialists.update(
        spec.id,
        classification=answers.classification,
        approved_by=None,  # type: ignore[arg-type]
        approved_at=None,
        status=Status.DRAFT,
    )


def of(db: Database, specialist_id: int | None) -> Screening | None:
    with db.session() as s:
        return s.get(Screening, specialist_id) if specialist_id is not None else None


def differs(row: Screening | None, answers: ScreeningAnswers) -> bool:
    if row is None:
        return True
    return (
        row.purpose,
        row.data_categories,
        row.public_sources,
        row.legal_basis,
        row.dpia_needed,
        row.responsible,
    ) != (
        answers.purpose,
        ",".join(answers.categories),
        answers.public_sources,
        answers.legal_basis,
        answers.dpia_needed,
        answers.responsible,
    )


def sees_no_personal_data(row: Screening | None) -> bool:
    """The screening says the specialist sees no personal data (``data=ingen``): the classification
    it gives may not hold any (``bot.governance.content``, the one place that decides)."""
    if row is None:
        return False
    return screened_clean(row.data_categories, row.public_sources)


def screened_clean(data_categories: str, public_sources: bool) -> bool:
    """``sees_no_personal_data`` on a screening's two columns (as a turn's context reads them)."""
    return not content.holds_personal_data(classify(data_categories.split(","), public_sources))
