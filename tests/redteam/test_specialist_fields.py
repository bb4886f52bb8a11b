"""Class 2: a specialist's own name, slug, description, prompt and test questions are content it holds.

A CPR number there is refused when it is set on a specialist below ``fortrolig`` (whatever
``cpr_i_kilder`` says: a Builder types these, they are never rewritten behind their back), refused at
every transition that lowers the classification, and never part of a slug at any classification.
Each case asserts on what is stored and what the audit says, and that the refusal names no number.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from bot.domain import AppError
from bot.services import Actor
from bot.store.models import Specialist
from tests.redteam.conftest import BUILDER_A, CPR, SCREEN, Municipality, municipality

__all__ = ["municipality"]

DIGITS = CPR.replace("-", "")
WHO = Actor(BUILDER_A)


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _screened(town: Municipality, name: str, cpr_i_kilder: str) -> Specialist:
    """A fresh specialist screened as seeing no personal data (``intern``)."""
    app = town.services.app
    spec = app.specialists.create(WHO, name)
    app.specialists.configure(WHO, "cpr_i_kilder", cpr_i_kilder, spec.slug)
    app.publishing.screen(WHO, SCREEN.format(data="ingen"), spec.slug)
    return app.specialists.lookup(WHO, spec.slug)  # type: ignore[return-value]


def _refused_audits(town: Municipality) -> list[dict[str, object]]:
    events = town.services.stores.audit.events(action="source.pii_found")
    return [json.loads(e.details) for e in events if json.loads(e.details).get("fields")]


# (field, how it is set on a specialist below fortrolig, how to read it back)
SETTERS: list[tuple[str, Callable[[Municipality, str, str], object], Callable[[Municipality, str], str]]] = [
    (
        "name",
        lambda town, slug, value: town.services.app.specialists.configure(WHO, "navn", value, slug),
        lambda town, slug: town.services.app.specialists.lookup(WHO, slug).name,  # type: ignore[union-attr]
    ),
    (
        "description",
        lambda town, slug, value: town.services.app.specialists.configure(WHO, "beskrivelse", value, slug),
        lambda town, slug: town.services.app.specialists.lookup(WHO, slug).description,  # type: ignore[union-attr]
    ),
    (
        "description",
        lambda town, slug, value: town.services.app.specialists.update_settings(
            WHO, {"description": value}, slug
        ),
        lambda town, slug: town.services.app.specialists.lookup(WHO, slug).description,  # type: ignore[union-attr]
    ),
    (
        "prompt",
        lambda town, slug, value: town.services.app.specialists.set_prompt(WHO, value, slug),
        lambda town, slug: town.services.app.specialists.prompt(WHO, slug)[1].text,
    ),
    (
        "questions",
        lambda town, slug, value: town.services.app.evaluation.add_case(WHO, value, "pas", slug),
        lambda town, slug: repr([c.question for c in town.services.app.evaluation.cases(WHO, slug)[1]]),
    ),
]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("cpr_i_kilder", ["afvis", "skjul"])
@pytest.mark.parametrize(
    ("field", "set_", "read"),
    SETTERS,
    ids=["configure-name", "configure-description", "settings", "prompt", "test-question"],
)
async def test_a_cpr_number_set_in_a_field_below_fortrolig_is_refused(
    municipality: Municipality,
    cpr_i_kilder: str,
    field: str,
    set_: Callable[[Municipality, str, str], object],
    read: Callable[[Municipality, str], str],
) -> None:
    spec = _screened(municipality, "Pas", cpr_i_kilder)
    before = read(municipality, spec.slug)
    with pytest.raises(AppError) as refused:
        set_(municipality, spec.slug, f"Sag om borgeren {CPR}, pas og kørekort")
    assert refused.value.key == "content_fields_outrank"
    assert read(municipality, spec.slug) == before
    for locale in ("da", "en"):
        assert DIGITS not in _digits(refused.value.render(locale))
    audits = _refused_audits(municipality)
    assert audits and audits[-1]["fields"] == [field] and audits[-1]["action"] == "refused"
    assert DIGITS not in _digits(json.dumps(audits))


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("field", ["name", "description", "prompt", "questions"])
async def test_screening_down_is_refused_while_a_field_holds_a_cpr_number(
    municipality: Municipality, field: str
) -> None:
    """Set while the specialist may hold personal data (unscreened: ``personfølsom``), then screened
    down: the screening is refused and nothing changes."""
    app = municipality.services.app
    spec = app.specialists.create(WHO, "Pas")
    value = f"Sag om borgeren {CPR}"
    if field == "name":
        app.specialists.configure(WHO, "navn", value, spec.slug)
    elif field == "description":
        app.specialists.configure(WHO, "beskrivelse", value, spec.slug)
    elif field == "prompt":
        app.specialists.set_prompt(WHO, value, spec.slug)
    else:
        app.evaluation.add_case(WHO, value, "688", spec.slug)
    with pytest.raises(AppError) as refused:
        app.publishing.screen(WHO, SCREEN.format(data="ingen"), spec.slug)
    assert refused.value.key == "content_fields_outrank"
    assert app.specialists.lookup(WHO, spec.slug).classification == "personfølsom"  # type: ignore[union-attr]
    assert DIGITS not in _digits(refused.value.render("da"))
    assert _refused_audits(municipality)[-1]["fields"] == [field]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_slug_never_carries_a_cpr_number(municipality: Municipality) -> None:
    app = municipality.services.app
    spec = app.specialists.create(WHO, f"Sag {CPR}")  # personfølsom until screened: the name may hold it
    assert DIGITS not in _digits(spec.slug), spec.slug
    with pytest.raises(AppError) as refused:
        app.specialists.create(WHO, "Sag", slug=f"sag-{CPR}")
    assert refused.value.key == "slug_holds_cpr"
    assert app.specialists.lookup(WHO, f"sag-{CPR}") is None
