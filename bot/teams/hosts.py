"""Where the bot may send a request on Teams' say-so: the rule lives in ``bot.hosts`` (the crawler of
connected sources uses it too); this name stays for the Teams edge."""

from bot.hosts import HostAllowList, Refusal, host_matches, origin, parse

__all__ = ["HostAllowList", "Refusal", "host_matches", "origin", "parse"]
