"""The layout DESIGN.md promises, checked on the source: no import cycles between ``bot/`` packages,
the Agents SDK only under ``bot/teams``, the MCP SDK only under ``bot/api``, model clients only inside
``bot/llm``, and doors that call the application services rather than the stores below them."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

BOT = Path(__file__).resolve().parents[1] / "bot"


def _unit(path: Path) -> str:
    """``bot/rag/index.py`` → ``rag``; a top-level module is its own unit (``bot/app.py`` → ``app``)."""
    rel = path.relative_to(BOT)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for path in BOT.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        unit = _unit(path)
        for module in _imports(path):
            parts = module.split(".")
            if parts[0] == "bot" and len(parts) > 1 and parts[1] != unit and parts[1] != "__init__":
                graph[unit].add(parts[1])
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_cycle_finder_finds_cycles() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_no_import_cycle_between_bot_packages() -> None:
    assert find_cycle(_graph()) is None, find_cycle(_graph())


def _modules_importing(prefix: str) -> set[str]:
    return {
        str(path.relative_to(BOT))
        for path in BOT.rglob("*.py")
        if any(m == prefix or m.startswith(prefix + ".") for m in _imports(path))
    }


def test_the_agents_sdk_stays_in_bot_teams() -> None:
    outside = {m for m in _modules_importing("microsoft_agents") if not m.startswith("teams/")}
    assert outside == set()


def test_the_mcp_sdk_stays_in_bot_api() -> None:
    outside = {m for m in _modules_importing("mcp") if not m.startswith("api/")}
    assert outside == set()


def test_model_clients_are_private_to_bot_llm() -> None:
    for private in ("bot.llm.providers", "langchain_openai", "openai"):
        outside = {m for m in _modules_importing(private) if not m.startswith("llm/")}
        assert outside == set(), private


def test_doors_call_services_not_the_stores_below_them() -> None:
    doors = ("api/", "commands/", "cli/", "dispatcher.py", "skills.py", "teams/")
    below = (
        "bot.specialists",
        "bot.store.conversations",
        "bot.governance.roles",
        "bot.rag.ingest",
        "bot.llm.router",
        "bot.governance.apikeys",
    )
    for prefix in below:
        users = {m for m in _modules_importing(prefix) if m.startswith(doors)}
        assert users == set(), (prefix, users)
