"""Many personal conversations at once: POST → final message at the connector, for the bot
(``aarhusai serve --workers 1`` and ``2`` on PostgreSQL) beside a minimal aiohttp passthrough to the
same scripted model server, in one run.

The model server (its own process) answers after 0.5 s with 60 words 25 ms apart (≈ 2 s), streamed.
Each conversation is its own tenant unless ``--one-tenant``: Teams allows 50 sends per second per
app and tenant, which the bot respects (the passthrough does not), so with one tenant N=100 turns of
2+ sends each cannot finish in 2 s whatever the bot's cost.
The connector (this process) records each conversation's final message and answers 429 beyond Teams'
7 sends per second per conversation. The passthrough acknowledges, streams the model's answer and
posts it: the floor on this machine. For each N it prints p50/p95/max, the ratio to the passthrough's
p50 at the same N, CPU ms per turn of the serving processes, their peak RSS, lost and duplicate
replies, 429s, and the bot's event-loop lag (from its ``/metrics``).

    .venv/bin/python bench/load.py [--n 1,10,50,100,200] [--workers 1,2] [--pg postgresql://...]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import multiprocessing
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict, deque
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import percentile
from bot.listen import listen

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
WORDS = 60
FIRST_TOKEN_S = 0.5
WORD_S = 0.025
SOURCE = (
    "# Pas\n\n## Priser\n\nEt nyt pas til en voksen koster 688 kr. "
    "Pas til børn under 18 år koster 200 kr.\n\n"
    "## Bestilling\n\nDu bestiller tid i Borgerservice, og passet er klar efter cirka to uger."
)
GENERAL = "Skriv en kort hilsen til en kollega."
STARTER = "Hvad koster et nyt pas til en voksen?"
# "sources": a different question in every conversation (a query vector is cached, so the same text
# a hundred times would measure the cache); "starter": the same text in all, as a prompt starter is
# sent word for word by everyone who picks it
OPENINGS = ("", "Hej! ", "Godmorgen. ", "Hej, jeg har et spørgsmål. ")
ASKS = (
    "Hvad koster et nyt pas til en voksen?",
    "Hvad koster et pas til et barn under 18 år?",
    "Hvor meget skal jeg betale for et voksenpas?",
    "Hvordan bestiller jeg tid til et nyt pas?",
    "Hvor lang tid går der, før mit nye pas er klar?",
    "Hvad er prisen på et pas til mit barn?",
    "Hvor bestiller jeg et pas?",
    "Hvornår er passet klar, når jeg har bestilt det?",
)
NAMES = (
    "Anne", "Bo", "Camilla", "Dorte", "Emil", "Frida", "Gustav", "Hanne", "Ib", "Jens", "Karen", "Lars",
    "Mette", "Niels", "Oda", "Per", "Rasmus", "Sofie", "Tove", "Ulla", "Vibeke", "Aase", "Birgit",
    "Carsten", "Dennis", "Ella", "Finn", "Grethe", "Henrik", "Ida", "Jonas", "Kirsten", "Lone",
    "Morten", "Nanna", "Ole", "Pia", "Rikke", "Søren", "Thomas", "Ulrik", "Vagn", "Anders", "Bente",
)  # fmt: skip
CLOSINGS = ("", " Tak.", " På forhånd tak!", *(f" Mvh. {name}" for name in NAMES))
ASKED = itertools.count()  # questions asked so far in this run: "sources" never repeats a text


def question(kind: str) -> str:
    """The next text a conversation of ``kind`` asks (1,504 different ones for "sources")."""
    if kind == "general":
        return GENERAL
    if kind == "starter":
        return STARTER
    k = next(ASKED)
    ask, rest = ASKS[k % len(ASKS)], k // len(ASKS)
    return OPENINGS[rest % len(OPENINGS)] + ask + CLOSINGS[(rest // len(OPENINGS)) % len(CLOSINGS)]


LAG_BUCKETS = "aarhusai_event_loop_lag_seconds_bucket"


# ----------------------------------------------------------------------------- helper processes


def _model_server(port_out: Any) -> None:
    """OpenAI-compatible streaming chat: 0.5 s to the first word, then 60 words 25 ms apart."""

    async def chat(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        await asyncio.sleep(FIRST_TOKEN_S)
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        for i in range(WORDS):
            delta = {"content": f"ord{i} "}
            chunk = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": body.get("model"),
                     "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}  # fmt: skip
            await response.write(f"data: {json.dumps(chunk)}\n\n".encode())
            await asyncio.sleep(WORD_S)
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response

    async def models(_request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": "m", "object": "model"}]})

    async def main() -> None:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", chat)
        app.router.add_get("/v1/models", models)
        _runner, port = await listen(app)
        port_out.put(port)
        await asyncio.Event().wait()

    asyncio.run(main())


def _passthrough(model_url: str, port_out: Any) -> None:
    """The floor: acknowledge, stream the model's answer, post it to the conversation."""

    async def main() -> None:
        http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        tasks: set[asyncio.Task[None]] = set()

        async def answer(activity: dict[str, Any]) -> None:
            payload = {
                "model": "m",
                "stream": True,
                "messages": [{"role": "user", "content": activity["text"]}],
            }
            parts: list[str] = []
            async with http.post(f"{model_url}/chat/completions", json=payload) as resp:
                async for line in resp.content:
                    if line.startswith(b"data: {"):
                        parts.append(json.loads(line[6:])["choices"][0]["delta"].get("content") or "")
            conversation = activity["conversation"]["id"]
            url = f"{activity['serviceUrl']}v3/conversations/{conversation}/activities/{activity['id']}"
            reply = {"type": "message", "text": "".join(parts), "conversation": activity["conversation"]}
            async with http.post(url, json=reply) as resp:
                await resp.read()

        async def messages(request: web.Request) -> web.Response:
            task = asyncio.create_task(answer(await request.json()))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            return web.Response(status=202)

        app = web.Application()
        app.router.add_post("/api/messages", messages)
        _runner, port = await listen(app)
        port_out.put(port)
        await asyncio.Event().wait()

    asyncio.run(main())


def _spawn(target: Any, *args: Any) -> tuple[multiprocessing.Process, int]:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue), daemon=True)
    proc.start()
    return proc, queue.get(timeout=60)


# ----------------------------------------------------------------------------- the connector


class Connector:
    """Teams' side: keeps the time of each conversation's first final message; 429 beyond 7/s."""

    def __init__(self) -> None:
        self.finals: dict[str, list[float]] = defaultdict(list)
        self.answered: set[str] = set()  # conversations whose final message has the model's whole answer
        self.sent: dict[str, deque[float]] = defaultdict(deque)
        self.throttled = 0
        self.port = 0

    async def start(self) -> None:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_route("*", "/v3/conversations/{conversation}/activities{tail:.*}", self._receive)
        self._runner, self.port = await listen(app)

    async def _receive(self, request: web.Request) -> web.Response:
        conversation = request.match_info["conversation"]
        now = time.monotonic()
        window = self.sent[conversation]
        while window and now - window[0] > 1.0:
            window.popleft()
        if len(window) >= 7:
            self.throttled += 1
            return web.json_response({"error": "throttled"}, status=429, headers={"Retry-After": "1"})
        window.append(now)
        body = await request.json() if request.can_read_body else {}
        if body.get("type") == "message":
            self.finals[conversation].append(now)
            if f"ord{WORDS - 1}" in (body.get("text") or ""):
                self.answered.add(conversation)
        return web.json_response({"id": uuid.uuid4().hex})


# ----------------------------------------------------------------------------- processes measured


def _tree(pid: int) -> list[int]:
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            pids += _tree(int(child))
    return pids


def cpu_seconds(pid: int) -> float:
    total = 0
    for p in _tree(pid):
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    total = 0
    for p in _tree(pid):
        match = re.search(r"VmHWM:\s+(\d+) kB", Path(f"/proc/{p}/status").read_text())
        total += int(match.group(1)) if match else 0
    return total / 1024


async def lag_buckets(base: str, http: aiohttp.ClientSession) -> dict[float, float]:
    async with http.get(f"{base}/metrics") as resp:
        text = await resp.text()
    found: dict[float, float] = {}
    for le, value in re.findall(rf'^{LAG_BUCKETS}\{{le="([^"]+)"\}} (\S+)$', text, flags=re.M):
        found[float(le)] = float(value)
    return found


def lag_summary(before: dict[float, float], after: dict[float, float]) -> str:
    """p99 and max of the loop lag in this round, as the histogram's bucket bounds (≤)."""
    bounds = sorted(after)
    counts = [after[b] - before.get(b, 0.0) for b in bounds]  # cumulative
    if not counts or counts[-1] <= 0:
        return "lag -"
    total = counts[-1]
    p99 = next(b for b, c in zip(bounds, counts, strict=True) if c >= 0.99 * total)
    top = next(b for b, c in zip(bounds, counts, strict=True) if c >= total)
    fmt = lambda b: "inf" if b == float("inf") else f"{b * 1000:.0f}"  # noqa: E731
    return f"lag p99 ≤ {fmt(p99)} ms, max ≤ {fmt(top)} ms"


# ----------------------------------------------------------------------------- rounds


ONE_TENANT = (
    False  # --one-tenant: every conversation in one tenant, under Teams' 50 sends/s per app and tenant
)


def tenant(i: int) -> str:
    return "t1" if ONE_TENANT else f"t{i}"


async def one_round(
    base: str, connector: Connector, kind: str, n: int, tag: str, http: aiohttp.ClientSession
) -> dict[str, Any]:
    prefix = f"a:{kind}-{tag}-{n}" if kind != "general" else f"a:{kind}-{uuid.uuid4().hex[:8]}"
    throttled = connector.throttled
    started: dict[str, float] = {}

    async def post(i: int) -> None:
        conversation = f"{prefix}-{i}"
        connector.finals.pop(conversation, None)  # a repeated N asks in the same conversations again
        connector.answered.discard(conversation)
        activity = {
            "type": "message", "id": uuid.uuid4().hex, "channelId": "msteams",
            "serviceUrl": f"http://127.0.0.1:{connector.port}/",
            "from": {"id": f"29:user-{i}", "name": "Bruger", "aadObjectId": f"aad-{i}"},
            "recipient": {"id": "28:bot", "name": "AarhusAI"},
            "conversation": {"id": conversation, "conversationType": "personal", "tenantId": tenant(i)},
            "text": question(kind), "locale": "da-DK",
        }  # fmt: skip
        started[conversation] = time.monotonic()
        async with http.post(f"{base}/api/messages", json=activity) as resp:
            assert resp.status in (200, 202), resp.status

    await asyncio.gather(*(post(i) for i in range(n)))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and sum(1 for c in started if connector.finals.get(c)) < n:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.0)  # a duplicate would arrive now
    latencies = [connector.finals[c][0] - t for c, t in started.items() if connector.finals.get(c)]
    return {
        "latencies": latencies,
        "lost": n - len(latencies),
        "duplicates": sum(max(0, len(connector.finals.get(c, [])) - 1) for c in started),
        "unanswered": sum(1 for c in started if connector.finals.get(c) and c not in connector.answered),
        "throttled": connector.throttled - throttled,
    }


def _line(name: str, n: int, result: dict[str, Any], floor: float | None, cpu_ms: float, extra: str) -> str:
    lat = result["latencies"]
    if not lat:
        return f"{name:<24} N={n:<4} all {n} lost"
    p50 = statistics.median(lat)
    ratio = f"{p50 / floor:5.2f}×" if floor else "  –  "
    return (
        f"{name:<24} N={n:<4} p50 {p50:6.3f} s  p95 {percentile(lat, 0.95):6.3f} s  max {max(lat):6.3f} s  "
        f"{ratio}  cpu {cpu_ms:6.1f} ms/turn  lost {result['lost']}  dup {result['duplicates']}  "
        f"not by the model {result['unanswered']}  "
        f"429 {result['throttled']}  {extra}"
    )


def _prepare_database(pg: str, root: Path, catalogue: Path, ns: list[int], workers: list[int]) -> str:
    """A fresh database with a sources specialist selected in every sources conversation."""
    import psycopg

    from bot.app import build_services
    from bot.config import load_settings
    from bot.store import migrate

    name = f"aarhusai_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = pg.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1) + f"/{name}"
    settings = load_settings(
        database_url=url, data_dir=root / "data", index_dir=root / "indexes", models_file=catalogue
    )
    services = build_services(settings)
    migrate.upgrade(services.db)
    spec = services.stores.specialists.create("Pas", "adm", slug="pas")
    services.stores.specialists.update(spec.id, status="published", sharing="organisation")
    asyncio.run(services.stores.ingestor.ingest(spec, "pas.md", SOURCE.encode(), "adm"))
    for w in workers:
        for n in ns:
            for i in range(n):
                for kind in ("sources", "starter"):
                    services.stores.specialists.select(f"a:{kind}-w{w}-{n}-{i}", spec.id, "adm")
        for kind in ("sources", "starter"):  # the warm-up round loads the index
            services.stores.specialists.select(f"a:{kind}-warm{w}-1-0", spec.id, "adm")
    services.close()
    return url


def _drop_database(pg: str, url: str) -> None:
    import psycopg

    with psycopg.connect(pg, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def _start_bot(root: Path, url: str, catalogue: Path, workers: int) -> tuple[subprocess.Popen[str], int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AARHUSAI_")}
    env.update(
        AARHUSAI_DATABASE_URL=url,
        AARHUSAI_MODELS_FILE=str(catalogue),
        AARHUSAI_DATA_DIR=str(root / "data"),
        AARHUSAI_INDEX_DIR=str(root / "indexes"),
        AARHUSAI_LOG_LEVEL="WARNING",
        AARHUSAI_HISTORY_TURNS="0",
        PYTHONUNBUFFERED="1",
    )
    exe = Path(sys.executable).with_name("aarhusai")
    proc = subprocess.Popen(
        [str(exe), "serve", "--port", "0", "--workers", str(workers)],
        env=env, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    log = (root / f"bot-workers{workers}.log").open("w", encoding="utf-8")
    for line in proc.stdout:
        log.write(line)
        match = re.search(r"lytter på http://127\.0\.0\.1:(\d+)/", line)
        if match:
            # keep reading: a full pipe would stop the bot at its next log line
            threading.Thread(target=lambda: log.writelines(proc.stdout), daemon=True).start()  # type: ignore[arg-type]
            print(f"bot log: {log.name}", flush=True)
            return proc, int(match.group(1))
        if "Fejl" in line or "Traceback" in line:
            raise RuntimeError(line)
    raise RuntimeError(f"the bot exited with {proc.wait()}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", default="1,10,50,100,200")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--kinds", default="general,sources,starter")
    parser.add_argument("--pg", default=os.environ.get("AARHUSAI_BENCH_PG", PG_ADMIN))
    parser.add_argument(
        "--one-tenant", action="store_true", help="all conversations in one tenant (50 sends/s for all)"
    )
    args = parser.parse_args()
    global ONE_TENANT
    ONE_TENANT = args.one_tenant
    ns = [int(x) for x in args.n.split(",")]
    workers = [int(x) for x in args.workers.split(",")]
    kinds = args.kinds.split(",")

    model_proc, model_port = _spawn(_model_server)
    model_url = f"http://127.0.0.1:{model_port}/v1"
    pass_proc, pass_port = _spawn(_passthrough, model_url)
    connector = Connector()
    await connector.start()
    root = Path(tempfile.mkdtemp(prefix="aarhusai-load-"))
    catalogue = root / "models.yaml"
    model = f"  - id: m\n    base_url: {model_url}\n    model: m\n    max_classification: personfølsom\n"
    catalogue.write_text(f"models:\n{model}", encoding="utf-8")
    url = await asyncio.to_thread(_prepare_database, args.pg, root, catalogue, ns, workers)
    print(
        f"{os.cpu_count()} CPU cores; model: {FIRST_TOKEN_S} s to first word + {WORDS} words × "
        f"{WORD_S * 1000:.0f} ms; one personal conversation per turn; Teams' 7/s per conversation enforced; "
        + (
            "one tenant"
            if ONE_TENANT
            else "a tenant per conversation (Teams' 50/s per app and tenant not binding)"
        )
    )
    http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    floors: dict[int, float] = {}
    try:
        pass_base = f"http://127.0.0.1:{pass_port}"
        for n in ns:
            cpu0 = cpu_seconds(pass_proc.pid or 0)
            result = await one_round(pass_base, connector, "general", n, "pass", http)
            cpu_ms = (cpu_seconds(pass_proc.pid or 0) - cpu0) * 1000 / n
            floors[n] = statistics.median(result["latencies"]) if result["latencies"] else 0.0
            rss = f"rss {peak_rss_mb(pass_proc.pid or 0):.0f} MB"
            print(_line("passthrough", n, result, None, cpu_ms, rss), flush=True)
        for w in workers:
            bot, port = _start_bot(root, url, catalogue, w)
            base = f"http://127.0.0.1:{port}"
            try:
                for kind in kinds:
                    await one_round(base, connector, kind, 1, f"warm{w}", http)  # models and indexes loaded
                for n in ns:
                    for kind in kinds:
                        lag0 = await lag_buckets(base, http)
                        cpu0 = cpu_seconds(bot.pid)
                        tag = f"w{w}" if kind != "general" else f"w{w}g"
                        result = await one_round(base, connector, kind, n, tag, http)
                        cpu_ms = (cpu_seconds(bot.pid) - cpu0) * 1000 / n
                        lag = lag_summary(lag0, await lag_buckets(base, http))
                        extra = f"rss {peak_rss_mb(bot.pid):.0f} MB  {lag}"
                        print(
                            _line(f"bot {kind} workers={w}", n, result, floors.get(n), cpu_ms, extra),
                            flush=True,
                        )
            finally:
                bot.terminate()
                bot.wait(90)
    finally:
        await http.close()
        model_proc.kill()
        pass_proc.kill()
        await asyncio.to_thread(_drop_database, args.pg, url)


if __name__ == "__main__":
    asyncio.run(main())
