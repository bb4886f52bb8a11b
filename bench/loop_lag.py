"""Event-loop lag of the running service while it ingests a 1,000-chunk file sent by a Builder.

The service runs in this process (aiohttp, the real app); the file arrives as a Teams
``file.download.info`` activity whose downloadUrl a loopback server answers; a ticker on the same
event loop measures how late each 10 ms sleep wakes up. Target: p99 <= 100 ms.
"""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from pathlib import Path

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import services, summary, synthetic_document
from bot.listen import listen
from bot.server import start


async def main() -> None:
    svc = services(admins="aad-bench")
    spec = svc.stores.specialists.create("Bench", "aad-bench", slug="bench")
    svc.stores.specialists.set_editing("aad-bench", spec.id)
    svc.stores.ingestor.embedder.encode_passages(["varm op"])  # model loaded before measuring
    document = synthetic_document(1000).encode()
    replies: list[str] = []
    done = asyncio.Event()

    async def connector(request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("type") == "message":
            replies.append(body.get("text", ""))
            text = body.get("text") or ""
            if "✅" in text or "❌" in text or "kræver" in text or "Kun Buildere" in text:
                done.set()
        return web.json_response({"id": uuid.uuid4().hex})

    async def file(_request: web.Request) -> web.Response:
        return web.Response(body=document)

    side = web.Application()
    side.router.add_route("*", "/v3/conversations/{tail:.*}", connector)
    side.router.add_get("/file.md", file)
    side_runner, side_port = await listen(side)
    runner, port = await start(svc, "127.0.0.1", 0)

    lags: list[float] = []
    stop = False

    async def ticker() -> None:
        while not stop:
            t0 = time.perf_counter()
            await asyncio.sleep(0.01)
            lags.append(time.perf_counter() - t0 - 0.01)

    tick = asyncio.create_task(ticker())
    activity = {
        "type": "message",
        "id": uuid.uuid4().hex,
        "channelId": "msteams",
        "serviceUrl": f"http://127.0.0.1:{side_port}/",
        "from": {"id": "29:bench", "aadObjectId": "aad-bench"},
        "recipient": {"id": "28:bot"},
        "conversation": {"id": "a:bench", "conversationType": "personal"},
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.teams.file.download.info",
                "name": "stor.md",
                "content": {"downloadUrl": f"http://127.0.0.1:{side_port}/file.md", "fileType": "md"},
            }
        ],
    }
    started = time.perf_counter()
    async with aiohttp.ClientSession() as http:
        request = asyncio.create_task(http.post(f"http://127.0.0.1:{port}/api/messages", json=activity))
        await asyncio.wait_for(done.wait(), timeout=1800)
        (await request).release()
    elapsed = time.perf_counter() - started
    stop = True
    await tick
    print(f"ingested while serving: {replies[-1]}")
    print(f"wall time {elapsed:.1f} s; event-loop lag during it: {summary(lags)}  (target p99 <= 100 ms)")
    await runner.cleanup()
    await side_runner.cleanup()
    svc.close()


if __name__ == "__main__":
    asyncio.run(main())
