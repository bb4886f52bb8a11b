"""/modeller: the model catalogue with evidence, from the last run of the shared benchmark."""

from __future__ import annotations

from bot.commands.registry import Command, CommandContext
from bot.conversation.types import Reply
from bot.messages import t


async def models_command(ctx: CommandContext) -> Reply:
    catalogue = await ctx.app.evaluation.alatest_catalogue(ctx.actor)
    if catalogue is None:
        return ctx.reply("models_none", "notice")
    lines = [t("models_title", ctx.locale, date=catalogue["date"][:10], cases=catalogue["cases"])]
    for model, row in catalogue["models"].items():
        lines.append(
            t(
                "models_line",
                ctx.locale,
                model=model,
                ceiling=row.get("max_classification") or t("models_embedded", ctx.locale),
                passed=round(row["pass_rate"] * 100),
                danish=round(row["danish_share"] * 100),
                words=round(row["words_mean"]),
                latency=round(row["latency_p50_ms"]),
            )
        )
    lines.append(t("models_footer", ctx.locale))
    return Reply("\n".join(lines), kind="command")


COMMANDS = [Command("modeller", models_command, ("models",), builder=True)]
