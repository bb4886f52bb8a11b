"""App-only tokens for Microsoft Graph: the client-credentials grant through ``msal``.

The bot's own app registration (``AARHUSAI_APP_ID`` / ``AARHUSAI_APP_PASSWORD`` / ``AARHUSAI_TENANT_ID``)
asks Entra ID (``AARHUSAI_LOGIN_URL``) for a token for Graph (``AARHUSAI_GRAPH_URL``'s origin,
``/.default`` scope: exactly the application permissions an admin granted, e.g. ``Sites.Selected``).

One ``ConfidentialClientApplication`` per (authority, app, Graph) lives for the process, so its token
cache is shared by every connection: a token is fetched once and reused until shortly before it
expires (msal decides). Instance discovery is off: msal then asks only the configured authority (its
OpenID configuration and token endpoint), never ``login.microsoftonline.com`` on the side, which a
sovereign cloud or a closed network could not reach. msal is synchronous, so a call runs on a thread.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from typing import Any

import msal

from bot.config import Settings
from bot.domain import AppError, Outcome

TOKEN_TIMEOUT_S = 30.0


class GraphError(AppError):
    """Microsoft Graph refused or failed a request for a whole connection (``key`` says why, in Danish
    or English by the door's locale); one document's failure is a ``FetchFailed`` instead."""

    def __init__(self, key: str, outcome: Outcome = Outcome.UPSTREAM_FAILED, **values: object) -> None:
        super().__init__(outcome, key, **values)


@dataclass(frozen=True)
class GraphCredentials:
    """Who asks (the app) and where (the authority and Graph's origin)."""

    login_url: str
    tenant_id: str
    client_id: str
    client_secret: str
    graph_url: str

    @classmethod
    def from_settings(cls, settings: Settings) -> GraphCredentials:
        if not (settings.app_id and settings.app_password and settings.tenant_id):
            raise GraphError("graph_not_configured", Outcome.BROKEN)
        return cls(
            login_url=settings.login_url.rstrip("/"),
            tenant_id=settings.tenant_id,
            client_id=settings.app_id,
            client_secret=settings.app_password,
            graph_url=settings.graph_url.rstrip("/"),
        )

    @property
    def authority(self) -> str:
        return f"{self.login_url}/{self.tenant_id}"

    @property
    def scope(self) -> str:
        """``https://graph.microsoft.com/.default``: the resource is Graph's origin, not its version."""
        scheme, _, rest = self.graph_url.partition("://")
        return f"{scheme}://{rest.split('/', 1)[0]}/.default"


class GraphTokens:
    """Hands out a cached app-only token; ``verify`` (a CA bundle path) is for a test's own TLS."""

    def __init__(self, credentials: GraphCredentials, verify: bool | str = True) -> None:
        self.credentials = credentials
        self._verify = verify
        self._app: msal.ConfidentialClientApplication | None = None
        self._lock = threading.Lock()

    def _application(self) -> msal.ConfidentialClientApplication:
        with self._lock:  # msal fetches the OpenID configuration while it is built: once
            if self._app is None:
                c = self.credentials
                try:
                    self._app = msal.ConfidentialClientApplication(
                        c.client_id,
                        client_credential=c.client_secret,
                        authority=c.authority,
                        instance_discovery=False,
                        verify=self._verify,
                        timeout=TOKEN_TIMEOUT_S,
                    )
                except (ValueError, OSError) as exc:  # discovery failed: no such tenant, unreachable
                    raise GraphError("graph_auth_failed", detail=type(exc).__name__) from None
            return self._app

    def _acquire(self) -> str:
        try:
            result: dict[str, Any] = self._application().acquire_token_for_client(
                scopes=[self.credentials.scope]
            )
        except (ValueError, OSError) as exc:  # requests' errors are OSErrors
            raise GraphError("graph_auth_failed", detail=type(exc).__name__) from None
        token = result.get("access_token")
        if not isinstance(token, str) or not token:
            # msal's error code only (e.g. invalid_client); its description may echo request details
            raise GraphError("graph_auth_failed", detail=str(result.get("error") or "no token")[:80])
        return token

    async def token(self) -> str:
        return await asyncio.to_thread(self._acquire)


_SHARED: dict[tuple[GraphCredentials, bool | str], GraphTokens] = {}
_SHARED_LOCK = threading.Lock()


def graph_tokens(settings: Settings, verify: bool | str = True) -> GraphTokens:
    """The process's token source for these settings (one msal cache per app and authority)."""
    credentials = GraphCredentials.from_settings(settings)
    with _SHARED_LOCK:
        found = _SHARED.get((credentials, verify))
        if found is None:
            found = _SHARED[(credentials, verify)] = GraphTokens(credentials, verify)
        return found
