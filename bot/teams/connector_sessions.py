"""One client, and one HTTP session, per Teams endpoint and bot token, reused by every turn.

For each turn the Agents SDK built a connector client and a user-token client, each with a new
aiohttp session closed when the turn ended: a new TCP (in production TLS) connection to the Bot
Connector for every answer, two sessions set up and torn down on the event loop, and a package
metadata lookup per client for its User-Agent. Here the factory hands each turn the endpoint's shared
client; the turn's ``close`` leaves it open. A client whose token was replaced (tokens last an hour)
is closed once the turns that may still use it are done.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TypeVar

from aiohttp import ClientSession, TCPConnector
from microsoft_agents.hosting.core.connector.client import UserTokenClient
from microsoft_agents.hosting.core.connector.teams import TeamsConnectorClient

log = logging.getLogger(__name__)

RETIRE_AFTER_S = 180.0  # longer than any turn (a Teams stream lasts at most two minutes)
MAX_CONNECTIONS = 256  # per endpoint; beyond it sends wait for a free connection


class SharedConnectorClient(TeamsConnectorClient):
    """A turn's connector client over a shared session: closing it ends the turn, not the session."""

    async def close(self) -> None:
        return None

    async def aclose(self) -> None:
        await self.client.close()


class SharedUserTokenClient(UserTokenClient):
    """The same for the user-token service (the SDK makes one per turn, used or not)."""

    async def close(self) -> None:
        return None

    async def aclose(self) -> None:
        await self.client.close()


Shared = SharedConnectorClient | SharedUserTokenClient
C = TypeVar("C", SharedConnectorClient, SharedUserTokenClient)


def _session(endpoint: str) -> ClientSession:
    return ClientSession(base_url=endpoint, connector=TCPConnector(limit=MAX_CONNECTIONS))


class ConnectorSessions:
    """The open clients, by (kind, endpoint); each remembers the bot token it was made with."""

    def __init__(self) -> None:
        self._open: dict[tuple[str, str], tuple[str, Shared]] = {}
        self._retiring: dict[asyncio.Task[None], Shared] = {}

    def client(self, endpoint: str, token: str) -> SharedConnectorClient:
        endpoint = endpoint if endpoint.endswith("/") else endpoint + "/"
        return self._get(
            ("connector", endpoint),
            token,
            SharedConnectorClient,
            lambda: SharedConnectorClient(endpoint=endpoint, token=token, session=_session(endpoint)),
        )

    def user_token_client(self, app_id: str, endpoint: str, token: str) -> SharedUserTokenClient:
        return self._get(
            ("user-token", f"{app_id}|{endpoint}"),
            token,
            SharedUserTokenClient,
            lambda: SharedUserTokenClient(
                app_id=app_id, endpoint=endpoint, token=token, session=_session(endpoint)
            ),
        )

    def _get(self, key: tuple[str, str], token: str, kind: type[C], make: Callable[[], C]) -> C:
        current = self._open.get(key)
        if current is not None and current[0] == token and not current[1].client.closed:
            client = current[1]
            assert isinstance(client, kind)
            return client
        if current is not None:
            self._retire(current[1])
        fresh = make()
        self._open[key] = (token, fresh)
        return fresh

    def _retire(self, client: Shared) -> None:
        async def later() -> None:
            await asyncio.sleep(RETIRE_AFTER_S)
            await client.aclose()

        task = asyncio.create_task(later())
        self._retiring[task] = client
        task.add_done_callback(lambda done: self._retiring.pop(done, None))

    async def close(self) -> None:
        """The server stops: every client, retiring ones too."""
        for task, client in list(self._retiring.items()):
            task.cancel()
            await client.aclose()
        for _token, client in self._open.values():
            await client.aclose()
        self._open.clear()
