"""Production identity: only the Teams channel gets in, and replies go only back to Teams.

The Agents SDK checks a token's signature, expiry and audience, and (asked to) its issuer. It does not
check who the token was issued *to*: any app registration of the tenant can get an app-only token for
the bot's audience from Entra, and the activity it then sends names any user it likes. Nor does it bind
the token to the activity's ``serviceUrl``, where the bot sends its reply with its own connector token.
This module adds both rules around the SDK's validation (no JWT code of its own):

- **Who.** A Bot Connector token (issuer ``https://api.botframework.com``, signed with the channel's
  keys) must carry the ``serviceurl`` claim. An Entra-issued token (``login.microsoftonline.com/<tenant>/
  v2.0`` or ``sts.windows.net/<tenant>/``, for this bot's tenant only) must have been issued to the Bot
  Framework service itself: ``azp`` (v2) or ``appid`` (v1) in ``AARHUSAI_CHANNEL_APP_IDS``. Any other
  issuer is refused, including the Microsoft first-party tenants the SDK always trusts.
- **Where.** The activity's ``serviceUrl`` must equal the token's ``serviceurl`` claim, and its host
  must be a Teams service host (``AARHUSAI_SERVICE_URL_HOSTS``). The connector client factory checks
  the host again before it asks for a token, so no code path — today's or a future one — can send the
  bot's credentials anywhere else.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from microsoft_agents.activity import RoleTypes
from microsoft_agents.hosting.core import ClaimsIdentity, RestChannelServiceClientFactory, TurnContext
from microsoft_agents.hosting.core.connector import ConnectorClientBase
from microsoft_agents.hosting.core.connector.client import UserTokenClient

from bot.config import Settings
from bot.errors import SecurityError
from bot.teams.connector_sessions import ConnectorSessions
from bot.teams.hosts import HostAllowList, Refusal, parse

log = logging.getLogger(__name__)

BOT_CONNECTOR_ISSUERS = ("https://api.botframework.com", "https://api.botframework.us")
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")


def entra_issuers(tenant_id: str | None) -> tuple[str, ...]:
    """The v1 and v2 issuers of this bot's own tenant (none for a bot without a tenant)."""
    if not tenant_id:
        return ()
    return (f"https://sts.windows.net/{tenant_id}/", f"https://login.microsoftonline.com/{tenant_id}/v2.0")


def same_service_url(a: str, b: str) -> bool:
    """The same endpoint: scheme, host, port and path, ignoring case of the host and a trailing slash."""
    pa, pb = parse(a), parse(b)
    if pa is None or pb is None:
        return False
    return (pa.origin, pa.pathname.rstrip("/")) == (pb.origin, pb.pathname.rstrip("/"))


@dataclass(frozen=True)
class ChannelIdentity:
    """The production rules for ``/api/messages``; ``None`` (not this object) in local mode."""

    app_id: str
    connector_issuers: frozenset[str]
    entra_issuers: frozenset[str]
    channel_app_ids: frozenset[str]
    service_hosts: HostAllowList

    @classmethod
    def from_settings(cls, settings: Settings) -> ChannelIdentity:
        return cls(
            app_id=settings.app_id or "",
            connector_issuers=frozenset(BOT_CONNECTOR_ISSUERS),
            entra_issuers=frozenset(i.lower() for i in entra_issuers(settings.tenant_id)),
            channel_app_ids=frozenset(a.lower() for a in settings.channel_app_ids),
            service_hosts=HostAllowList.from_setting(settings.service_url_hosts),
        )

    @property
    def issuers(self) -> list[str]:
        """What the SDK's own issuer allow-list is told (it adds Microsoft's first-party tenants)."""
        return sorted(self.connector_issuers) + sorted(self.entra_issuers)

    def token_problem(self, claims: Mapping[str, Any]) -> str | None:
        """Why a token the SDK accepted is still not the Teams channel's (None: it is)."""
        audience, issuer = claims.get("aud"), claims.get("iss")
        if not isinstance(audience, str) or audience.lower() != self.app_id.lower():
            return "token audience is not this bot"
        if not isinstance(issuer, str):
            return "token has no issuer"
        if issuer in self.connector_issuers:
            if not isinstance(claims.get("serviceurl"), str):
                return "channel token has no serviceurl claim"
            return None
        if issuer.lower() in self.entra_issuers:
            party = claims.get("azp") or claims.get("appid")
            if not isinstance(party, str) or party.lower() not in self.channel_app_ids:
                return "token was issued to another app than the Bot Framework service"
            return None
        return "token issuer is not the Teams channel"

    def reply_problem(self, claims: Mapping[str, Any], service_url: str | None) -> str | None:
        """Why the activity's reply address may not be used with this token (None: it may)."""
        if not service_url:
            return "activity has no serviceUrl"
        bound = claims.get("serviceurl")
        if isinstance(bound, str) and not same_service_url(bound, service_url):
            return "serviceUrl does not match the token's serviceurl claim"
        refusal = self.service_hosts.refusal(service_url)
        if refusal is not None:
            return f"serviceUrl refused ({refusal[0]})"
        return None


def reply_hosts(settings: Settings) -> HostAllowList:
    """Where replies may go: Teams' service hosts in production; loopback only in local mode."""
    if settings.local_mode:
        return LoopbackOnly()
    return HostAllowList.from_setting(settings.service_url_hosts)


class LoopbackOnly(HostAllowList):
    """Local mode: the Agents Playground, a test connector or the terminal chat, all on this machine."""

    def refusal(self, url: str) -> Refusal | None:
        parsed = parse(url)
        if parsed is None:
            return "invalid", {}
        if parsed.protocol not in ("http:", "https:") or parsed.hostname not in LOOPBACK_HOSTS:
            return "host", {"host": parsed.hostname or "–"}
        return None


class ServiceUrlRefused(SecurityError, PermissionError):
    """A connector client was asked for a host that is not a Teams service host."""


class GuardedClientFactory(RestChannelServiceClientFactory):
    """The SDK's connector client factory, refusing before a token is fetched for any other host, and
    refusing the SDK's agentic flow (it would ask Entra for tokens of a tenant the activity names)."""

    def __init__(
        self, connections: Any, hosts: HostAllowList, sessions: ConnectorSessions | None = None
    ) -> None:
        super().__init__(connections)
        self.hosts = hosts
        self.sessions = sessions  # reuse one HTTP session per endpoint across turns (None: the SDK's way)

    async def create_connector_client(
        self,
        context: TurnContext | None,
        claims_identity: ClaimsIdentity,
        service_url: str,
        audience: str,
        scopes: list[str] | None = None,
        use_anonymous: bool = False,
    ) -> ConnectorClientBase:
        if context is not None and context.activity.is_agentic_request():
            raise ServiceUrlRefused("agentic requests are not served")  # the edge refuses them too
        refusal = self.hosts.refusal(service_url or "")
        if refusal is not None:
            log.warning("refused to open a connector client (%s): %.100r", refusal[0], service_url)
            raise ServiceUrlRefused(f"service URL refused ({refusal[0]})")
        recipient = context.activity.recipient if context is not None else None
        if self.sessions is None or (recipient is not None and recipient.role == RoleTypes.connector_user):
            return await super().create_connector_client(
                context, claims_identity, service_url, audience, scopes, use_anonymous
            )
        # the SDK's own token step (its factory's), then a client over the endpoint's shared session
        provider = (
            self._ANONYMOUS_TOKEN_PROVIDER
            if use_anonymous
            else self._connection_manager.get_token_provider(claims_identity, service_url)
        )
        token = await provider.get_access_token(audience, scopes or claims_identity.get_token_scope())
        return self.sessions.client(service_url, token)

    async def create_user_token_client(
        self, context: TurnContext, claims_identity: ClaimsIdentity, use_anonymous: bool = False
    ) -> UserTokenClient:
        if context.activity.is_agentic_request():
            raise ServiceUrlRefused("agentic requests are not served")
        if self.sessions is None:
            return await super().create_user_token_client(context, claims_identity, use_anonymous)
        token = ""  # the SDK's own steps (its factory's), then the endpoint's shared client
        if not use_anonymous:
            endpoint = self._token_service_endpoint
            provider = self._connection_manager.get_token_provider(claims_identity, endpoint)
            token = await provider.get_access_token(
                self._token_service_audience, claims_identity.get_token_scope()
            )
            if not token:
                raise ValueError("no token for the user token client")
        return self.sessions.user_token_client(
            claims_identity.get_app_id() or "", self._token_service_endpoint, token
        )
