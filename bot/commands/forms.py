"""The Builder's forms: settings (``/indstil``), screening (``/screening``) and sharing (``/del``) as
cards, and what a submitted card does.

A form is card data (``{"type": "form", ...}``, rendered by ``bot.teams.cards.form_card``, shown as text
in a terminal). A submitted form goes to the same service as the command, with the same validation
and audit; the dispatcher finds its handler in ``SUBMITTED`` by the card's ``aarhusai`` action.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.commands import insights
from bot.commands.registry import CommandContext
from bot.conversation.types import Reply
from bot.domain import Classification, Sharing
from bot.governance import screening
from bot.messages import t
from bot.services.specialists import SettingsView
from bot.store.models import Screening, Specialist
from bot.tunables import TUNABLES, fmt


def _form(
    title: str, fields: list[dict[str, Any]], save: str, action: str, slug: str, **extra: Any
) -> dict[str, Any]:
    return {
        "type": "form",
        "title": title,
        "fields": fields,
        "submit": {"title": save, "data": {"aarhusai": action, "slug": slug}},
        **extra,
    }


def _number(key: str, label: str, value: float) -> dict[str, Any]:
    """A numeric setting with its range from ``bot.tunables`` (one definition for command and card)."""
    tunable = TUNABLES[key]
    return {
        "kind": "number",
        "id": key,
        "label": f"{label} ({fmt(tunable.low)}–{fmt(tunable.high)})",
        "value": value,
        "min": tunable.low,
        "max": tunable.high,
    }


def settings(view: SettingsView, locale: str, intro: str = "") -> dict[str, Any]:
    """Every setting a Builder may change, with its current value and range; the model choice lists
    the catalogue's models cleared for the specialist's data by name."""
    spec = view.spec

    def m(key: str, /, **values: object) -> str:
        return t(f"card_{key}", locale, **values)

    classification = Classification(spec.classification)
    if view.models:
        choices = [{"title": m("default_model"), "value": ""}]
        for model in view.models:
            if model.may_see:
                choices.append({"title": f"{model.name} ({model.id})", "value": model.id})
            elif model.id == spec.model_id:  # chosen before a screening raised the classification
                shown = m("model_not_cleared", model=model.name, classification=classification)
                choices.append({"title": shown, "value": model.id})
        model_field: dict[str, Any] = {
            "kind": "choice",
            "id": "model",
            "label": m("model"),
            "choices": choices,
            "value": spec.model_id or "",
            "help": m("models_cleared", classification=classification),
        }
    else:
        model_field = {"kind": "note", "label": m("no_models")}
    cpr = TUNABLES["cpr_i_kilder"]
    fields: list[dict[str, Any]] = [
        {"kind": "text", "id": "navn", "label": m("name"), "value": spec.name, "max": 120},
        {
            "kind": "text",
            "id": "beskrivelse",
            "label": m("description"),
            "value": spec.description,
            "max": 500,
        },
        {
            "kind": "text",
            "id": "prompt",
            "label": m("prompt"),
            "value": view.prompt.text,
            "max": 8000,
            "multiline": True,
        },
        model_field,
        _number("temperatur", m("temperature"), spec.temperature),
        _number("top_k", m("top_k"), spec.top_k),
        _number("chunk_size", m("chunk_size"), spec.chunk_size),
        _number("chunk_overlap", m("chunk_overlap"), spec.chunk_overlap),
        {
            "kind": "choice",
            "id": "cpr_i_kilder",
            "label": m("cpr"),
            "choices": [{"title": m(f"cpr_{choice}"), "value": choice} for choice in cpr.choices],
            "value": "skjul" if spec.source_cpr == "redact" else "afvis",
        },
    ]
    return _form(m("title", name=spec.name), fields, m("save"), "save_settings", spec.slug, intro=intro)


def screening_form(spec: Specialist, row: Screening | None, locale: str, intro: str = "") -> dict[str, Any]:
    """The screening's six answers; filled in with the last screening's, when there is one."""

    def m(key: str, /, **values: object) -> str:
        return t(f"screening_{key}", locale, **values)

    public = row.public_sources if row else False
    fields: list[dict[str, Any]] = [
        {"kind": "text", "id": "formål", "label": m("field_purpose"), "value": row.purpose if row else ""},
        {
            "kind": "choice",
            "id": "data",
            "label": m("field_data"),
            "choices": [{"title": m(f"choice_{c}"), "value": c} for c in screening.DATA_CATEGORIES],
            "value": row.data_categories if row else "",
            "multi": True,
            "expanded": True,
        },
        {
            "kind": "choice",
            "id": "kilder",
            "label": m("field_sources"),
            "choices": [
                {"title": t("public_sources", locale), "value": "offentlige"},
                {"title": t("internal_sources", locale), "value": "interne"},
            ],
            "value": "offentlige" if public else "interne",
            "expanded": True,
        },
        {"kind": "text", "id": "hjemmel", "label": m("field_legal"), "value": row.legal_basis if row else ""},
        {
            "kind": "toggle",
            "id": "dpia",
            "label": "DPIA",
            "title": m("field_dpia"),
            "value": "ja" if row and row.dpia_needed else "nej",
            "on": "ja",
            "off": "nej",
        },
        {
            "kind": "text",
            "id": "ansvarlig",
            "label": m("field_responsible"),
            "value": row.responsible if row else "",
            "max": 200,
        },
    ]
    return _form(
        m("card_title", name=spec.name),
        fields,
        m("card_save"),
        "screening",
        spec.slug,
        intro=intro,
        help=m("card_help"),
    )


def sharing_form(spec: Specialist, in_team: bool, locale: str, intro: str = "") -> dict[str, Any]:
    """The sharing levels; ``team`` only where the card is shown in a channel or group chat (the team
    is the conversation the choice is made in)."""
    levels = [s for s in Sharing if in_team or s != Sharing.TEAM or spec.sharing == Sharing.TEAM]
    field: dict[str, Any] = {
        "kind": "choice",
        "id": "deling",
        "label": t("sharing_field", locale),
        "choices": [{"title": t(f"sharing_choice_{s.value}", locale), "value": s.value} for s in levels],
        "value": spec.sharing,
        "expanded": True,
    }
    if not in_team:
        field["help"] = t("sharing_team_elsewhere", locale)
    return _form(
        t("sharing_card_title", locale, name=spec.name),
        [field],
        t("sharing_card_save", locale),
        "share",
        spec.slug,
        intro=intro,
    )


# -- submitted forms --------------------------------------------------------------------------------
async def settings_submitted(ctx: CommandContext, form: dict[str, object]) -> Reply:
    saved = await ctx.app.specialists.asave_settings_form(ctx.actor, form)
    parts = []
    if saved.changes:
        parts.append(", ".join(f"{k} = {v}" for k, v in saved.changes.items()))
    if saved.prompt_version is not None:
        parts.append(t("prompt_version_part", ctx.locale, version=saved.prompt_version))
    note = t("chunk_note", ctx.locale) if {"chunk_size", "chunk_overlap"} & saved.changes.keys() else ""
    return Reply(
        t("settings_saved", ctx.locale, name=saved.spec.name, saved="; ".join(parts)) + note, kind="command"
    )


async def screening_submitted(ctx: CommandContext, form: dict[str, object]) -> Reply:
    done = await ctx.app.publishing.ascreen_form(ctx.actor, form)
    dpia = t("dpia_reminder", ctx.locale) if done.answers.dpia_needed else ""
    return ctx.reply(
        "screening_saved", name=done.spec.name, classification=done.spec.classification, dpia=dpia
    )


async def sharing_submitted(ctx: CommandContext, form: dict[str, object]) -> Reply:
    shared = await ctx.app.publishing.ashare_form(ctx.actor, form)
    note = t("needs_new_approval", ctx.locale) if shared.needs_approval else ""
    return ctx.reply("shared", name=shared.spec.name, sharing=shared.sharing, note=note)


Submitted = Callable[[CommandContext, dict[str, object]], Awaitable[Reply]]
# A submitted card's ``aarhusai`` action → its handler and the command it stands for (in errors).
SUBMITTED: dict[str, tuple[Submitted, str]] = {
    "save_settings": (settings_submitted, "indstil"),
    "screening": (screening_submitted, "screening"),
    "share": (sharing_submitted, "del"),
    insights.VERIFIED_ACTION: (insights.verified_submitted, "indsigt"),
}
