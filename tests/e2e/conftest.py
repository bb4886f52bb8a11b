"""Fixtures for the end-to-end tests: the bot behind the Microsoft 365 Agents Playground.

Missing tools fail the tests (never skip them) with the command that installs them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.playground import (
    MissingPrerequisite,
    Playground,
    PlaygroundStack,
    check_playground_installed,
    check_playwright_installed,
    chromium_executable,
    running_stack,
)


def _require(*checks: Callable[[], object]) -> None:
    try:
        for check in checks:
            check()
    except MissingPrerequisite as exc:
        pytest.fail(f"end-to-end prerequisite missing: {exc}", pytrace=False)


@pytest.fixture(scope="module")
def playground_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlaygroundStack]:
    """One bot + Playground per test module (starting them takes a few seconds)."""
    _require(check_playground_installed)
    with running_stack(tmp_path_factory.mktemp("e2e")) as stack:
        yield stack


@pytest.fixture
def playground(playground_stack: PlaygroundStack) -> Playground:
    return playground_stack.playground


@pytest.fixture
def make_stack(tmp_path: Path) -> Iterator[Callable[..., PlaygroundStack]]:
    """A fresh bot + Playground for one test, e.g. ``make_stack(bot_env={"AARHUSAI_ADMINS": ...})``."""
    _require(check_playground_installed)
    with contextlib.ExitStack() as stacks:
        count = 0

        def make(**kwargs: object) -> PlaygroundStack:
            nonlocal count
            count += 1
            return stacks.enter_context(running_stack(tmp_path / f"stack-{count}", **kwargs))  # type: ignore[arg-type]

        yield make


@pytest.fixture
def require_browser() -> None:
    """Playwright for Python and Debian's chromium (never Playwright's own browser download)."""
    _require(check_playwright_installed, chromium_executable)
