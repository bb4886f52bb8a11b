"""The Teams edge: the only package that knows the Bot Framework wire format and the Agents SDK.

The Agents SDK loads with ``bot.teams.agent``, on first use of ``TeamsBot`` or ``build_teams_bot``:
the manifest commands and other modules of this package do without it (it takes ~0.7 s to import).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.teams.agent import TeamsBot, build_teams_bot

__all__ = ["TeamsBot", "build_teams_bot"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from bot.teams import agent

        return getattr(agent, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
