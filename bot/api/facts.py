"""The "Om specialisten" facts as the API doors show them: the ``aarhusai`` object of
``/v1/models/{id}`` and MCP's ``list_specialists``, from the one service that produces them
(``bot.services.about``)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from bot.messages import t, t_enum
from bot.services.about import About


class SpecialistFacts(BaseModel):
    """What a case system must be able to show its users about who answers them and with what."""

    purpose: str = Field(description="What the specialist is for (its risk screening's purpose).")
    owner: str | None = Field(None, description="Who owns it.")
    responsible: str | None = Field(None, description="Who its risk screening names as responsible.")
    department: str | None = None
    status: str = Field(description="draft or published")
    sources: int = Field(description="How many documents it answers from.")
    newest_source: str | None = Field(None, description="When its newest document was added (ISO 8601).")
    classification: str = Field(description="The highest data classification it may see.")
    classification_label: str = Field(description="That classification in words, in the caller's language.")
    model: str | None = Field(None, description="The catalogue model that answers for it (null: none).")
    model_name: str | None = Field(None, description="The model's name as the catalogue gives it.")
    model_location: str | None = Field(None, description="Where the model runs, as the catalogue says.")
    screened_at: str | None = Field(None, description="Its last risk screening (ISO 8601; null: none).")


def facts_out(about: About, locale: str) -> SpecialistFacts:
    c = about.classification
    return SpecialistFacts(
        purpose=about.purpose,
        owner=about.owner,
        responsible=about.responsible,
        department=about.department,
        status=about.status,
        sources=about.sources,
        newest_source=about.newest_source.isoformat() if about.newest_source else None,
        classification=c.value,
        classification_label=f"{t_enum(c, locale).capitalize()}: {t(f'label_{c.value}', locale)}",
        model=about.model_id,
        model_name=about.model_name,
        model_location=about.model_location,
        screened_at=about.screened_at.isoformat() if about.screened_at else None,
    )
