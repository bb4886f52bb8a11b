"""The Builder's checklist: ``/status``, ``/anmod-godkendelse``, and the checklist after each change.

One ``SpecialistsService.checklist`` result, worded here once (``lines``) and shown twice: as a card
(Teams, the terminal chat) and as text (the reply's fallback, ``aarhusai specialist show``). Builder
commands that change the specialist being edited get the checklist under their reply (``after``,
wrapped around the registry's handlers in ``bot.commands.default_registry``).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from bot.commands import tests
from bot.commands.registry import Command, CommandContext, Handler
from bot.conversation.types import Reply
from bot.domain import AppError, Classification
from bot.messages import t
from bot.services.actor import Actor
from bot.services.specialists import Checklist, PendingApproval

if TYPE_CHECKING:
    from bot.services import Application

Mark = Literal["done", "missing", "waiting", "optional"]
MARKS: dict[Mark, str] = {"done": "✓", "missing": "✗", "waiting": "⏳", "optional": "–"}
REQUEST_APPROVAL = "anmod-godkendelse"
RUN_TESTS = "test-kør"


@dataclass(frozen=True)
class Line:
    """One step as shown: its mark, label, state, the action that completes it and a button for it."""

    mark: Mark
    label: str
    detail: str
    action: str = ""  # the command that completes (or changes) the step, as the user types it
    button: tuple[str, str] | None = None  # (title, command name) for a card's Action.Submit


def lines(c: Checklist, locale: str) -> list[Line]:
    """The checklist in ``locale``: description, sources, prompt, screening, sharing, approval, tests,
    published; each with what completes it."""

    def m(key: str, /, **values: object) -> str:
        return t(f"checklist_{key}", locale, **values)

    spec = c.spec
    refused = m("sources_refused", names=", ".join(c.refused)) if c.refused else ""
    tests_detail = {
        "none": m("tests_none"),
        "not_testable": m("tests_not_testable", count=c.tests_total),
        "not_run": m("tests_not_run", count=c.tests_total),
        "stale": m("tests_stale", passed=c.tests_passed, total=c.tests_total, model=c.tests_model),
        "failing": m("tests_result", passed=c.tests_passed, total=c.tests_total, model=c.tests_model),
        "passed": m("tests_result", passed=c.tests_passed, total=c.tests_total, model=c.tests_model),
    }[c.tests]
    tests_mark: Mark = {"none": "optional", "passed": "done"}.get(c.tests, "missing")  # type: ignore[assignment]
    run = (m("run_button"), RUN_TESTS) if c.tests in ("not_run", "stale", "failing", "passed") else None
    who = ", ".join(c.owners) or m("an_administrator")
    approval = {
        "not_needed": Line("done", m("approval"), m("approval_not_needed", sharing=c.sharing)),
        "approved": Line("done", m("approval"), m("approval_done", by=c.approved_by or "")),
        "requested": Line(
            "waiting", m("approval"), m("approval_requested", who=who), m("approval_how", slug=spec.slug)
        ),
        "missing": Line(
            "missing",
            m("approval"),
            m("approval_missing", sharing=c.sharing),
            f"/{m('request_command')}",
            (m("request_button"), REQUEST_APPROVAL),
        ),
    }[c.approval]
    screening = (
        m("screened", classification=Classification(spec.classification)) if c.screened else m("not_screened")
    )
    return [
        Line(
            "done" if c.described else "missing",
            m("description"),
            _short(spec.description) if c.described else m("description_missing"),
            m("description_action"),
            (m("settings_button"), "indstil"),
        ),
        Line(
            "done" if c.sources else "missing",
            m("sources"),
            m("sources_count", count=c.sources) + refused,
            m("sources_action"),
        ),
        Line(
            "optional" if c.prompt_default else "done",
            m("prompt"),
            m("prompt_default" if c.prompt_default else "prompt_version", version=c.prompt_version),
            m("prompt_action"),
        ),
        Line(
            "done" if c.screened else "missing",
            m("screening"),
            screening,
            "/screening",
            (m("screening_button" if c.screened else "fill_button"), "screening"),
        ),
        Line(
            "done",
            m("sharing"),
            _sharing(c.sharing.value, locale),
            m("sharing_action"),
            (m("sharing_button"), "del"),
        ),
        approval,
        Line(tests_mark, m("tests"), tests_detail, m("tests_action"), run),
        Line(
            "done" if c.published else "missing",
            m("published"),
            m("published_yes" if c.published else "published_no"),
            "" if c.published else m("publish_action"),
            None if c.published else (m("publish_button"), "udgiv"),
        ),
    ]


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def text(c: Checklist, locale: str, markdown: bool = True) -> str:
    """The checklist as text: Markdown (commands in code spans, so ``<placeholders>`` survive Teams)
    for a reply's fallback, plain for a terminal (``aarhusai specialist show``)."""
    title = t("checklist_title", locale, name=c.spec.name)
    out = [f"**{title}**" if markdown else title]
    for line in lines(c, locale):
        action = (f"`{line.action}`" if markdown else line.action) if line.action else ""
        out.append(f"- {MARKS[line.mark]} {line.label}: {line.detail}{' → ' + action if action else ''}")
    out.append(_summary(c, locale))
    return "\n".join(out)


def _summary(c: Checklist, locale: str) -> str:
    if c.missing == 0:
        return t("checklist_all_done", locale)
    return t("checklist_open", locale, count=c.missing)


def card(
    c: Checklist, locale: str, intro: str = "", pending: list[PendingApproval] | None = None
) -> dict[str, Any]:
    """The card data ``bot.teams.cards.checklist_card`` renders."""
    return {
        "type": "checklist",
        "intro": intro,
        "title": t("checklist_title", locale, name=c.spec.name),
        "slug": c.spec.slug,
        "items": [
            {
                "mark": MARKS[line.mark],
                "state": line.mark,
                "label": line.label,
                "detail": line.detail,
                "action": line.action,
                "button": {"title": line.button[0], "command": line.button[1]} if line.button else None,
            }
            for line in lines(c, locale)
        ],
        "summary": _summary(c, locale),
        "pending": _pending_card(pending or [], locale),
    }


def pending_text(pending: list[PendingApproval], locale: str) -> str:
    if not pending:
        return ""
    rows = [t("pending_title", locale)]
    rows += [f"- {_pending_line(p, locale)}" for p in pending]
    return "\n".join(rows)


def _pending_line(p: PendingApproval, locale: str) -> str:
    return t(
        "pending_line",
        locale,
        name=p.spec.name,
        slug=p.spec.slug,
        sharing=_sharing(p.spec.sharing, locale),
        by=p.requested_by,
        at=f"{p.requested_at:%Y-%m-%d %H:%M}",
    )


def _sharing(value: str, locale: str) -> str:
    return t(f"sharing_{value}", locale)


def _pending_card(pending: list[PendingApproval], locale: str) -> dict[str, Any] | None:
    if not pending:
        return None
    return {
        "title": t("pending_title", locale),
        "items": [_pending_line(p, locale) for p in pending],
        "buttons": [
            {"title": t("checklist_approve_button", locale), "command": "godkend", "args": p.spec.slug}
            for p in pending
        ],
    }


# -- the commands ---------------------------------------------------------------------------------
async def status_command(ctx: CommandContext) -> Reply:
    """``/status``: the checklist of the specialist being edited, and the approvals waiting for you."""
    service = ctx.app.specialists
    pending = await service.apending_approvals(ctx.actor)
    try:
        checklist = await service.achecklist(ctx.actor, ctx.args.strip() or None)
    except AppError as exc:
        if exc.key != "no_edit_target" or not pending:
            raise
        waiting = _pending_card(pending, ctx.locale)
        assert waiting is not None
        only: dict[str, Any] = {
            "type": "checklist",
            "title": waiting.pop("title"),
            "items": [],
            "summary": "",
        }
        return Reply(pending_text(pending, ctx.locale), kind="command", card={**only, "pending": waiting})
    overdue = await ctx.app.verified.aoverdue(checklist.spec)
    review = ""
    if overdue:  # verified answers no longer served: the Builder is told here, not left to find out
        items = "; ".join(f"«{o.question[:80]}» ({o.author}, {o.review_at.isoformat()})" for o in overdue)
        review = t("verified_overdue", ctx.locale, items=items)
    parts = (text(checklist, ctx.locale), review, pending_text(pending, ctx.locale))
    data = card(checklist, ctx.locale, pending=pending)
    if review:
        data["summary"] = "\n\n".join(p for p in (data.get("summary") or "", review) if p)
    return Reply("\n\n".join(p for p in parts if p), kind="command", card=data)


async def request_approval_command(ctx: CommandContext) -> Reply:
    """``/anmod-godkendelse``: ask the department's owners; recorded, shown in their ``/status`` and sent
    to them in Teams (says who has not written to the bot yet, and so gets it later)."""
    asked = await ctx.app.specialists.arequest_approval(ctx.actor, ctx.args.strip() or None)
    who = ", ".join(asked.owners) or t("checklist_an_administrator", ctx.locale)
    reply = ctx.reply("approval_requested", name=asked.spec.name, who=who, slug=asked.spec.slug)
    notes = [reply.text]
    if asked.notified.reachable:
        notes.append(t("approval_notified", ctx.locale, who=", ".join(asked.notified.reachable)))
    if asked.notified.waiting:
        notes.append(t("approval_waiting", ctx.locale, who=", ".join(asked.notified.waiting)))
    return dataclasses.replace(reply, text=" ".join(notes))


async def run_tests_command(ctx: CommandContext) -> Reply:
    """The checklist's "Run" button (a card submits a command name, no arguments): ``/test kør``."""
    return await tests.test_command(dataclasses.replace(ctx, args="kør"))


# -- the checklist after a change -------------------------------------------------------------------
def _changes(args: str, *show_only: str) -> bool:
    """True unless ``args`` only shows something: empty, or its first word is one of ``show_only``."""
    first = args.split(maxsplit=1)[0].casefold() if args.split() else ""
    return bool(first) and first not in show_only


# The Builder commands that change the specialist being edited (or choose it), and when: by name.
CHANGES: dict[str, Callable[[str], bool]] = {
    "ny": lambda args: True,
    "rediger": lambda args: True,
    "prompt": lambda args: _changes(args, "historik", "history"),
    "indstil": lambda args: bool(args.strip()),
    "startere": lambda args: bool(args.strip()),
    "fjern": lambda args: bool(args.strip()),
    "genindekser": lambda args: True,
    "screening": lambda args: bool(args.strip()),
    "del": lambda args: bool(args.strip()),
    "udgiv": lambda args: True,
    "afpubliser": lambda args: True,
    "test": lambda args: _changes(args, "vis", "show", "kør", "run"),
    REQUEST_APPROVAL: lambda args: True,
}


async def add_checklist(app: Application, actor: Actor, reply: Reply) -> Reply:
    """``reply`` with the checklist of the specialist ``actor`` is editing under it (a changing command,
    a saved settings card, an upload). A reply that already carries a card, a notice or an error stays
    as it is."""
    if reply.kind != "command" or reply.card is not None:
        return reply
    try:
        checklist = await app.specialists.achecklist(actor)
    except AppError:  # nothing being edited (an administrator's /ny without a department, say)
        return reply
    return dataclasses.replace(
        reply,
        text=f"{reply.text}\n\n{text(checklist, actor.locale)}",
        card=card(checklist, actor.locale, intro=reply.text),
    )


def after(command: Command) -> Command:
    """``command`` with the checklist added under a successful reply, when it changed the specialist
    being edited. A reply that already carries a card, a notice or an error stays as it is."""
    changes = CHANGES.get(command.name)
    if changes is None:
        return command
    handler = command.handler

    @functools.wraps(handler)
    async def with_checklist(ctx: CommandContext) -> Reply:
        reply = await handler(ctx)
        if not changes(ctx.args):
            return reply
        return await add_checklist(ctx.app, ctx.actor, reply)

    wrapped: Handler = with_checklist
    return dataclasses.replace(command, handler=wrapped)


COMMANDS = [
    Command("status", status_command, ("tjekliste", "checklist"), builder=True),
    Command(REQUEST_APPROVAL, request_approval_command, ("request-approval",), builder=True),
    Command(RUN_TESTS, run_tests_command, ("test-run",), builder=True, hidden=True),
]
