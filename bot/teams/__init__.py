"""The Teams edge: the only package that knows the Bot Framework wire format and the Agents SDK."""

from bot.teams.agent import TeamsBot, build_teams_bot

__all__ = ["TeamsBot", "build_teams_bot"]
