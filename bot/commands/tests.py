"""/test: a Builder's test cases for the specialist being edited (add, show, delete, run).

``/test tilføj <spørgsmål> | <forventet tekst>`` (or ``| afvis``: the specialist must refuse),
``/test vis``, ``/test slet <n>``, ``/test kør`` (a card: passed x/y and each failure with its answer
and what was expected). English: add, show, delete, run, and ``| refuse``.
"""

from __future__ import annotations

import json
from typing import Any

from bot.commands.registry import Command, CommandContext
from bot.conversation.types import Reply
from bot.messages import t

ADD, SHOW, DELETE, RUN = ("tilføj", "add"), ("vis", "show"), ("slet", "delete"), ("kør", "run")
REFUSE = ("afvis", "refuse")
ANSWER_CHARS = 400


def expected(asserts: list[dict[str, Any]], locale: str) -> str:
    parts = []
    for a in asserts:
        if a["type"] in ("refuses", "is-refusal"):
            parts.append(t("test_expect_refuse", locale))
        elif a["type"] == "icontains":
            parts.append(t("test_expect_contains", locale, value=a["value"]))
        else:
            parts.append(t("test_expect_other", locale, type=a["type"], value=a.get("value") or "").strip())
    return "; ".join(parts)


async def test_command(ctx: CommandContext) -> Reply:
    sub, _, rest = ctx.args.partition(" ")
    sub, rest = sub.casefold(), rest.strip()
    service = ctx.app.evaluation
    if sub in ADD:
        question, bar, expect = rest.rpartition("|")
        if not bar or not question.strip() or not expect.strip():
            return ctx.reply("test_usage", "notice")
        refuse = expect.strip().casefold() in REFUSE
        spec, number = await service.aadd_case(ctx.actor, question, None if refuse else expect.strip())
        return ctx.reply("test_added", number=number, name=spec.name)
    if sub in SHOW or (not sub and not rest):
        spec, rows = await service.acases(ctx.actor)
        if not rows:
            return ctx.reply("test_none", name=spec.name)
        lines = [t("test_list_title", ctx.locale, name=spec.name)]
        for n, row in enumerate(rows, start=1):
            lines.append(
                t(
                    "test_line",
                    ctx.locale,
                    number=n,
                    question=row.question,
                    expected=expected(json.loads(row.asserts), ctx.locale),
                )
            )
        return Reply("\n".join(lines), kind="command")
    if sub in DELETE:
        if not rest.isdigit():
            return ctx.reply("test_usage", "notice")
        spec, question = await service.aremove_case(ctx.actor, int(rest))
        return ctx.reply("test_removed", number=int(rest), question=question, name=spec.name)
    if sub in RUN:
        report = await service.run_own(ctx.actor)
        title = t(
            "test_run_title",
            ctx.locale,
            name=report.spec.name,
            model=report.model,
            passed=report.passed,
            total=report.total,
        )
        lines = [title]
        failures = []
        for f in report.failures:
            answer = (
                f.answer
                if len(f.answer) <= ANSWER_CHARS
                else f.answer[:ANSWER_CHARS].rsplit(" ", 1)[0] + " …"
            )
            wanted = expected(f.failed, ctx.locale)  # what the failed assertions asked for
            detail = "; ".join(f"{a['type']}: {a['detail']}" for a in f.failed)
            lines.append(
                t(
                    "test_failure",
                    ctx.locale,
                    number=f.number,
                    question=f.question,
                    answer=answer,
                    expected=wanted,
                    detail=detail,
                )
            )
            failures.append(
                {
                    "question": f"{f.number}. {f.question}",
                    "answer": answer,
                    "expected": wanted,
                    "detail": detail,
                }
            )
        if not failures:
            lines.append(t("test_all_passed", ctx.locale))
        card = {
            "type": "tests",
            "title": t("test_card_title", ctx.locale, name=report.spec.name),
            "summary": title,
            "all_passed": t("test_all_passed", ctx.locale) if not failures else "",
            "labels": {
                "answer": t("test_answer_label", ctx.locale),
                "expected": t("test_expected_label", ctx.locale),
            },
            "failures": failures,
        }
        return Reply("\n\n".join(lines), kind="command", card=card)
    return ctx.reply("test_usage", "notice")


COMMANDS = [Command("test", test_command, usage_key="usage_test", builder=True)]
