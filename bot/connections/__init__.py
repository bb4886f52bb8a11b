"""Connected sources: places a specialist's documents live, read by a ``Connector`` on each sync.

``FACTORIES`` maps a connection's kind to what builds its connector from the stored row and the
settings: ``web`` (the crawler), ``sharepoint`` (a library or folder, by its browser address) and
``channel`` (a Teams channel's Files folder, stored as ``<team's Entra group id>/<channel thread id>``),
the last two read through Microsoft Graph. A kind whose factory is ``None`` is refused with a clear
message.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from bot.config import Settings
from bot.connections.graph import GraphConnector, channel_connector, sharepoint_connector
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


def sharepoint_factory(connection: Connection, settings: Settings) -> GraphConnector:
    """The Microsoft Graph drive connector for a SharePoint library or folder address (``GraphError``
    with the Danish reason when the address or its host is refused)."""
    return sharepoint_connector(connection.target, settings)


def channel_target(team_id: str, channel_id: str) -> str:
    """How a channel connection's target is stored: ``<team group id>/<channel thread id>``."""
    return f"{team_id.strip().lower()}/{channel_id.strip().split(';messageid=', 1)[0]}"


def channel_factory(connection: Connection, settings: Settings) -> GraphConnector:
    """The Microsoft Graph connector for a Teams channel's Files folder (its target: ``channel_target``)."""
    team_id, _, channel_id = connection.target.partition("/")
    return channel_connector(team_id, channel_id, settings)


# kind -> factory; None: that kind's connector is not plugged in (connecting one is refused)
SHAREPOINT_FACTORY: Factory | None = sharepoint_factory
CHANNEL_FACTORY: Factory | None = channel_factory
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
    "channel_factory",
    "channel_target",
    "sharepoint_factory",
    "web_factory",
]
