"""Connected sources: /forbind, /forbindelser, /synkroniser, /afbryd (the specialist being edited)."""

from __future__ import annotations

import json
from datetime import datetime

from bot.commands.registry import Arg, Command, CommandContext
from bot.connections import channel_target
from bot.conversation.types import ConversationRef, Reply
from bot.domain import AppError, Outcome
from bot.messages import t
from bot.services.connections import ConnectionView, SyncReport, every_text, parse_every

KIND_WORDS = {"web": "web", "sharepoint": "sharepoint", "kanal": "channel", "channel": "channel"}
OPTION_WORDS = {
    "maks": "max",
    "max": "max",
    "hver": "every",
    "every": "every",
    "med": "include",
    "include": "include",
    "uden": "exclude",
    "exclude": "exclude",
}


def parse_connect(args: str, channel: str | None) -> tuple[str, str, dict[str, object]]:
    """``web <url> maks=500 hver=24t med=/hr/ uden=/hr/arkiv/`` → (kind, target, options). ``kanal``
    names no target: it is the channel it is written in (``channel``, None outside a channel)."""
    words = args.split()
    if not words or words[0].lower() not in KIND_WORDS:
        raise AppError(Outcome.INVALID, "connect_usage")
    kind = KIND_WORDS[words[0].lower()]
    target, options = "", {"include": [], "exclude": []}  # type: dict[str, object]
    for word in words[1:]:
        key, eq, value = word.partition("=")
        if eq and key.lower() in OPTION_WORDS:
            option = OPTION_WORDS[key.lower()]
            if option == "max":
                if not value.isdigit():
                    raise AppError(Outcome.INVALID, "connection_bad_max", value=value[:20])
                options["max_pages"] = int(value)
            elif option == "every":
                options["every_s"] = parse_every(value)
            else:
                options[option].append(value)  # type: ignore[attr-defined]
        elif not target:
            target = word
        else:
            raise AppError(Outcome.INVALID, "connect_usage")
    if kind == "channel":
        if target or channel is None:  # only the channel one writes in, never another by its ids
            raise AppError(Outcome.PRECONDITION, "connect_channel_here")
        target = channel
    if not target:
        raise AppError(Outcome.INVALID, "connect_usage")
    return kind, target, options


def here(conversation: ConversationRef | None) -> str | None:
    """The channel connection target of the Teams channel a command is written in (its team's group
    id and its thread id, as the activity gave them), or None outside a channel."""
    if conversation is None or conversation.type != "channel":
        return None
    if not conversation.team_group_id or not conversation.teams_channel_id:
        return None
    return channel_target(conversation.team_group_id, conversation.teams_channel_id)


async def connect(ctx: CommandContext) -> Reply:
    channel = here(ctx.actor.conversation)
    kind, target, options = parse_connect(ctx.args, channel)
    row = await ctx.app.connections.aconnect(
        ctx.actor,
        None,
        kind,
        target,
        every_s=int(options.get("every_s") or 86400),  # type: ignore[call-overload]
        max_pages=options.get("max_pages"),  # type: ignore[arg-type]
        include=options["include"],  # type: ignore[arg-type]
        exclude=options["exclude"],  # type: ignore[arg-type]
    )
    spec, _ = await ctx.app.connections.alist(ctx.actor)
    return ctx.reply(
        "connected",
        name=spec.name,
        target=row.target,
        connection=row.name,
        kind=row.kind,
        every=every_text(row.every_s),
        max=json.loads(row.options).get("max_pages", 500),
    )


def _when(at: datetime | None, locale: str) -> str:
    return f"{at:%Y-%m-%d %H:%M}" if at else t("connection_never", locale)


def render_connection(view: ConnectionView, locale: str) -> list[str]:
    """A connection's lines: what it is, last/next sync, counts, refusals with the reason, errors."""
    row, report = view.row, view.report
    lines = [
        t(
            "connection_line",
            locale,
            connection=row.name,
            kind=row.kind,
            target=row.target,
            documents=view.documents,
            last=_when(row.last_sync_at, locale),
            next=_when(row.next_sync_at, locale),
        )
    ]
    if counts := report.get("counts"):
        lines.append(t("connection_counts", locale, **counts))
    for refused in report.get("refused", [])[:10]:
        lines.append(
            t(
                "connection_refused_line",
                locale,
                name=refused["name"],
                reason=refused.get(locale, refused["da"]),
            )
        )
    for failed in report.get("failed", [])[:5]:
        lines.append(t("connection_failed_line", locale, name=failed["name"], reason=failed["reason"]))
    if row.last_error:
        lines.append(t("connection_error_line", locale, failures=row.failures, error=row.last_error))
    return lines


def render_report(report: SyncReport, locale: str) -> list[str]:
    if report.error:
        return [t("sync_failed", locale, connection=report.connection, error=report.error)]
    lines = [
        t("synced", locale, connection=report.connection, seconds=report.seconds),
        t("connection_counts", locale, **report.counts),
    ]
    for refused in report.refused[:10]:
        lines.append(
            t(
                "connection_refused_line",
                locale,
                name=refused["name"],
                reason=refused[locale if locale in refused else "da"],
            )
        )
    for failed in report.failed[:5]:
        lines.append(t("connection_failed_line", locale, name=failed["name"], reason=failed["reason"]))
    return lines


async def list_connections(ctx: CommandContext) -> Reply:
    spec, views = await ctx.app.connections.alist(ctx.actor, ctx.args or None)
    if not views:
        return ctx.reply("connections_none", name=spec.name)
    lines = [t("connections_title", ctx.locale, name=spec.name)]
    for view in views:
        lines.extend(render_connection(view, ctx.locale))
    return Reply("\n".join(lines), kind="command")


async def sync(ctx: CommandContext) -> Reply:
    reports = await ctx.app.connections.sync(ctx.actor, None, ctx.args or None)
    lines: list[str] = []
    for report in reports:
        lines.extend(render_report(report, ctx.locale))
    return Reply("\n".join(lines), kind="command")


async def disconnect(ctx: CommandContext) -> Reply:
    if not ctx.args:
        return ctx.reply("disconnect_which", "notice")
    spec, row, removed = await ctx.app.connections.adisconnect(ctx.actor, ctx.args)
    return ctx.reply("disconnected", connection=row.name, documents=removed, name=spec.name)


COMMANDS = [
    Command("forbind", connect, ("connect",), usage_key="connect_usage_short", builder=True),
    Command("forbindelser", list_connections, ("connections",), builder=True),
    Command("synkroniser", sync, ("sync",), args=(Arg("connection", optional=True),), builder=True),
    Command("afbryd", disconnect, ("disconnect",), args=(Arg("connection"),), builder=True),
]
