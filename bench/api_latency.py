"""Round trip for the same question through Teams (``POST /api/messages`` → the final message at the
connector) and through ``/v1/chat/completions`` (the official ``openai`` client, whole and streamed),
against the same scripted model server, interleaved in one run.

The model server answers after ``--first-token-ms`` with ``--words`` words ``--word-ms`` apart when
streamed (Teams streams in a personal chat; so does ``stream: true``), or whole after the first-token
wait; each path is shown against its own floor, so the figures say what each door adds.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
import openai

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import services, summary
from bot.conversation.types import ConversationRef
from bot.server import start
from bot.services import Actor
from tests.support.connector import FakeConnector
from tests.support.openai_server import RecordingModelServer

SOURCE = (
    "# Pas\n\nEt nyt pas til en voksen koster 688 kr. Pas til børn under 18 år koster 200 kr. Du bestiller "
    "tid i Borgerservice, og passet er klar efter cirka to uger."
)
QUESTION = "Hvad koster et nyt pas til en voksen?"
SCREEN = "formål=vejledning; data=ingen; kilder=offentlige; hjemmel=vejledning; dpia=nej; ansvarlig=Bo"


def message_activity(service_url: str, text: str, user: dict[str, str], conv: dict[str, str]) -> dict:
    return {
        "type": "message",
        "id": uuid.uuid4().hex,
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": user,
        "recipient": {"id": "28:bot", "name": "AarhusAI"},
        "conversation": conv,
        "text": text,
        "locale": "da-DK",
    }


async def main(n: int, first_token_ms: int, words: int, word_ms: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="aarhusai-bench-"))
    reply = " ".join(["Et nyt pas koster 688 kr. [1]"] + ["ord"] * max(words - 7, 0))
    model = await RecordingModelServer(
        reply=reply, delay_s=first_token_ms / 1000, chunk_delay_s=word_ms / 1000
    ).start()
    catalogue = tmp / "models.yaml"
    catalogue.write_text(
        f"default: m\nmodels:\n  - {{id: m, base_url: '{model.base_url}', model: m, max_retries: 0, "
        "max_classification: personfølsom}\n",
        encoding="utf-8",
    )
    svc = services(tmp, admins="adm", models_file=catalogue)
    app, admin = svc.app, Actor("adm")
    spec = app.specialists.create(admin, "Pas")
    app.publishing.screen(admin, SCREEN, spec.slug)
    await app.sources.add(admin, spec, "pas.md", SOURCE.encode())
    app.publishing.share(admin, "organisation", spec.slug)
    app.publishing.approve(admin, spec.slug)
    app.publishing.publish(admin, spec.slug)
    key = app.integrations.create_key(admin, "bench", ["pas"], "offentlig", per_minute=100_000).secret
    connector = await FakeConnector().start()
    runner, port = await start(svc, "127.0.0.1", 0)
    base = f"http://127.0.0.1:{port}"
    client = openai.AsyncOpenAI(base_url=f"{base}/v1", api_key=key, max_retries=0)
    http = aiohttp.ClientSession()
    user = {"id": "29:bench", "name": "Bench", "aadObjectId": "bench"}
    conv = {"id": "a:bench", "conversationType": "personal", "tenantId": "t1"}
    app.specialists.use(Actor("bench", conversation=ConversationRef(id="a:bench")), "pas")

    async def teams() -> float:
        before = len(connector.messages())
        started = time.perf_counter()
        activity = message_activity(connector.service_url, QUESTION, user, conv)
        async with http.post(f"{base}/api/messages", json=activity) as r:
            assert r.status == 202, r.status
        final = await connector.wait_for_messages(before + 1, wait_s=60)
        assert "688" in final[-1].get("text", ""), final[-1]
        return time.perf_counter() - started

    async def api_whole() -> float:
        started = time.perf_counter()
        out = await client.chat.completions.create(
            model="pas", messages=[{"role": "user", "content": QUESTION}]
        )
        assert "688" in (out.choices[0].message.content or "")
        return time.perf_counter() - started

    first_tokens: list[float] = []

    async def api_stream() -> float:
        started = time.perf_counter()
        stream = await client.chat.completions.create(
            model="pas", messages=[{"role": "user", "content": QUESTION}], stream=True
        )
        first = None
        async for chunk in stream:
            if first is None and chunk.choices[0].delta.content:
                first = time.perf_counter() - started
        first_tokens.append(first or 0.0)
        return time.perf_counter() - started

    for warm in (teams, api_whole, api_stream):
        await warm()
    figures: dict[str, list[float]] = {"teams": [], "api": [], "api-stream": []}
    for _ in range(n):
        figures["teams"].append(await teams())
        figures["api"].append(await api_whole())
        figures["api-stream"].append(await api_stream())
    streamed_floor = (first_token_ms + word_ms * (len(reply.split(" ")) - 1)) / 1000
    whole_floor = first_token_ms / 1000  # the scripted server sends a whole answer at once
    floors = {"teams": streamed_floor, "api": whole_floor, "api-stream": streamed_floor}
    print(
        f"model server: {first_token_ms} ms to first token, {words} words {word_ms} ms apart; floor "
        f"{streamed_floor * 1000:.0f} ms streamed, {whole_floor * 1000:.0f} ms whole"
    )
    for name, values in figures.items():
        print(f"{name:11s} {summary(values)}   p50/floor {statistics.median(values) / floors[name]:.2f}×")
    print(f"api-stream first token p50 {statistics.median(first_tokens) * 1000:.1f} ms")
    ratio = statistics.median(figures["api-stream"]) / statistics.median(figures["teams"])
    print(f"same path, both streamed: API p50 / Teams p50 = {ratio:.2f}×")
    await client.close()
    await http.close()
    await runner.cleanup()
    await connector.stop()
    await model.stop()
    svc.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=30)
    parser.add_argument("--first-token-ms", type=int, default=300)
    parser.add_argument("--words", type=int, default=40)
    parser.add_argument("--word-ms", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(main(args.n, args.first_token_ms, args.words, args.word_ms))
