"""Choosing and building specialists: /specialister, /brug, /ny, /rediger, /prompt, /indstil."""

from __future__ import annotations

from bot.commands import experts, forms
from bot.commands.registry import Arg, Command, CommandContext
from bot.conversation.types import Reply
from bot.domain import SpecialistKind, Status
from bot.messages import t, t_enum
from bot.store.models import Specialist
from bot.tunables import ALIASES, shown_key


async def list_specialists(ctx: CommandContext) -> Reply:
    listed = await ctx.app.specialists.avisible(ctx.actor)
    lines = [t("specialists_title", ctx.locale)]
    names = {i.spec.slug: _shown(i.spec, ctx.locale) for i in listed}
    for item in listed:
        spec = item.spec
        name, description = names[spec.slug]
        status = "" if spec.status == Status.PUBLISHED else t("draft_mark", ctx.locale)
        here = t("answers_here_mark", ctx.locale) if item.in_use else ""
        desc = f": {description}" if description else ""
        lines.append(f"- **{name}** (`{spec.slug}`{status}{here}){desc}")
    lines += ["", t("specialists_choose", ctx.locale)]
    card = {
        "type": "specialists",
        "title": t("specialists_card_title", ctx.locale),
        "button": t("use_button", ctx.locale),
        "about_button": t("about_short_button", ctx.locale),
        "answers_here": t("answers_here", ctx.locale),
        "draft": t("draft", ctx.locale),
        "items": [
            {
                "slug": i.spec.slug,
                "name": names[i.spec.slug][0],
                "description": names[i.spec.slug][1],
                "status": i.spec.status,
                "in_use": i.in_use,
            }
            for i in listed
        ],
    }
    return Reply("\n".join(lines), kind="command", card=card)


def _shown(spec: Specialist, locale: str) -> tuple[str, str]:
    """Name and description as shown; the built-in general assistant speaks the user's language."""
    if spec.kind == SpecialistKind.GENERAL:
        return t("general_name", locale), t("general_description", locale)
    return spec.name, spec.description


async def use_specialist(ctx: CommandContext) -> Reply:
    args = ctx.args.split()
    channel_wide = bool(args) and args[-1].casefold() in ("kanal", "channel")
    ref = " ".join(args[:-1] if channel_wide else args)
    if channel_wide and ctx.incoming.conversation.type == "channel":  # the channel's default: /kanal's rule
        view = await ctx.app.channels.aset_specialist(ctx.actor, ref)
        return ctx.reply("now_answering_channel", name=view.specialist.name)
    used = await ctx.app.specialists.ause(ctx.actor, ref)
    reply = ctx.reply(f"now_answering_{used.scope}", name=used.spec.name)
    reply.suggestions = list(used.starters)  # its prompt starters: buttons in a personal chat
    return reply


async def new_specialist(ctx: CommandContext) -> Reply:
    name, _, dept_ref = ctx.args.partition("afdeling=")
    if not dept_ref:
        name, _, dept_ref = ctx.args.partition("department=")
    spec = await ctx.app.specialists.acreate(ctx.actor, name, dept_ref)
    return ctx.reply("specialist_created", name=spec.name, slug=spec.slug)


async def edit_specialist(ctx: CommandContext) -> Reply:
    spec = await ctx.app.specialists.aedit(ctx.actor, ctx.args)
    return ctx.reply("now_editing", name=spec.name)


async def prompt(ctx: CommandContext) -> Reply:
    service = ctx.app.specialists
    sub, _, rest = ctx.args.partition(" ")
    if not ctx.args:
        spec, current = await service.aprompt(ctx.actor)
        return ctx.reply(
            "prompt_shown", name=spec.name, version=current.version, author=current.author, text=current.text
        )
    if sub.casefold() in ("historik", "history") and not rest:
        spec, versions = await service.aprompt_history(ctx.actor)
        lines = [t("prompt_history_title", ctx.locale, name=spec.name)]
        for v in reversed(versions):
            note = f" ({v.note})" if v.note else ""
            first = v.text.splitlines()[0][:80] if v.text else ""
            lines.append(f"- v{v.version} · {v.created_at:%Y-%m-%d %H:%M} · {v.author}{note}: {first}")
        lines.append(t("prompt_history_restore", ctx.locale))
        return Reply("\n".join(lines), kind="command")
    if sub.casefold() in ("gendan", "restore"):
        try:
            number = int(rest.strip().lstrip("v"))
        except ValueError:
            return ctx.reply("prompt_restore_which", "notice")
        restored = await service.arestore_prompt(ctx.actor, number)
        return ctx.reply("prompt_restored", number=number, version=restored.version)
    spec, saved = await service.aset_prompt(ctx.actor, ctx.args)
    reply = ctx.reply("prompt_saved", name=spec.name, version=saved.version)
    _spec, cases = await ctx.app.evaluation.acases(ctx.actor)
    if cases:  # a new prompt makes the last run stale: offer to run them again
        reply.text += "\n\n" + t("prompt_tests_hint", ctx.locale, count=len(cases))
    return reply


async def configure(ctx: CommandContext) -> Reply:
    key, _, value = ctx.args.partition(" ")
    if not key:
        return await settings_card(ctx)
    if key.casefold() in ("fagpersoner", "experts"):  # people and a channel, not a field value
        return await experts.set_experts(ctx, value)
    changed = await ctx.app.specialists.aconfigure(ctx.actor, key, value)
    note = t("chunk_note", ctx.locale) if changed.reindex else ""
    shown = shown_key(ALIASES.get(key.casefold(), key.casefold()), ctx.locale)
    return ctx.reply("setting_set", key=shown, value=changed.shown, name=changed.spec.name, note=note)


async def settings_card(ctx: CommandContext) -> Reply:
    view = await ctx.app.specialists.asettings_view(ctx.actor)
    spec, locale = view.spec, ctx.locale
    values = {
        "temperatur": spec.temperature,
        "top_k": spec.top_k,
        "chunk_size": spec.chunk_size,
        "chunk_overlap": spec.chunk_overlap,
        "model": spec.model_id or t("default_model", locale),
        "status": t_enum(Status(spec.status), locale),
    }
    current = ", ".join(f"{shown_key(key, locale)} {value}" for key, value in values.items())
    text = t("settings_shown", locale, name=spec.name, current=current, allowed=view.allowed)
    return Reply(text, kind="command", card=forms.settings(view, locale))


COMMANDS = [
    Command("specialister", list_specialists, ("specialists",)),
    Command(
        "brug",
        use_specialist,
        ("use",),
        args=(Arg("specialist"), Arg("kanal", optional=True, literal=True)),
    ),
    Command("ny", new_specialist, ("new",), usage_key="usage_ny", builder=True),
    Command("rediger", edit_specialist, ("edit",), args=(Arg("specialist"),), builder=True),
    Command("prompt", prompt, usage_key="usage_prompt", builder=True),
    Command("indstil", configure, ("set",), usage_key="usage_indstil", builder=True),
]
