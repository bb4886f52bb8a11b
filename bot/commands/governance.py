"""Governance commands: /rolle, /afdeling, /screening, /del, /udgiv, /afpubliser, /godkend, /glem."""

from __future__ import annotations

import asyncio

from bot.commands.registry import Command, CommandContext
from bot.commands.specialists import editing_or_notice
from bot.conversation.types import Reply
from bot.governance import access, retention, screening
from bot.governance.roles import ROLE_ALIASES, ROLE_NAMES, GovernanceError
from bot.specialists import SpecialistError
from bot.specialists.service import channel_of
from bot.store.models import Screening, Specialist
from bot.store.models import utcnow as _now

SHARING = {
    "personlig": "personal",
    "personal": "personal",
    "team": "team",
    "afdeling": "department",
    "department": "department",
    "organisation": "organisation",
    "organization": "organisation",
}
SHARING_DA = {
    "personal": "personlig",
    "team": "team",
    "department": "afdeling",
    "organisation": "organisation",
}


async def roles_command(ctx: CommandContext) -> Reply:
    core = ctx.core
    parts = ctx.args.split()
    sub = parts[0].casefold() if parts else "vis"
    if sub in ("vis", "show"):
        user = parts[1] if len(parts) > 1 else ctx.actor
        roles = await core.roles_for(ctx.incoming)
        if user != ctx.actor and not (roles.is_admin or roles.owner_of):
            return Reply(access.refusal("rolle vis <bruger>", "roles"), kind="notice")
        lines = await asyncio.to_thread(core.roles.describe, user)
        return Reply(
            f"Roller for {user}: " + ("; ".join(lines) if lines else "bruger (ingen særlige roller)"),
            kind="command",
        )
    if sub not in ("tildel", "assign", "fjern", "remove") or len(parts) < 4:
        return Reply(
            "Brug: /rolle tildel <bruger> <builder|ejer|medlem> <afdeling>, /rolle fjern ..., "
            "/rolle vis [bruger]",
            kind="notice",
        )
    user, role_name, dept_ref = parts[1], parts[2].casefold(), " ".join(parts[3:])
    role = ROLE_ALIASES.get(role_name)
    if role is None:
        return Reply(
            f"Ukendt rolle '{parts[2]}'. Roller: builder, ejer (faglig systemejer), medlem.", kind="notice"
        )
    try:
        department = await asyncio.to_thread(core.roles.department, dept_ref)
    except GovernanceError as exc:
        return Reply(str(exc), kind="notice")
    roles = await core.roles_for(ctx.incoming)
    if not access.can_assign(roles, role, department.id):  # type: ignore[arg-type]
        needed = "administrator" if role == "owner" else f"faglig systemejer i {department.name}"
        return Reply(f"At give eller fjerne rollen {ROLE_NAMES[role]} kræver rollen {needed}.", kind="notice")
    if sub in ("tildel", "assign"):
        changed = await asyncio.to_thread(core.roles.assign, user, role, department.id, ctx.actor)
        verb, action = ("har nu", "role.assigned") if changed else ("havde allerede", "")
    else:
        changed = await asyncio.to_thread(core.roles.remove, user, role, department.id)
        verb, action = ("har ikke længere", "role.removed") if changed else ("havde ikke", "")
    if action:
        await core.audit_event(ctx.actor, action, user, role=role, department=department.slug)
    return Reply(f"{user} {verb} rollen {ROLE_NAMES[role]} i {department.name}.", kind="command")


async def department_command(ctx: CommandContext) -> Reply:
    core = ctx.core
    sub, _, name = ctx.args.partition(" ")
    if sub.casefold() in ("opret", "create") and name.strip():
        roles = await core.roles_for(ctx.incoming)
        if not roles.is_admin:
            return Reply(access.refusal("afdeling opret", "admin"), kind="notice")
        try:
            department = await asyncio.to_thread(core.roles.create_department, name)
        except GovernanceError as exc:
            return Reply(str(exc), kind="notice")
        await core.audit_event(ctx.actor, "department.created", department.slug, name=department.name)
        return Reply(f"Afdelingen {department.name} (`{department.slug}`) er oprettet.", kind="command")
    departments = await asyncio.to_thread(core.roles.departments)
    listing = "\n".join(f"- {d.name} (`{d.slug}`)" for d in departments) or "Ingen afdelinger endnu."
    return Reply(
        f"Afdelinger:\n{listing}\nAdministratorer opretter med /afdeling opret <navn>.", kind="command"
    )


def _screening_text(row: Screening | None, spec: Specialist) -> str:
    if row is None:
        return (
            f"**{spec.name}** er ikke screenet endnu (klassifikation indtil da: {spec.classification}).\n"
            f"Udfyld: {screening.USAGE}"
        )
    return (
        f"Screening af **{spec.name}** ({row.completed_at:%Y-%m-%d} af {row.completed_by}): formål: "
        f"{row.purpose}; data: {row.data_categories}; "
        f"kilder: {'offentlige' if row.public_sources else 'interne'}"
        f"; hjemmel: {row.legal_basis}; DPIA: {'ja' if row.dpia_needed else 'nej'}; ansvarlig: "
        f"{row.responsible}. Klassifikation: **{spec.classification}**."
    )


async def screening_command(ctx: CommandContext) -> Reply:
    spec = await editing_or_notice(ctx)
    if isinstance(spec, Reply):
        return spec
    core = ctx.core
    if not ctx.args.strip():
        return Reply(
            _screening_text(await asyncio.to_thread(core.screening_of, spec.id), spec), kind="command"
        )
    try:
        answers = screening.parse(ctx.args)
    except GovernanceError as exc:
        return Reply(str(exc), kind="notice")
    spec = await asyncio.to_thread(screening.save, core.db, core.specialists, spec, answers, ctx.actor)
    await core.audit_event(
        ctx.actor,
        "screening.completed",
        spec.slug,
        classification=spec.classification,
        data=answers.categories,
        dpia=answers.dpia_needed,
    )
    dpia = " Husk konsekvensanalysen (DPIA), før den udgives." if answers.dpia_needed else ""
    return Reply(
        f"Screeningen er gemt. **{spec.name}** er klassificeret som **{spec.classification}**; kun "
        f"sprogmodeller godkendt til det må se den.{dpia}",
        kind="command",
    )


async def share_command(ctx: CommandContext) -> Reply:
    spec = await editing_or_notice(ctx)
    if isinstance(spec, Reply):
        return spec
    level = SHARING.get(ctx.args.strip().casefold())
    if level is None:
        return Reply("Brug: /del personlig|team|afdeling|organisation", kind="notice")
    conv = ctx.incoming.conversation
    shared_with = None
    if level == "team":
        if conv.type == "personal":
            return Reply("Skriv /del team i den kanal eller gruppechat, der skal have adgang.", kind="notice")
        shared_with = channel_of(conv.id) or conv.id
    if level == "department" and spec.department_id is None:
        return Reply("Specialisten hører ikke til en afdeling og kan ikke deles med en.", kind="notice")
    widened = level in ("department", "organisation") and spec.sharing != level
    fields: dict[str, object] = {"sharing": level, "shared_with": shared_with}
    if widened:  # a wider audience needs the owner's approval again
        fields.update(approved_by=None, approved_at=None)
        if spec.status == "published":
            fields["status"] = "draft"
    spec = await asyncio.to_thread(ctx.core.specialists.update, spec.id, **fields)  # type: ignore[arg-type]
    await ctx.core.audit_event(
        ctx.actor, "sharing.changed", spec.slug, sharing=level, shared_with=shared_with
    )
    note = " Den skal godkendes (/godkend) og udgives igen." if widened else ""
    return Reply(f"**{spec.name}** deles nu på niveauet {SHARING_DA[level]}.{note}", kind="command")


async def publish_command(ctx: CommandContext) -> Reply:
    spec = await editing_or_notice(ctx)
    if isinstance(spec, Reply):
        return spec
    core = ctx.core
    if await asyncio.to_thread(core.screening_of, spec.id) is None:
        return Reply(
            f"**{spec.name}** kan ikke udgives uden en screening. Udfyld: {screening.USAGE}", kind="notice"
        )
    if spec.sharing in ("department", "organisation") and spec.approved_at is None:
        return Reply(
            f"**{spec.name}** deles med {SHARING_DA[spec.sharing]} og skal først godkendes af "
            f"afdelingens faglige systemejer (/godkend {spec.slug}).",
            kind="notice",
        )
    await asyncio.to_thread(core.specialists.update, spec.id, status="published")  # type: ignore[arg-type]
    await core.audit_event(
        ctx.actor, "specialist.published", spec.slug, sharing=spec.sharing, classification=spec.classification
    )
    return Reply(
        f"**{spec.name}** er udgivet ({SHARING_DA[spec.sharing]}, {spec.classification}).", kind="command"
    )


async def unpublish_command(ctx: CommandContext) -> Reply:
    spec = await editing_or_notice(ctx)
    if isinstance(spec, Reply):
        return spec
    await asyncio.to_thread(ctx.core.specialists.update, spec.id, status="draft")  # type: ignore[arg-type]
    await ctx.core.audit_event(ctx.actor, "specialist.unpublished", spec.slug)
    return Reply(f"**{spec.name}** er nu en kladde igen.", kind="command")


async def approve_command(ctx: CommandContext) -> Reply:
    core = ctx.core
    try:
        spec = await asyncio.to_thread(core.specialists.require, ctx.args)
    except SpecialistError as exc:
        return Reply(str(exc), kind="notice")
    if not access.can_approve(await core.roles_for(ctx.incoming), spec):
        return Reply(access.refusal("godkend", "approve"), kind="notice")
    if await asyncio.to_thread(core.screening_of, spec.id) is None:
        return Reply(f"**{spec.name}** er ikke screenet; der er intet at godkende endnu.", kind="notice")
    await asyncio.to_thread(
        core.specialists.update,
        spec.id,
        approved_by=ctx.actor,  # type: ignore[arg-type]
        approved_at=_now(),
    )
    await core.audit_event(
        ctx.actor, "specialist.approved", spec.slug, sharing=spec.sharing, classification=spec.classification
    )
    return Reply(
        f"**{spec.name}** er godkendt til deling ({SHARING_DA[spec.sharing]}); den kan nu udgives.",
        kind="command",
    )


async def forget_command(ctx: CommandContext) -> Reply:
    count = await asyncio.to_thread(retention.forget_user, ctx.core.db, ctx.actor)
    await ctx.core.audit_event(ctx.actor, "user.forgotten", ctx.actor, messages=count)
    return Reply(f"Dine {count} beskeder og svarene på dem er slettet.", kind="command")


COMMANDS = [
    Command(
        "rolle",
        roles_command,
        {"da": "vis, tildel eller fjern roller", "en": "show, assign or remove roles"},
        ("role",),
        usage="vis [bruger] | tildel|fjern <bruger> <builder|ejer|medlem> <afdeling>",
    ),
    Command(
        "afdeling",
        department_command,
        {
            "da": "vis afdelinger; administratorer opretter nye",
            "en": "list departments; administrators create them",
        },
        ("department",),
        usage="[opret <navn>]",
    ),
    Command(
        "screening",
        screening_command,
        {
            "da": "screen den specialist, du redigerer, før den udgives",
            "en": "screen the specialist you edit before publishing",
        },
        usage="formål=...; data=...; kilder=...; hjemmel=...; dpia=ja|nej; ansvarlig=...",
        permission="edit",
    ),
    Command(
        "del",
        share_command,
        {"da": "hvem må bruge specialisten", "en": "who may use the specialist"},
        ("share",),
        usage="personlig|team|afdeling|organisation",
        permission="edit",
    ),
    Command(
        "udgiv",
        publish_command,
        {
            "da": "udgiv specialisten (kræver screening og evt. godkendelse)",
            "en": "publish the specialist (needs screening and maybe approval)",
        },
        ("publish",),
        permission="edit",
    ),
    Command(
        "afpubliser",
        unpublish_command,
        {"da": "gør specialisten til kladde igen", "en": "make the specialist a draft again"},
        ("unpublish",),
        permission="edit",
    ),
    Command(
        "godkend",
        approve_command,
        {
            "da": "godkend en specialist til deling (faglig systemejer)",
            "en": "approve a specialist for sharing (department owner)",
        },
        ("approve",),
        usage="<specialist>",
        permission="approve",
    ),
    Command(
        "glem",
        forget_command,
        {"da": "slet dine egne samtaler og beskeder", "en": "delete your own messages"},
        ("forget",),
    ),
]
