"""One HTTP session per Teams service endpoint, reused by every turn.

The Agents SDK opens a new aiohttp session for each turn's connector client and closes it when the
turn ends: a new TCP (in production TLS) connection to the Bot Connector for every answer, and the
session's own setup and teardown on the event loop. Here the factory hands each turn a client over a
shared session for its endpoint and bot token; the turn's ``close`` leaves it open. A session whose
token was replaced (tokens last an hour) is closed once the turns that may still use it are done.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import ClientSession, TCPConnector
from microsoft_agents.hosting.core.connector.teams import TeamsConnectorClient

log = logging.getLogger(__name__)

RETIRE_AFTER_S = 180.0  # longer than any turn (a Teams stream lasts at most two minutes)
MAX_CONNECTIONS = 256  # per endpoint; beyond it sends wait for a free connection


class SharedConnectorClient(TeamsConnectorClient):
    """A turn's connector client over a shared session: closing it ends the turn, not the session."""

    async def close(self) -> None:
        return None


class ConnectorSessions:
    """The open sessions, by endpoint; each carries the bot token it was opened with."""

    def __init__(self) -> None:
        self._open: dict[str, tuple[str, ClientSession]] = {}
        self._retiring: dict[asyncio.Task[None], ClientSession] = {}

    def client(self, endpoint: str, token: str) -> SharedConnectorClient:
        endpoint = endpoint if endpoint.endswith("/") else endpoint + "/"
        current = self._open.get(endpoint)
        if current is not None and current[0] == token and not current[1].closed:
            session = current[1]
        else:
            if current is not None:
                self._retire(current[1])
            session = ClientSession(base_url=endpoint, connector=TCPConnector(limit=MAX_CONNECTIONS))
            self._open[endpoint] = (token, session)
        return SharedConnectorClient(endpoint=endpoint, token=token, session=session)

    def _retire(self, session: ClientSession) -> None:
        async def later() -> None:
            await asyncio.sleep(RETIRE_AFTER_S)
            await session.close()

        task = asyncio.create_task(later())
        self._retiring[task] = session
        task.add_done_callback(lambda done: self._retiring.pop(done, None))

    async def close(self) -> None:
        """The server stops: every session, retiring ones too."""
        for task, session in list(self._retiring.items()):
            task.cancel()
            await session.close()
        for _token, session in self._open.values():
            await session.close()
        self._open.clear()
