"""Connected sources: places a specialist's documents live, read by a ``Connector`` on each sync.

``FACTORIES`` maps a connection's kind to what builds its connector from the stored row and the
settings. ``web`` is here; ``sharepoint`` and ``channel`` (Microsoft Graph) are named and empty until
their connector is plugged in (``FACTORIES["sharepoint"] = graph_factory``): until then connecting one
is refused with a clear message.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from bot.config import Settings
from bot.connections.types import Change, Connector, FetchedDocument, FetchFailed, Gone, Unchanged
from bot.connections.web import CrawlOptions, WebConnector
from bot.hosts import HostAllowList
from bot.store.models import Connection

Factory = Callable[[Connection, Settings], Connector]
KINDS = ("web", "sharepoint", "channel")


def web_factory(connection: Connection, settings: Settings) -> Connector:
    options = json.loads(connection.options or "{}")
    return WebConnector(
        connection.target,
        HostAllowList.from_setting(settings.crawl_hosts),
        CrawlOptions(
            include=tuple(options.get("include") or ()),
            exclude=tuple(options.get("exclude") or ()),
            max_pages=int(options.get("max_pages") or 500),
            concurrency=settings.crawl_concurrency,
            delay_s=settings.crawl_delay_s,
            max_bytes=settings.max_upload_bytes,
        ),
    )


# kind -> factory; None: that kind's connector is not plugged in yet
SHAREPOINT_FACTORY: Factory | None = None  # the Microsoft Graph drive connector (a library or folder)
CHANNEL_FACTORY: Factory | None = None  # the Microsoft Graph connector for a Teams channel's Files folder
FACTORIES: dict[str, Factory | None] = {
    "web": web_factory,
    "sharepoint": SHAREPOINT_FACTORY,
    "channel": CHANNEL_FACTORY,
}

__all__ = [
    "FACTORIES",
    "KINDS",
    "Change",
    "Connector",
    "Factory",
    "FetchFailed",
    "FetchedDocument",
    "Gone",
    "Unchanged",
    "web_factory",
]
