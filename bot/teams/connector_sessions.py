"""One client, and one HTTP session, per Teams endpoint and bot token, reused by every turn.

For each turn the Agents SDK built a connector client and a user-token client, each with a new
aiohttp session closed when the turn ended: a new TCP (in production TLS) connection to the Bot
Connector for every answer, two sessions set up and torn down on the event loop, and a package
metadata lookup per client for its User-Agent. Here the factory hands each turn the endpoint's shared
client; the turn's ``close`` leaves it open. A client whose token was replaced (tokens last an hour)
is closed once no turn holds it any more (a turn with large files or a slow model outlasts any timer).
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

RETIRE_AFTER_S = 180.0  # a replaced client lives at least this long, then until no turn holds it
RETIRE_POLL_S = 5.0  # how often a replaced client looks whether its last turn has ended
RETIRE_MAX_S = 3600.0  # and at most this long: its token has expired by then (a turn that never closed)
MAX_CONNECTIONS = 256  # per endpoint; beyond it sends wait for a free connection


class SharedConnectorClient(TeamsConnectorClient):
    """A turn's connector client over a shared session: closing it ends the turn, not the session."""

    users = 0  # turns handed this client and not closed yet

    async def close(self) -> None:
        self.users = max(self.users - 1, 0)

    async def aclose(self) -> None:
        await self.client.close()


class SharedUserTokenClient(UserTokenClient):
    """The same for the user-token service (the SDK makes one per turn, used or not)."""

    users = 0

    async def close(self) -> None:
        self.users = max(self.users - 1, 0)

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
            client.users += 1
            return client
        if current is not None:
            self._retire(current[1])
        fresh = make()
        fresh.users += 1
        self._open[key] = (token, fresh)
        return fresh

    def _retire(self, client: Shared) -> None:
        async def later() -> None:
            waited = RETIRE_AFTER_S
            await asyncio.sleep(waited)
            while client.users > 0 and waited < RETIRE_MAX_S:  # a turn still sends with it
                await asyncio.sleep(RETIRE_POLL_S)
                waited += RETIRE_POLL_S
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
