"""Governance: /rolle, /afdeling, /screening, /del, /udgiv, /afpubliser, /godkend, /glem."""

from __future__ import annotations

from bot.commands import forms
from bot.commands.registry import Arg, Command, CommandContext
from bot.conversation.types import Reply
from bot.governance import screening
from bot.messages import Words, t
from bot.services.roles import split_person
from bot.store.models import Screening, Specialist


async def roles_command(ctx: CommandContext) -> Reply:
    """``/rolle vis|tildel|fjern``: the person is a Teams @mention, a UPN, an id or a known name."""
    sub, _, rest = ctx.args.strip().partition(" ")
    sub = sub.casefold() or "vis"
    person, rest = split_person(rest)
    mentions = ctx.incoming.mentions
    if sub in ("vis", "show"):
        listing = await ctx.app.roles.ashow(ctx.actor, person or None, mentions)
        lines = [t("role_in", ctx.locale, role=role, department=d.name) for role, d in listing.roles]
        if listing.is_admin:
            lines.insert(0, t("admin_from_config", ctx.locale))
        described = "; ".join(lines) if lines else t("no_special_roles", ctx.locale)
        return ctx.reply("roles_of", user=listing.user, roles=described)
    role, _, department = rest.partition(" ")
    if sub not in ("tildel", "assign", "fjern", "remove") or not person or not department.strip():
        return ctx.reply("roles_usage", "notice")
    assign = sub in ("tildel", "assign")
    change = await ctx.app.roles.achange(ctx.actor, assign, person, role, department.strip(), mentions)
    key = (
        ("role_assigned" if change.changed else "role_had")
        if assign
        else ("role_removed" if change.changed else "role_had_not")
    )
    return ctx.reply(
        key, user=change.label or change.user, role=change.role, department=change.department.name
    )


async def department_command(ctx: CommandContext) -> Reply:
    sub, _, name = ctx.args.partition(" ")
    if sub.casefold() in ("opret", "create") and name.strip():
        department = await ctx.app.roles.acreate_department(ctx.actor, name)
        return ctx.reply("department_created", name=department.name, slug=department.slug)
    departments = await ctx.app.roles.adepartments(ctx.actor)
    listing = "\n".join(f"- {d.name} (`{d.slug}`)" for d in departments) or t("no_departments", ctx.locale)
    return ctx.reply("departments", listing=listing)


async def screening_command(ctx: CommandContext) -> Reply:
    """``/screening`` shows the last screening and the card to fill in; ``/screening formål=…; …``
    saves it from one line (scripts and the terminal)."""
    if not ctx.args.strip():
        spec, row = await ctx.app.publishing.ascreening(ctx.actor)
        shown = _screening_text(ctx, spec, row)
        return Reply(shown, kind="command", card=forms.screening_form(spec, row, ctx.locale, intro=shown))
    done = await ctx.app.publishing.ascreen(ctx.actor, ctx.args)
    dpia = t("dpia_reminder", ctx.locale) if done.answers.dpia_needed else ""
    return ctx.reply(
        "screening_saved", name=done.spec.name, classification=done.spec.classification, dpia=dpia
    )


def _screening_text(ctx: CommandContext, spec: Specialist, row: Screening | None) -> str:
    if row is None:
        return t(
            "not_screened",
            ctx.locale,
            name=spec.name,
            classification=spec.classification,
            usage=screening.USAGE,
        )
    return t(
        "screening_shown",
        ctx.locale,
        name=spec.name,
        at=f"{row.completed_at:%Y-%m-%d}",
        by=row.completed_by,
        purpose=row.purpose,
        data=Words(*(f"data_category_{c}" for c in row.data_categories.split(",") if c)),
        sources=t("public_sources" if row.public_sources else "internal_sources", ctx.locale),
        legal=row.legal_basis,
        dpia=t("yes" if row.dpia_needed else "no", ctx.locale),
        responsible=row.responsible,
        classification=spec.classification,
    )


async def share_command(ctx: CommandContext) -> Reply:
    """``/del`` shows the sharing card; ``/del <level>`` sets it."""
    if not ctx.args.strip():
        spec = await ctx.app.specialists.aedited(ctx.actor)
        conv = ctx.actor.conversation
        in_team = conv is not None and conv.type != "personal"
        shown = t("sharing_now", ctx.locale, name=spec.name, sharing=spec.sharing)
        return Reply(shown, kind="command", card=forms.sharing_form(spec, in_team, ctx.locale, intro=shown))
    shared = await ctx.app.publishing.ashare(ctx.actor, ctx.args)
    note = t("needs_new_approval", ctx.locale) if shared.needs_approval else ""
    return ctx.reply("shared", name=shared.spec.name, sharing=shared.sharing, note=note)


OVERRIDE = ("trods-test", "override")


async def publish_command(ctx: CommandContext) -> Reply:
    """``/udgiv``, or ``/udgiv trods-test <begrundelse>``: publish although the test cases do not pass
    (the reason goes to the audit log)."""
    word, _, reason = ctx.args.partition(" ")
    if word.casefold() in OVERRIDE:
        spec = await ctx.app.publishing.apublish(ctx.actor, tests_override=reason, via="teams")
    else:
        spec = await ctx.app.publishing.apublish(ctx.actor)
    return ctx.reply("published", name=spec.name, sharing=spec.sharing, classification=spec.classification)


async def unpublish_command(ctx: CommandContext) -> Reply:
    spec = await ctx.app.publishing.aunpublish(ctx.actor)
    return ctx.reply("unpublished", name=spec.name)


async def approve_command(ctx: CommandContext) -> Reply:
    spec = await ctx.app.publishing.aapprove(ctx.actor, ctx.args)
    return ctx.reply("approved", name=spec.name, sharing=spec.sharing)


async def forget_command(ctx: CommandContext) -> Reply:
    count = await ctx.app.feedback.aforget(ctx.actor)
    return ctx.reply("forgotten", count=count)


COMMANDS = [
    Command("rolle", roles_command, ("role",), usage_key="usage_rolle", admin=True),
    Command("afdeling", department_command, ("department",), usage_key="usage_afdeling", admin=True),
    Command("screening", screening_command, usage_key="usage_screening", builder=True),
    Command("del", share_command, ("share",), usage_key="usage_del", builder=True),
    Command("udgiv", publish_command, ("publish",), builder=True),
    Command("afpubliser", unpublish_command, ("unpublish",), builder=True),
    Command("godkend", approve_command, ("approve",), args=(Arg("specialist"),), builder=True),
    Command("glem", forget_command, ("forget",)),
]
