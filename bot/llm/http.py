"""The one HTTP client factory for catalogue endpoints (chat, embeddings, rerank, judge).

Every connection to a model endpoint is made by a client built here, and only the router's providers
(``bot.llm.providers``) ask for one, after the router decided that the endpoint may see the payload.
``tests/test_architecture.py`` fails when code outside ``bot/llm`` builds an HTTP client or reads an
endpoint's ``base_url``, so a new path to a model cannot bypass the policy by accident.
"""

from __future__ import annotations

import os

import aiohttp
import httpx

from bot.llm.catalogue import Endpoint


def api_key(spec: Endpoint) -> str:
    """The endpoint's key from the environment variable it names ("" when none)."""
    return os.environ.get(spec.api_key_env, "") if spec.api_key_env else ""


def auth_headers(spec: Endpoint) -> dict[str, str]:
    key = api_key(spec)
    return {"Authorization": f"Bearer {key}"} if key else {}


def url(spec: Endpoint, path: str) -> str:
    """``path`` under the endpoint's base URL (``/v1`` kept): ``url(spec, "embeddings")``."""
    return spec.base_url.rstrip("/") + "/" + path.lstrip("/")


def sync_client(spec: Endpoint, timeout_s: float, rooted: bool = True) -> httpx.Client:
    """A blocking client with the endpoint's key, rooted at its base URL (embeddings and rerank run
    on threads); ``rooted=False`` for a library that writes whole URLs itself (the openai client)."""
    if not rooted:
        return httpx.Client(timeout=timeout_s)
    return httpx.Client(base_url=url(spec, ""), headers=auth_headers(spec), timeout=timeout_s)


def async_client(spec: Endpoint, timeout_s: float, max_connections: int | None = None) -> httpx.AsyncClient:
    """A pooled asynchronous client for one endpoint (LangChain's chat client runs on it)."""
    limits = (
        httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        if max_connections
        else httpx.Limits()
    )
    return httpx.AsyncClient(timeout=timeout_s, limits=limits)


def stream_session(spec: Endpoint, connect_timeout_s: float, max_connections: int) -> aiohttp.ClientSession:
    """The aiohttp session that reads streamed answers (the server's own client, cheaper per chunk)."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=max_connections),
        timeout=aiohttp.ClientTimeout(total=None, sock_connect=connect_timeout_s),
    )
