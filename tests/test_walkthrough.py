"""The README's Builder walk-through, typed line by line into the terminal chat (the real Teams
handler): from nothing to a published specialist that answers with a citation, cards included."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from bot.app import Services
from bot.teams.local import LocalTeamsChat

README = Path(__file__).parent.parent / "README.md"
CORPUS = Path(__file__).parent / "data" / "corpus"
PROMPT = re.compile(r"^(admin|bo|ole|eva)> (.*?)(?:\s{2,}#.*)?$")


def walkthrough() -> list[tuple[str, str]]:
    """The ``user> line`` pairs of the README's "Specialists" block, in order."""
    text = README.read_text(encoding="utf-8")
    block = (
        text.split("### Specialists: grounded, cited answers", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    )
    lines = []
    for raw in block.splitlines():
        found = PROMPT.match(raw.strip())
        if found:
            lines.append((found.group(1), found.group(2).strip()))
    return lines


def test_the_walkthrough_has_the_cards() -> None:
    lines = [line for _, line in walkthrough()]
    assert "/screening" in lines and "/del" in lines and "/indstil" in lines
    assert any(line.startswith("/kort Gem screening:") for line in lines)


async def test_the_readme_walkthrough_runs_as_written(make_services: Callable[..., Services]) -> None:
    services = make_services(admins="local-admin")
    chats: dict[str, LocalTeamsChat] = {}
    transcript: list[str] = []
    for user, line in walkthrough():
        if line.startswith("/fil "):
            line = f"/fil {CORPUS / 'sygefravaer.md'}"
        chat = chats.setdefault(user, LocalTeamsChat(services.teams, user))
        replies = await chat.send(line)
        transcript.append(f"{user}> {line}\n" + "\n".join(replies))
        shown = "\n".join(replies)
        assert replies, transcript[-1]
        for refusal in (
            "Fejl:",
            "kræver rollen",
            "Intet er gemt",
            "Kan ikke",
            "mangler:",
            "kan ikke udgives",
        ):
            assert refusal not in shown, "\n\n".join(transcript)
    spec = services.stores.specialists.require("personaleguiden")
    assert (spec.status, spec.sharing, spec.classification) == ("published", "organisation", "intern")
    assert spec.description.startswith("Svar om sygefravær") and spec.top_k == 3
    assert "[1]" in transcript[-3] or "sygefravaer" in transcript[-3]  # eva's question is answered and cited
