"""/test: a Builder's test cases for the specialist being edited (add, show, delete, run).

``/test tilføj <spørgsmål> ; indeholder <tekst> ; citerer <fil> ; afviser ; sprog da`` (the syntax:
``bot.evals.phrases``; Danish and English keywords both read), ``/test vis`` (each case with its
requirements), ``/test slet <n>``, ``/test kør`` (a card: passed x/y and each failure with its answer,
what was expected, what was seen and the passages retrieval found). English: add, show, delete, run.
"""

from __future__ import annotations

import json
from typing import Any

from bot.commands.registry import Command, CommandContext
from bot.conversation.types import Reply
from bot.evals.phrases import parse_case
from bot.messages import t
from bot.services.evaluation import Failure, Passage

ADD, SHOW, DELETE, RUN = ("tilføj", "add"), ("vis", "show"), ("slet", "delete"), ("kør", "run")
ANSWER_CHARS = 400
# assertion type -> the catalogue key saying what it asks for (``value`` fills it)
EXPECT_KEYS = {
    "icontains": "test_expect_contains",
    "not-icontains": "test_expect_not_contains",
    "cites": "test_expect_cites",
    "refuses": "test_expect_refuse",
    "not-refuses": "test_expect_answer",
    "language": "test_expect_language",
    "max-words": "test_expect_max_words",
    "regex": "test_expect_regex",
    "citations-valid": "test_expect_citations_valid",
    "latency-ms": "test_expect_latency",
    "llm-rubric": "test_expect_rubric",
    # promptfoo's names for the same checks (case files may use either)
    "contains": "test_expect_contains",
    "not-contains": "test_expect_not_contains",
    "is-refusal": "test_expect_refuse",
    "not-is-refusal": "test_expect_answer",
    "latency": "test_expect_latency",
}


def _language(code: object, locale: str) -> str:
    return t(f"language_{code}", locale) if code in ("da", "en") else str(code)


def expected(asserts: list[dict[str, Any]], locale: str) -> str:
    """What a case asks for, in ``locale``: ``svaret skal indeholde «688»; skal citere pas.md``."""
    parts = []
    for a in asserts:
        key = EXPECT_KEYS.get(a["type"])
        value = a.get("value")
        if a["type"] == "language":
            value = _language(value, locale)
        if key is None:
            parts.append(t("test_expect_other", locale, type=a["type"], value=value or "").strip())
        else:
            parts.append(t(key, locale, value=value))
    return "; ".join(parts)


def seen(failed: list[dict[str, Any]], locale: str) -> str:
    """What the run saw where a requirement failed, in ``locale`` (empty where the answer says it)."""
    parts = []
    for a in failed:
        kind, value = a["type"], a.get("seen")
        if kind == "cites":
            names = ", ".join(value or [])
            parts.append(
                t("test_seen_cited", locale, names=names) if names else t("test_seen_no_cites", locale)
            )
        elif kind == "refuses":
            parts.append(t("test_seen_answered", locale))
        elif kind == "not-refuses":
            parts.append(t("test_seen_refused", locale))
        elif kind == "language":
            parts.append(t("test_seen_language", locale, language=_language(value, locale)))
        elif kind == "max-words":
            parts.append(t("test_seen_words", locale, count=value))
        elif kind == "latency-ms":
            parts.append(t("test_seen_latency", locale, value=value))
        elif kind == "llm-rubric" and a.get("detail"):
            parts.append(t("test_seen_judge", locale, detail=a["detail"]))
    return "; ".join(parts)


def passage_line(p: Passage, locale: str) -> str:
    """``pas.md › Pas › Priser, s. 2: «Et pas til en voksen …»``."""
    where = " › ".join(x for x in (p.source, p.heading) if x)
    if p.page is not None:
        where += ", " + t("citation_page", locale, page=p.page)
    return t("test_passage", locale, where=where, snippet=p.snippet)


def passages(failure: Failure, locale: str) -> list[str]:
    return [passage_line(p, locale) for p in failure.passages]


async def test_command(ctx: CommandContext) -> Reply:
    sub, _, rest = ctx.args.strip().partition(" ")
    sub, rest = sub.casefold(), rest.strip()
    service = ctx.app.evaluation
    if sub in ADD:
        question, asserts = parse_case(rest)
        spec, number = await service.aadd_case(ctx.actor, question, asserts)
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
        return await _run(ctx)
    return ctx.reply("test_usage", "notice")


async def _run(ctx: CommandContext) -> Reply:
    report = await ctx.app.evaluation.run_own(ctx.actor)
    locale = ctx.locale
    title = t(
        "test_run_title",
        locale,
        name=report.spec.name,
        model=report.model,
        passed=report.passed,
        count=report.total,
    )
    lines = [title]
    failures = []
    for f in report.failures:
        answer = (
            f.answer if len(f.answer) <= ANSWER_CHARS else f.answer[:ANSWER_CHARS].rsplit(" ", 1)[0] + " …"
        )
        wanted = expected(f.failed, locale)  # what the failed assertions asked for
        saw = seen(f.failed, locale)
        found = passages(f, locale)
        shown_found = "\n".join(f"- {p}" for p in found) if found else t("test_no_passages", locale)
        lines.append(
            t(
                "test_failure",
                locale,
                number=f.number,
                question=f.question,
                answer=answer,
                expected=wanted,
                seen=t("test_seen", locale, seen=saw) if saw else "",
                passages=shown_found,
            )
        )
        failures.append(
            {
                "question": f"{f.number}. {f.question}",
                "answer": answer,
                "expected": wanted,
                "detail": saw,
                "passages": found or [t("test_no_passages", locale)],
            }
        )
    if not failures:
        lines.append(t("test_all_passed", locale))
    card = {
        "type": "tests",
        "title": t("test_card_title", locale, name=report.spec.name),
        "summary": title,
        "all_passed": t("test_all_passed", locale) if not failures else "",
        "labels": {
            "answer": t("test_answer_label", locale),
            "expected": t("test_expected_label", locale),
            "seen": t("test_seen_label", locale),
            "found": t("test_found_label", locale),
        },
        "failures": failures,
    }
    return Reply("\n\n".join(lines), kind="command", card=card)


COMMANDS = [Command("test", test_command, usage_key="usage_test", builder=True)]
