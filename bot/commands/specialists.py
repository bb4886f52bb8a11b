"""Commands for choosing and building specialists: /specialister, /brug, /ny, /rediger, /prompt, /indstil."""

from __future__ import annotations

import asyncio

from bot.commands.registry import Command, CommandContext
from bot.conversation.types import Reply
from bot.governance import access
from bot.governance.roles import GovernanceError, UserRoles
from bot.specialists import SpecialistError
from bot.specialists.service import channel_of
from bot.specialists.tunables import allowed_keys_text, parse_setting
from bot.store.models import Specialist


def _line(spec: Specialist, in_use: bool) -> str:
    status = "" if spec.status == "published" else " · kladde"
    here = " · **svarer her**" if in_use else ""
    desc = f": {spec.description}" if spec.description else ""
    return f"- **{spec.name}** (`{spec.slug}`{status}{here}){desc}"


async def list_specialists(ctx: CommandContext) -> Reply:
    core = ctx.core
    roles = await core.roles_for(ctx.incoming)
    every = await asyncio.to_thread(core.specialists.catalogue, True)
    specs = [s for s in every if access.can_use(roles, s, ctx.incoming.conversation.id)]
    current = await asyncio.to_thread(core.specialists.selected, ctx.incoming.conversation.id)
    lines = [
        "Specialister, du kan bruge:",
        *(_line(s, s.id == current.id) for s in specs),
        "",
        "Vælg med /brug <navn>.",
    ]
    card = {
        "type": "specialists",
        "items": [
            {
                "slug": s.slug,
                "name": s.name,
                "description": s.description,
                "status": s.status,
                "in_use": s.id == current.id,
            }
            for s in specs
        ],
    }
    return Reply("\n".join(lines), kind="command", card=card)


async def use_specialist(ctx: CommandContext) -> Reply:
    core = ctx.core
    args = ctx.args.split()
    channel_wide = bool(args) and args[-1].casefold() in ("kanal", "channel")
    ref = " ".join(args[:-1] if channel_wide else args)
    if not ref:
        return Reply("Skriv hvilken specialist, fx: /brug borgerservice. Se /specialister.", kind="notice")
    try:
        spec = await asyncio.to_thread(core.specialists.require, ref)
    except SpecialistError as exc:
        return Reply(str(exc), kind="notice")
    if not access.can_use(await core.roles_for(ctx.incoming), spec, ctx.incoming.conversation.id):
        if spec.status != "published":
            return Reply(
                f"Specialisten '{spec.name}' er en kladde og kan kun bruges af Buildere.", kind="notice"
            )
        return Reply(f"Specialisten '{spec.name}' er ikke delt med dig. Se /specialister.", kind="notice")
    conv = ctx.incoming.conversation
    target = conv.id
    where = "i denne samtale"
    if conv.type == "channel":
        if channel_wide:
            target, where = channel_of(conv.id) or conv.id, "som standard i hele kanalen"
        else:
            where = "i denne tråd (skriv /brug <navn> kanal for hele kanalen)"
    await asyncio.to_thread(core.specialists.select, target, spec.id, ctx.actor)  # type: ignore[arg-type]
    return Reply(f"Nu svarer **{spec.name}** {where}.", kind="command")


async def new_specialist(ctx: CommandContext) -> Reply:
    core = ctx.core
    name, _, dept_ref = ctx.args.partition("afdeling=")
    roles = await core.roles_for(ctx.incoming)
    try:
        department_id = await asyncio.to_thread(_department_for_new, core, roles, dept_ref.strip())
        spec = await asyncio.to_thread(core.specialists.create, name, ctx.actor, department_id=department_id)
    except (SpecialistError, GovernanceError) as exc:
        return Reply(str(exc), kind="notice")
    await asyncio.to_thread(core.specialists.set_editing, ctx.actor, spec.id)  # type: ignore[arg-type]
    await core.audit_event(ctx.actor, "specialist.created", spec.slug, department_id=department_id)
    return Reply(
        f"Specialisten **{spec.name}** (`{spec.slug}`) er oprettet som kladde, og du redigerer den nu.\n"
        f"Send filer (PDF, Word, HTML, Markdown eller tekst) her i chatten for at give den kilder, ret "
        f"prompten med /prompt <tekst>, og prøv den med /brug {spec.slug}.",
        kind="command",
    )


def _department_for_new(core, roles: UserRoles, ref: str) -> int | None:  # type: ignore[no-untyped-def]
    """A Builder's specialist belongs to their department; with several, they must say which."""
    if ref:
        department = core.roles.department(ref)
        if not roles.edits_in(department.id):
            raise GovernanceError(f"Du er ikke Builder i {department.name}.")
        return department.id
    mine = sorted(roles.builder_of | roles.owner_of)
    if len(mine) == 1:
        return mine[0]
    if not mine:
        return None  # an administrator's specialist without a department
    names = ", ".join(d.slug for d in core.roles.departments() if d.id in mine)
    raise GovernanceError(f"Du er Builder i flere afdelinger; skriv hvilken: /ny <navn> afdeling=<{names}>")


async def edit_specialist(ctx: CommandContext) -> Reply:
    core = ctx.core
    try:
        spec = await asyncio.to_thread(core.specialists.require, ctx.args)
    except SpecialistError as exc:
        return Reply(str(exc), kind="notice")
    if spec.kind == "general":
        return Reply("Den generelle assistent har ingen kilder; vælg en specialist.", kind="notice")
    if not access.can_edit(await ctx.core.roles_for(ctx.incoming), spec):
        return Reply(access.refusal("rediger", "edit"), kind="notice")
    await asyncio.to_thread(core.specialists.set_editing, ctx.actor, spec.id)  # type: ignore[arg-type]
    return Reply(f"Du redigerer nu **{spec.name}**. Filer, du sender, bliver kilder til den.", kind="command")


async def editing_or_notice(ctx: CommandContext) -> Specialist | Reply:
    spec = await asyncio.to_thread(ctx.core.specialists.editing, ctx.actor)
    if spec is None:
        return Reply(
            "Vælg først en specialist at redigere med /rediger <navn> (eller opret en med /ny <navn>).",
            kind="notice",
        )
    return spec


async def prompt(ctx: CommandContext) -> Reply:
    spec = await editing_or_notice(ctx)
    if isinstance(spec, Reply):
        return spec
    service = ctx.core.specialists
    sub, _, rest = ctx.args.partition(" ")
    try:
        if not ctx.args:
            current = await asyncio.to_thread(service.current_prompt, spec.id)
            return Reply(
                f"Prompt for **{spec.name}** (version {current.version}, {current.author}):\n\n"
                f"{current.text}",
                kind="command",
            )
        if sub.casefold() in ("historik", "history") and not rest:
            versions = await asyncio.to_thread(service.prompt_history, spec.id)
            lines = [f"Prompt-historik for **{spec.name}**:"]
            for v in reversed(versions):
                note = f" ({v.note})" if v.note else ""
                first = v.text.splitlines()[0][:80] if v.text else ""
                lines.append(f"- v{v.version} · {v.created_at:%Y-%m-%d %H:%M} · {v.author}{note}: {first}")
            lines.append("Gendan med /prompt gendan <nummer>.")
            return Reply("\n".join(lines), kind="command")
        if sub.casefold() in ("gendan", "restore"):
            try:
                number = int(rest.strip().lstrip("v"))
            except ValueError:
                return Reply("Skriv versionsnummeret, fx /prompt gendan 2.", kind="notice")
            restored = await asyncio.to_thread(service.restore_prompt, spec.id, number, ctx.actor)
            await ctx.core.audit_event(
                ctx.actor, "prompt.restored", spec.slug, version=restored.version, from_version=number
            )
            return Reply(f"Version {number} er gendannet som ny version {restored.version}.", kind="command")
        saved = await asyncio.to_thread(service.set_prompt, spec.id, ctx.args, ctx.actor)
        await ctx.core.audit_event(ctx.actor, "prompt.changed", spec.slug, version=saved.version)
    except SpecialistError as exc:
        return Reply(str(exc), kind="notice")
    return Reply(f"Prompten for **{spec.name}** er gemt som version {saved.version}.", kind="command")


async def configure(ctx: CommandContext) -> Reply:
    spec = await editing_or_notice(ctx)
    if isinstance(spec, Reply):
        return spec
    key, _, value = ctx.args.partition(" ")
    if not key:
        return await settings_card(ctx, spec)
    model_ids = [m.id for m in ctx.core.router.catalogue.models]
    try:
        field, parsed = parse_setting(key, value, model_ids, spec.chunk_size, spec.chunk_overlap)
    except SpecialistError as exc:
        return Reply(str(exc), kind="notice")
    if field == "status":
        return Reply(
            "Status ændres med /udgiv (efter screening og godkendelse) og /afpubliser.", kind="notice"
        )
    await asyncio.to_thread(ctx.core.specialists.update, spec.id, **{field: parsed})  # type: ignore[arg-type]
    await ctx.core.audit_event(ctx.actor, "setting.changed", spec.slug, key=field, value=parsed)
    note = (
        " Det gælder nye kilder; kør /genindekser for de eksisterende." if field.startswith("chunk_") else ""
    )
    return Reply(f"{key} er sat til {parsed} for **{spec.name}**.{note}", kind="command")


COMMANDS = [
    Command(
        "specialister",
        list_specialists,
        {"da": "vis de specialister, du kan bruge", "en": "list the specialists you can use"},
        ("specialists",),
    ),
    Command(
        "brug",
        use_specialist,
        {
            "da": "lad en specialist svare her (i kanaler: tilføj 'kanal' for hele kanalen)",
            "en": "let a specialist answer here (in channels add 'kanal' for the channel)",
        },
        ("use",),
        usage="<specialist> [kanal]",
    ),
    Command(
        "ny",
        new_specialist,
        {"da": "opret en ny specialist", "en": "create a specialist"},
        ("new",),
        usage="<navn> [afdeling=<afdeling>]",
        permission="build",
    ),
    Command(
        "rediger",
        edit_specialist,
        {"da": "vælg den specialist, du vil redigere", "en": "choose the specialist to edit"},
        ("edit",),
        usage="<specialist>",
        permission="build",
    ),
    Command(
        "prompt",
        prompt,
        {
            "da": "vis prompten; /prompt <tekst> gemmer en ny version; /prompt historik; /prompt gendan <n>",
            "en": "show the prompt; /prompt <text> saves a new version; /prompt historik; /prompt gendan <n>",
        },
        usage="[tekst | historik | gendan <n>]",
        permission="edit",
    ),
    Command(
        "indstil",
        configure,
        {
            "da": "ændr en indstilling (temperatur, top_k, chunk_size, chunk_overlap, "
            "model, navn, beskrivelse, afdeling, status)",
            "en": "change a setting (temperatur, top_k, chunk_size, chunk_overlap, model, "
            "navn, beskrivelse, afdeling, status)",
        },
        ("set",),
        usage="<nøgle> <værdi>",
        permission="edit",
    ),
]


async def save_settings_form(ctx: CommandContext, form: dict[str, object]) -> Reply:
    """The Builder settings card: every field goes through the same validation as /indstil and /prompt."""
    spec = await editing_or_notice(ctx)
    if isinstance(spec, Reply):
        return spec
    if form.get("slug") and form.get("slug") != spec.slug:
        return Reply(
            "Kortet hører til en anden specialist end den, du redigerer nu. Åbn det igen med /indstil.",
            kind="notice",
        )
    model_ids = [m.id for m in ctx.core.router.catalogue.models]
    changes: dict[str, object] = {}
    errors: list[str] = []
    for key in ("temperatur", "top_k", "model"):
        raw = str(form.get(key) or "").strip()
        if not raw or (key == "model" and raw == (spec.model_id or "")):
            continue
        try:
            field, value = parse_setting(key, raw, model_ids, spec.chunk_size, spec.chunk_overlap)
        except SpecialistError as exc:
            errors.append(str(exc))
            continue
        if getattr(spec, field) != value:
            changes[field] = value
    if errors:
        return Reply("Intet er gemt: " + " ".join(errors), kind="notice")
    saved = []
    if changes:
        await asyncio.to_thread(ctx.core.specialists.update, spec.id, **changes)  # type: ignore[arg-type]
        await ctx.core.audit_event(ctx.actor, "setting.changed", spec.slug, **changes)
        saved.append(", ".join(f"{k} = {v}" for k, v in changes.items()))
    prompt_text = str(form.get("prompt") or "").strip()
    current = await asyncio.to_thread(ctx.core.specialists.current_prompt, spec.id)  # type: ignore[arg-type]
    if prompt_text and prompt_text != current.text.strip():
        version = await asyncio.to_thread(ctx.core.specialists.set_prompt, spec.id, prompt_text, ctx.actor)
        await ctx.core.audit_event(ctx.actor, "prompt.changed", spec.slug, version=version.version)
        saved.append(f"prompt version {version.version}")
    if not saved:
        return Reply("Ingen ændringer at gemme.", kind="notice")
    return Reply(f"Gemt for **{spec.name}**: {'; '.join(saved)}.", kind="command")


async def settings_card(ctx: CommandContext, spec: Specialist) -> Reply:
    prompt_row = await asyncio.to_thread(ctx.core.specialists.current_prompt, spec.id)  # type: ignore[arg-type]
    models = [m.id for m in ctx.core.router.catalogue.models]
    current = (
        f"temperatur {spec.temperature}, top_k {spec.top_k}, chunk_size {spec.chunk_size}, "
        f"chunk_overlap {spec.chunk_overlap}, model {spec.model_id or 'standard'}, status {spec.status}"
    )
    return Reply(
        f"Indstillinger for **{spec.name}**: {current}.\nTilladte: {allowed_keys_text()}.",
        kind="command",
        card={
            "type": "settings",
            "slug": spec.slug,
            "name": spec.name,
            "prompt": prompt_row.text,
            "model": spec.model_id or "",
            "models": models,
            "temperature": spec.temperature,
            "top_k": spec.top_k,
        },
    )
