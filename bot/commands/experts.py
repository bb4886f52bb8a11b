"""The feedback loop's doors in the conversation: the employee's form (why an answer did not help),
``/spørg-en-fagperson`` (ask a person about the last answer), the expert's answer from their card,
``/verificer`` (a Builder keeps a verified answer) and ``/indstil fagpersoner``."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.commands.registry import Arg, Command, CommandContext
from bot.conversation.types import Reply
from bot.domain import AppError
from bot.errors import AarhusAIError, Outcome, render_error
from bot.messages import t
from bot.services.handoffs import REASONS, Asked, Experts

FORM_ACTION = "feedback_form"
ANSWER_ACTION = "expert_answer"


def feedback_form(locale: str, reaction: str) -> dict[str, Any]:
    """The bot's own feedback dialog (a ``form`` card): for a 👎 a reason, a comment and "ask a
    person"; for a 👍 the comment alone."""

    def m(key: str) -> str:
        return t(key, locale)

    comment = {
        "kind": "text",
        "id": "comment",
        "label": m("feedback_form_comment"),
        "multiline": True,
        "max": 1000,
    }
    fields: list[dict[str, Any]] = [comment]
    if reaction != "like":
        reasons = [{"title": m(f"feedback_reason_{r}"), "value": r} for r in REASONS]
        fields = [
            {
                "kind": "choice",
                "id": "reason",
                "label": m("feedback_form_reason"),
                "choices": reasons,
                "expanded": True,
            },
            comment,
            {
                "kind": "toggle",
                "id": "ask_person",
                "label": m("feedback_form_person_label"),
                "title": m("feedback_form_person"),
                "value": "false",
                "on": "true",
                "off": "false",
            },
        ]
    return {
        "type": "form",
        "title": m("feedback_form_title" if reaction != "like" else "feedback_form_title_like"),
        "fields": fields,
        "submit": {"title": m("feedback_form_send"), "data": {"aarhusai": FORM_ACTION, "reaction": reaction}},
    }


def asked_reply(asked: Asked, locale: str) -> Reply:
    text = t("handoff_asked", locale, name=asked.spec.name, experts=asked.experts)
    if asked.waiting:
        text += "\n\n" + t("handoff_waiting", locale, names=", ".join(asked.waiting))
    return Reply(text, kind="command")


async def ask_expert(ctx: CommandContext) -> Reply:
    asked = await ctx.app.handoffs.aask(ctx.actor, ctx.incoming.place, ctx.args)
    return asked_reply(asked, ctx.locale)


async def expert_answered(ctx: CommandContext, form: dict[str, object]) -> Reply:
    """The expert pressed Send on the hand-off card: the answer goes to the employee; kept as a
    verified answer when ticked."""
    answered = await ctx.app.handoffs.aanswer(ctx.actor, form.get("handoff"), str(form.get("svar") or ""))
    row, locale = answered.handoff, ctx.locale
    text = t("handoff_sent", locale, asker=row.asker_name or row.asker_id)
    if str(form.get("verificer") or "").casefold() == "true":
        try:
            await ctx.app.verified.save_verified(
                ctx.actor, answered.spec.slug, row.question, row.reply or "", handoff_id=row.id
            )
            text += "\n\n" + t("verified_saved", locale, name=answered.spec.name)
        except AarhusAIError as exc:  # the content policy's refusal too: the answer has gone already
            text += "\n\n" + render_error(exc, locale)
    return Reply(text, kind="command")


async def verify(ctx: CommandContext) -> Reply:
    """``/verificer <spørgsmål> | <svar> [| <revisionsdato>]`` for the specialist being edited."""
    parts = [p.strip() for p in ctx.args.split("|")]
    if len(parts) < 2 or not parts[0] or not parts[1]:
        return ctx.reply("usage_verificer_hint", "notice")
    review: date | None = None
    if len(parts) > 2 and parts[2]:
        try:
            review = date.fromisoformat(parts[2])
        except ValueError:
            raise AppError(Outcome.INVALID, "verified_review_format") from None
    spec = await ctx.app.specialists.aedited(ctx.actor)
    saved = await ctx.app.verified.save_verified(ctx.actor, spec.slug, parts[0], parts[1], review)
    return ctx.reply("verified_saved_until", name=spec.name, date=saved.review_at.date().isoformat())


async def set_experts(ctx: CommandContext, value: str) -> Reply:
    """``/indstil fagpersoner @navn … | kanal | ingen``."""
    spec, experts = await ctx.app.handoffs.aset_experts(
        ctx.actor, value, ctx.incoming.mentions, ctx.incoming.place
    )
    return ctx.reply("experts_set", name=spec.name, experts=experts.shown(ctx.locale))


def experts_shown(raw: str, locale: str) -> str:
    return Experts.parse(raw).shown(locale)


COMMANDS = [
    Command("spørg-en-fagperson", ask_expert, ("ask-an-expert",), args=(Arg("comment", optional=True),)),
    Command("verificer", verify, ("verify",), usage_key="usage_verificer", builder=True),
]
