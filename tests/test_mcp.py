"""``/mcp`` as an agent meets it, through the official ``mcp`` client: every parameter described and
bounded, read-only annotations and titles, one concrete resource per readable specialist, one-sentence
errors in the caller's language (no pydantic dump, no URL), ``GET /mcp`` answered at once, and a 401
that tells a client to send the key as a Bearer token (with RFC 9728 metadata) instead of starting OAuth.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import httpx2
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from bot.api.mcp_server import QuestionAnswer, RoleTurn, exchanges
from bot.conversation.types import Exchange
from tests.redteam.conftest import municipality
from tests.test_api import QUESTION, Integration, api

__all__ = ["api", "municipality"]  # the fixtures, imported for this module


@asynccontextmanager
async def session(api: Integration, key: str, language: str = "da") -> AsyncIterator[ClientSession]:
    headers = {"Authorization": f"Bearer {key}", "Accept-Language": language}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=30) as http,
        streamable_http_client(f"{api.base}/mcp", http_client=http) as (read, write),
        ClientSession(read, write) as mcp,
    ):
        await mcp.initialize()
        yield mcp


async def test_every_parameter_is_described_and_bounded(api: Integration) -> None:
    async with session(api, api.public_key) as mcp:
        tools = {tool.name: tool for tool in (await mcp.list_tools()).tools}
    for tool in tools.values():
        assert tool.title and tool.description
        for name, schema in tool.input_schema.get("properties", {}).items():
            assert schema.get("description"), (tool.name, name)
        hints = tool.annotations
        assert hints is not None and hints.title == tool.title
        assert (hints.read_only_hint, hints.destructive_hint, hints.open_world_hint) == (True, False, False)
    search = tools["search_sources"].input_schema["properties"]
    assert (search["k"]["minimum"], search["k"]["maximum"], search["k"]["default"]) == (1, 20, 5)
    assert search["specialist"]["maxLength"] == 64 and search["specialist"]["pattern"]
    assert search["query"]["minLength"] == 1 and search["query"]["maxLength"] == 4000
    ask = tools["ask_specialist"].input_schema
    assert set(ask["required"]) == {"specialist", "question"}
    assert ask["properties"]["history"]["maxItems"] == 50
    assert tools["list_specialists"].annotations.idempotent_hint is True


async def test_resources_are_listed_for_the_specialists_the_key_reads(api: Integration) -> None:
    async with session(api, api.public_key) as mcp:
        listed = (await mcp.list_resources()).resources
        templates = (await mcp.list_resource_templates()).resource_templates
        read = await mcp.read_resource(listed[0].uri)
    assert sorted(str(r.uri) for r in listed) == ["specialist://pas/description", "specialist://pas/sources"]
    assert {r.title for r in listed} == {"Pas: beskrivelse", "Pas: kilder"}  # sager is above the ceiling
    assert {t.uri_template for t in templates} == {
        "specialist://{slug}/description",
        "specialist://{slug}/sources",
    }
    assert read.contents[0].text
    async with session(api, api.wide_key, "en") as mcp:
        wide = (await mcp.list_resources()).resources
    assert len(wide) == 4 and "Sager: sources" in {r.title for r in wide}


@pytest.mark.parametrize(
    ("arguments", "danish", "english"),
    [
        (
            {"specialist": "pas", "query": "pas", "k": 500},
            "Argumentet 'k' skal være et tal fra 1 til 20.",
            "The argument 'k' must be a number from 1 to 20.",
        ),
        ({"specialist": "pas"}, "Argumentet 'query' mangler.", "The argument 'query' is missing."),
        (
            {"specialist": "pas", "query": ""},
            "Argumentet 'query' er for kort: det skal have mindst 1 tegn.",
            "The argument 'query' is too short: it needs at least 1 character.",
        ),
        (
            {"specialist": "pas", "query": "pas", "k": "mange"},
            "Argumentet 'k' har forkert type: det skal være `integer`.",
            "The argument 'k' has the wrong type: it must be `integer`.",
        ),
        (
            {"specialist": "Pas; DROP", "query": "pas"},
            "Argumentet 'specialist' har ikke den form, værktøjets beskrivelse kræver.",
            "The argument 'specialist' does not have the form the tool's description requires.",
        ),
    ],
)
async def test_bad_arguments_get_one_sentence_in_the_callers_language(
    api: Integration, arguments: dict[str, object], danish: str, english: str
) -> None:
    for language, expected in (("da", danish), ("en", english)):
        async with session(api, api.public_key, language) as mcp:
            result = await mcp.call_tool("search_sources", arguments)
        assert result.is_error and [c.text for c in result.content] == [expected]
    assert api.town.external.requests == []


async def test_errors_carry_no_pydantic_dump_and_no_prefix(api: Integration) -> None:
    async with session(api, api.public_key, "en") as mcp:
        history = await mcp.call_tool(
            "ask_specialist", {"specialist": "pas", "question": QUESTION, "history": [{"role": "system"}]}
        )
        unknown = await mcp.call_tool("delete_everything", {})
        refused = await mcp.call_tool("ask_specialist", {"specialist": "sager", "question": QUESTION})
    for result in (history, unknown, refused):
        text = result.content[0].text
        assert (
            result.is_error
            and "http" not in text
            and "pydantic" not in text
            and "Error executing" not in text
        )
    assert history.content[0].text == "The argument 'history.0.role' must be one of: user, assistant."
    assert unknown.content[0].text.startswith(
        "There is no tool 'delete_everything'; use one of: ask_specialist"
    )
    assert refused.content[0].text == "The specialist 'sager' does not exist, or the key may not use it."


async def test_history_is_carried_into_the_answer(api: Integration) -> None:
    history = [
        {"question": "Hvad koster et pas til et barn?", "answer": "Et pas til et barn koster 200 kr."},
        {"role": "user", "content": "Og hvor bestiller jeg tid?"},
        {"role": "assistant", "content": "Du bestiller tid i Borgerservice."},
    ]
    async with session(api, api.public_key) as mcp:
        result = await mcp.call_tool(
            "ask_specialist", {"specialist": "pas", "question": QUESTION, "history": history}
        )
    assert not result.is_error, result.content
    sent = api.town.external.requests[-1]["messages"]
    said = "\n".join(str(m["content"]) for m in sent)
    assert "Et pas til et barn koster 200 kr." in said and "Du bestiller tid i Borgerservice." in said


def test_history_turns_become_question_answer_pairs() -> None:
    turns = [
        QuestionAnswer(question="a?", answer="A."),
        RoleTurn(role="user", content="b?"),
        RoleTurn(role="user", content="c?"),
        RoleTurn(role="assistant", content="BC."),
        RoleTurn(role="assistant", content="stray"),
        RoleTurn(role="user", content="d?"),
    ]
    assert exchanges(turns) == ([Exchange("a?", "A."), Exchange("b?\nc?", "BC.")], "d?")


async def test_get_mcp_is_answered_at_once_with_405(api: Integration) -> None:
    headers = {"Authorization": f"Bearer {api.public_key}", "Accept": "text/event-stream"}
    async with aiohttp.ClientSession() as http:
        async with asyncio.timeout(5), http.get(f"{api.base}/mcp", headers=headers) as r:
            assert r.status == 405 and r.headers["Allow"] == "POST"
            assert (await r.json())["error"]["code"] == "method_not_allowed"
        async with http.delete(f"{api.base}/mcp", headers=headers) as r:
            assert r.status == 405


@pytest.mark.parametrize("sent", [None, "Bearer aai_forkert"])
async def test_a_401_tells_the_client_to_send_the_key_as_a_bearer_token(
    api: Integration, sent: str | None
) -> None:
    headers = {"Authorization": sent} if sent else {}
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{api.base}/mcp", json={}, headers=headers) as r:
            assert r.status == 401
            challenge = r.headers["WWW-Authenticate"]
            message = (await r.json())["error"]["message"]
        metadata_url = challenge.split('resource_metadata="', 1)[1].split('"', 1)[0]
        async with http.get(metadata_url) as m:
            metadata = await m.json()
    assert challenge.startswith('Bearer realm="aarhusai"')
    assert ('error="invalid_token"' in challenge) == bool(sent)
    assert metadata_url == f"{api.base}/.well-known/oauth-protected-resource/mcp"
    assert "Authorization: Bearer <nøgle>" in message
    assert metadata["resource"] == f"{api.base}/mcp"
    assert metadata["bearer_methods_supported"] == ["header"] and "authorization_servers" not in metadata
    assert "Authorization: Bearer" in metadata["authentication"]
