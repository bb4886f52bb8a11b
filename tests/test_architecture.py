"""The layout DESIGN.md promises, checked on the source: no import cycles between ``bot/`` packages,
the Agents SDK only under ``bot/teams``, the MCP SDK only under ``bot/api``, model clients only inside
``bot/llm``, and doors that call the application services rather than the stores below them."""

from __future__ import annotations

import ast
import builtins
from collections import defaultdict
from pathlib import Path

BOT = Path(__file__).resolve().parents[1] / "bot"


def _unit(path: Path) -> str:
    """``bot/rag/index.py`` → ``rag``; a top-level module is its own unit (``bot/app.py`` → ``app``)."""
    rel = path.relative_to(BOT)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for path in BOT.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        unit = _unit(path)
        for module in _imports(path):
            parts = module.split(".")
            if parts[0] == "bot" and len(parts) > 1 and parts[1] != unit and parts[1] != "__init__":
                graph[unit].add(parts[1])
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_cycle_finder_finds_cycles() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_no_import_cycle_between_bot_packages() -> None:
    assert find_cycle(_graph()) is None, find_cycle(_graph())


def _modules_importing(prefix: str) -> set[str]:
    return {
        str(path.relative_to(BOT))
        for path in BOT.rglob("*.py")
        if any(m == prefix or m.startswith(prefix + ".") for m in _imports(path))
    }


def test_the_agents_sdk_stays_in_bot_teams() -> None:
    outside = {m for m in _modules_importing("microsoft_agents") if not m.startswith("teams/")}
    assert outside == set()


def test_the_mcp_sdk_stays_in_bot_api() -> None:
    outside = {m for m in _modules_importing("mcp") if not m.startswith("api/")}
    assert outside == set()


def test_model_clients_are_private_to_bot_llm() -> None:
    for private in ("bot.llm.providers", "langchain_openai", "openai"):
        outside = {m for m in _modules_importing(private) if not m.startswith("llm/")}
        assert outside == set(), private


def test_doors_call_services_not_the_stores_below_them() -> None:
    doors = ("api/", "commands/", "cli/", "dispatcher.py", "skills.py", "teams/")
    below = (
        "bot.specialists",
        "bot.store.conversations",
        "bot.governance.roles",
        "bot.rag.ingest",
        "bot.llm.router",
        "bot.governance.apikeys",
    )
    for prefix in below:
        users = {m for m in _modules_importing(prefix) if m.startswith(doors)}
        assert users == set(), (prefix, users)


# -- doors never reach the stores ------------------------------------------------------------------
# A door gets what it needs from ``Application`` (its services and read-only properties); the stores
# below them are private (``Application._stores``), and so are the modules that hold them.
DOORS = ("api/", "commands/", "cli/", "skills.py", "teams/")
STORE_MODULES = (
    "bot.store",  # the database, conversations, claims, the send log (its row types are allowed below)
    "bot.specialists",
    "bot.governance.roles",
    "bot.governance.apikeys",
    "bot.governance.audit",
    "bot.governance.retention",
    "bot.rag.ingest",
    "bot.rag.index",
    "bot.rag.retrieval",
    "bot.llm.router",
)
STORE_TYPES = ("bot.store.models",)  # plain row types a door may name, not a way to reach rows
# The schema commands (``db upgrade``, the check before serving) work on the database itself, below
# any service: the one door that may name it.
STORE_ALLOWED = {"cli/_base.py": {"bot.store.migrate", "bot.store.Database"}}


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def store_reach(source: str) -> list[str]:
    """Every way ``source`` reaches below the services: a ``.stores``/``._stores`` read (also through
    ``getattr``) and every import of a store module (``from m import n`` counts as ``m.n``)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in ("stores", "_stores"):
            found.append(f"{node.lineno}: .{node.attr}")
        elif (
            isinstance(node, ast.Call)
            and _dotted(node.func) == "getattr"
            and any(isinstance(a, ast.Constant) and a.value in ("stores", "_stores") for a in node.args)
        ):
            found.append(f"{node.lineno}: getattr stores")
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
        found += [
            f"{node.lineno}: {n}" for n in names if _within(n, STORE_MODULES) and not _within(n, STORE_TYPES)
        ]
    return sorted(set(found))


def test_the_store_check_sees_a_door_reaching_the_stores() -> None:
    cases = {
        "def f(app):\n    return app.stores.settings.locale": True,
        "def f(app):\n    return app._stores.router.catalogue": True,
        "def f(services):\n    return services.stores.retriever.embedder.id": True,
        "def f(app):\n    return getattr(app, 'stores')": True,
        "from bot.store.conversations import ConversationStore": True,
        "from bot.store import Database": True,
        "from bot import store": True,
        "import bot.governance.audit": True,
        "from bot.specialists import SpecialistStore": True,
        "from bot.rag.retrieval import Retriever": True,
        "from bot.store.models import Specialist": False,
        "def f(app):\n    return app.settings.locale, app.default_model": False,
        "from bot.services import Application": False,
        "from bot.rag.errors import IngestError": False,
    }
    for source, reaches in cases.items():
        assert bool(store_reach(source)) is reaches, source


def test_doors_never_reach_the_stores() -> None:
    """``bot/commands``, ``bot/cli``, ``bot/api``, ``bot/skills.py`` and ``bot/teams`` read no
    ``.stores`` and import no store module: every rule and every read goes through a service."""
    offenders = {}
    for path in sorted(BOT.rglob("*.py")):
        rel = str(path.relative_to(BOT))
        if not rel.startswith(DOORS):
            continue
        allowed = STORE_ALLOWED.get(rel, set())
        found = [f for f in store_reach(path.read_text(encoding="utf-8")) if f.split(": ")[1] not in allowed]
        if found:
            offenders[rel] = found
    assert offenders == {}


# -- one egress to models --------------------------------------------------------------------------
# Building any of these opens connections; only ``bot/llm`` (the router's one client factory,
# ``bot.llm.http``) may, so every byte to a model endpoint passes the router's policy and PII guard.
HTTP_CLIENTS = {
    "httpx.Client",
    "httpx.AsyncClient",
    "httpx.HTTPTransport",
    "httpx.AsyncHTTPTransport",
    *(
        f"httpx.{verb}"
        for verb in ("get", "post", "put", "patch", "delete", "head", "options", "request", "stream")
    ),
    "aiohttp.ClientSession",
    "aiohttp.TCPConnector",
    "aiohttp.request",
    "urllib.request.urlopen",
    "urllib.request.build_opener",
    "urllib.request.OpenerDirector",
    "http.client.HTTPConnection",
    "http.client.HTTPSConnection",
    "requests",  # any use of requests: nothing in the service needs it
    "openai.OpenAI",
    "openai.AsyncOpenAI",
    "langchain_openai.ChatOpenAI",
    "langchain_openai.OpenAIEmbeddings",
}
# The clients outside ``bot/llm`` that exist for other reasons than models, each with why.
HTTP_CLIENT_ALLOWED = {
    # Downloads the files users attach in Teams: only https, only AARHUSAI_DOWNLOAD_HOSTS, public
    # addresses checked when the socket connects, every redirect checked. Never a model endpoint.
    "teams/files.py",
    # The Bot Connector's sessions, reused across turns: only for the hosts the connector client
    # factory allows (AARHUSAI_SERVICE_URL_HOSTS, checked before a token is fetched). Never a model.
    "teams/connector_sessions.py",
    # Microsoft Graph (AARHUSAI_GRAPH_URL, the operator's) with an app-only token that never leaves Graph's
    # origin, and the files its /content redirect points at: only AARHUSAI_DOWNLOAD_HOSTS, public
    # addresses checked when the socket connects, every hop checked. Never a model endpoint.
    "connections/graph_http.py",
    # The crawler of connected web sources: only AARHUSAI_CRAWL_HOSTS (https names, listed local
    # origins), robots.txt honoured, every redirect checked, never a link-local address. Never a model.
    "connections/web.py",
}


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and (base := _dotted(node.value)):
        return f"{base}.{node.attr}"
    return None


def http_egress(source: str) -> list[str]:
    """What ``source`` does that reaches the network on its own or names a catalogue URL: every use of
    an HTTP client class or function from ``HTTP_CLIENTS`` (through any import alias), and every read of
    ``base_url`` (an attribute, a ``getattr`` or a key)."""
    tree = ast.parse(source)
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:  # import urllib.request as r: r is urllib.request
                    aliases[alias.asname] = alias.name
                else:  # import urllib.request: urllib is urllib
                    aliases[alias.name.split(".")[0]] = alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute | ast.Name) and not isinstance(
            getattr(node, "ctx", None), ast.Store
        ):
            dotted = _dotted(node)
            head, _, rest = (dotted or "").partition(".")
            if head in aliases:  # a name bound by an import (a local "requests" list is not the module)
                full = aliases[head] + (f".{rest}" if rest else "")
                if any(full == name or full.startswith(name + ".") for name in HTTP_CLIENTS):
                    found.append(f"{node.lineno}: {full}")
        if isinstance(node, ast.Attribute) and node.attr == "base_url":
            found.append(f"{node.lineno}: .base_url")
        elif isinstance(node, ast.Constant) and node.value == "base_url":
            found.append(f"{node.lineno}: 'base_url'")
    return sorted(set(found))


def test_the_egress_check_sees_every_way_of_building_a_client() -> None:
    cases = {
        "import httpx\nhttpx.Client(base_url='x')": True,
        "import httpx as h\nh.AsyncClient()": True,
        "from httpx import AsyncClient as C\nC()": True,
        "import aiohttp\nasync def f():\n    async with aiohttp.ClientSession() as s: ...": True,
        "from urllib.request import urlopen\nurlopen('http://x')": True,
        "import urllib.request\nurllib.request.urlopen('http://x')": True,
        "import requests\nrequests.post('http://x')": True,
        "import httpx\nhttpx.post('http://x')": True,
        "def f(spec):\n    return spec.base_url": True,
        "def f(spec):\n    return getattr(spec, 'base_url')": True,
        "import httpx\ntry:\n    pass\nexcept httpx.HTTPError:\n    pass": False,  # naming an error is fine
        "from aiohttp import web\nweb.Application()": False,  # serving is not egress
        "x = settings.database_url": False,
    }
    for source, egress in cases.items():
        assert bool(http_egress(source)) is egress, source


def test_only_bot_llm_builds_http_clients_or_names_a_catalogue_url() -> None:
    """The router is the only code that sends anything to a catalogue endpoint (DESIGN.md: "Policy
    before model, by construction"): outside ``bot/llm`` no module builds an HTTP client (but the
    allow-listed non-model ones) and none reads an endpoint's ``base_url``."""
    offenders = {}
    for path in sorted(BOT.rglob("*.py")):
        rel = str(path.relative_to(BOT))
        if rel.startswith("llm/") or "migrations" in path.parts:
            continue
        found = http_egress(path.read_text(encoding="utf-8"))
        if rel in HTTP_CLIENT_ALLOWED:
            found = [f for f in found if "base_url" in f]  # a download client still names no model
        if found:
            offenders[rel] = found
    assert offenders == {}


# The services decide which work leaves the event loop (``bot.services.base.offloop``): a door awaits
# a service method and hops no thread of its own.
THREAD_HOPS = ("to_thread", "run_in_executor")


def thread_hops(source: str) -> list[str]:
    """Every ``asyncio.to_thread``/``run_in_executor`` in ``source``, however it was imported."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in THREAD_HOPS:
            found.append(f"{node.lineno}: {node.attr}")
        elif isinstance(node, ast.ImportFrom) and any(a.name in THREAD_HOPS for a in node.names):
            found.append(f"{node.lineno}: import")
    return sorted(set(found))


def test_the_hop_check_sees_a_thread_hop() -> None:
    assert thread_hops("import asyncio\nasync def f(g):\n    return await asyncio.to_thread(g)")
    assert thread_hops("from asyncio import to_thread as t\nasync def f(g):\n    return await t(g)")
    assert thread_hops("async def f(loop, g):\n    return await loop.run_in_executor(None, g)")
    assert not thread_hops("async def f(app, a):\n    return await app.sources.alist(a)")


def test_commands_and_the_api_hop_no_threads() -> None:
    offenders = {}
    for path in sorted([*BOT.glob("commands/*.py"), *BOT.glob("api/*.py")]):
        if found := thread_hops(path.read_text(encoding="utf-8")):
            offenders[str(path.relative_to(BOT))] = found
    assert offenders == {}


TURN_PATH = ("services/answering.py", "services/delivery.py")


def test_a_turns_own_hops_use_the_turn_threads() -> None:
    """Answering and delivering a message hop through ``on_turn_thread`` only: on the default
    executor a turn's claim would queue behind a file being embedded, and eight threads of hops
    crowded the event loop off the GIL (``bot/services/turn_threads.py``)."""
    offenders = {}
    for rel in TURN_PATH:
        if found := thread_hops((BOT / rel).read_text(encoding="utf-8")):
            offenders[rel] = found
    assert offenders == {}


def test_the_client_factory_is_private_to_bot_llm() -> None:
    for private in ("bot.llm.http", "bot.llm.gates"):
        outside = {m for m in _modules_importing(private) if not m.startswith("llm/")}
        assert outside == set(), private


def test_one_clearance_chooser_for_every_endpoint_kind() -> None:
    """Which endpoint may see a classification is decided in one place (``ModelCatalogue.choose``,
    asked through the router's ``plan``/``plan_turn``): outside ``bot/llm`` nothing tests a clearance
    against an endpoint or walks a catalogue section to pick one (``EmbedderChoice`` and
    ``RerankChoice`` in ``bot/rag`` did both)."""
    offenders = {}
    for path in sorted(BOT.rglob("*.py")):
        rel = str(path.relative_to(BOT))
        if rel.startswith("llm/") or "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found = sorted({f"{node.lineno}: {name}" for node in ast.walk(tree) for name in chooser_uses(node)})
        if found:
            offenders[rel] = found
    assert offenders == {}


def chooser_uses(node: ast.AST) -> list[str]:
    """A clearance decided here: the predicates imported, a chooser called, a catalogue section read."""
    deciders = {"cleared", "cleared_for_personal_data", "choose", "cleared_for"}
    if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("bot.llm"):
        return [a.name for a in node.names if a.name in deciders]
    if isinstance(node, ast.Attribute) and node.attr in deciders and isinstance(node.ctx, ast.Load):
        return [node.attr]
    if isinstance(node, ast.Attribute) and node.attr in ("embeddings", "rerank", "models"):
        base = _dotted(node.value) or ""
        if base.endswith("catalogue"):
            return [f"{base}.{node.attr}"]
    return []


def test_the_chooser_check_sees_a_chooser() -> None:
    old = "def f(catalogue, c):\n    s = catalogue.embeddings\n    return s.cleared_for(c)"
    uses = sorted(u for n in ast.walk(ast.parse(old)) for u in chooser_uses(n))
    assert uses == ["catalogue.embeddings", "cleared_for"]
    assert not [u for n in ast.walk(ast.parse("router.plan_turn(c).rerank")) for u in chooser_uses(n)]


# -- one error family ------------------------------------------------------------------------------
# Every exception class under ``bot/`` derives from ``bot.errors.AarhusAIError`` (the tree is drawn in
# that module's docstring), so ``render_error`` words any of them and no door needs its own branch.
ERROR_BASE = "AarhusAIError"
BUILTIN_EXCEPTIONS = {
    name
    for name, value in vars(builtins).items()
    if isinstance(value, type) and issubclass(value, BaseException)
}


def _names_an_exception(name: str) -> bool:
    """A base named like an exception class: a builtin one, or any ``...Error``/``...Exception``/
    ``...Warning`` from a library (``httpx.HTTPError``, ``ToolError``)."""
    return name in BUILTIN_EXCEPTIONS or name.endswith(("Error", "Exception", "Warning"))


def errors_outside_the_family(sources: dict[str, str]) -> list[str]:
    """The exception classes in ``sources`` (path → text) that do not derive from ``ERROR_BASE``, as
    ``path:line Name``. A class is an exception when a base names one (``_names_an_exception``) or is
    another exception class found here; it is in the family when a base is ``ERROR_BASE`` or a class
    in the family. Nested classes count too."""
    classes = [
        (path, node, [(_dotted(b) or "").rsplit(".", 1)[-1] for b in node.bases])
        for path, source in sources.items()
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ClassDef)
    ]
    exceptions: set[str] = set()
    family = {ERROR_BASE}
    changed = True
    while changed:  # to a fixed point: a subclass may be defined before its base, in another file
        changed = False
        for _path, node, bases in classes:
            if node.name not in exceptions and any(_names_an_exception(b) or b in exceptions for b in bases):
                exceptions.add(node.name)
                changed = True
            if node.name not in family and any(b in family for b in bases):
                family.add(node.name)
                changed = True
    return sorted(
        f"{path}:{node.lineno} {node.name}"
        for path, node, bases in classes
        if node.name != ERROR_BASE
        and any(_names_an_exception(b) or b in exceptions for b in bases)
        and not any(b in family for b in bases)
    )


def test_the_error_check_finds_an_error_outside_the_family() -> None:
    inside = "class AarhusAIError(Exception): ...\nclass AppError(AarhusAIError): ...\n"
    cases = {
        "class Fine(AppError, ValueError): ...": [],
        "class Deeper(Later): ...\nclass Later(AppError): ...": [],  # defined before its base
        "class Refused(PermissionError): ...": ["b.py:1 Refused"],
        "class Odd(Exception): ...\nclass Odder(Odd): ...": ["b.py:1 Odd", "b.py:2 Odder"],
        "import httpx\nclass Wrapped(httpx.HTTPError): ...": ["b.py:2 Wrapped"],
        "def f():\n    class Inner(RuntimeError): ...": ["b.py:2 Inner"],
        "class Plain:\n    pass\nclass Data(Plain): ...": [],  # not an exception at all
        "class AppError:\n    pass": [],  # a plain class sharing a family member's name
    }
    for source, found in cases.items():
        assert errors_outside_the_family({"a.py": inside, "b.py": source}) == found, source


def test_every_error_under_bot_derives_from_the_one_base() -> None:
    sources = {
        str(path.relative_to(BOT)): path.read_text(encoding="utf-8")
        for path in sorted(BOT.rglob("*.py"))
        if "migrations" not in path.parts
    }
    assert errors_outside_the_family(sources) == []
