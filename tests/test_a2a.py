"""``/a2a/{slug}`` with the official ``a2a-sdk`` client (``A2ACardResolver``, ``ClientFactory``): each
specialist's card, a sent and a streamed answer with its citations as artifacts, tasks read back and
cancelled, earlier tasks of a context as history, and the same keys, scopes and audit as ``/v1``.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
from asyncio.subprocess import PIPE
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import httpx
import pytest
from a2a.client import (
    A2ACardResolver,
    A2AClientError,
    AgentCardResolutionError,
    Client,
    ClientConfig,
    ClientFactory,
)
from a2a.helpers import get_artifact_text, get_data_parts
from a2a.server.context import ServerCallContext
from a2a.types.a2a_pb2 import (
    AgentCard,
    CancelTaskRequest,
    GetTaskRequest,
    Message,
    Part,
    Role,
    SendMessageRequest,
    StreamResponse,
    Task,
    TaskState,
)
from a2a.utils.errors import TaskNotFoundError

from bot.api.a2a_server import BoundedTaskStore
from tests.redteam.conftest import CPR, municipality
from tests.test_api import QUESTION, README, Integration, api

__all__ = ["api", "municipality"]  # the fixtures, imported for this module

ANSWER = "Svar fra den eksterne model [1]."


@asynccontextmanager
async def agent(
    api: Integration, key: str, slug: str = "pas", streaming: bool = False, polling: bool = False
) -> AsyncIterator[tuple[Client, AgentCard]]:
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(headers=headers, timeout=30) as http:
        card = await A2ACardResolver(http, f"{api.base}/a2a/{slug}").get_agent_card()
        config = ClientConfig(httpx_client=http, streaming=streaming, polling=polling)
        async with ClientFactory(config).create(card) as client:
            yield client, card


def ask(text: str, context_id: str = "") -> SendMessageRequest:
    message = Message(
        role=Role.ROLE_USER, message_id=f"m-{abs(hash((text, context_id)))}", parts=[Part(text=text)]
    )
    if context_id:
        message.context_id = context_id
    return SendMessageRequest(message=message)


async def final_task(client: Client, request: SendMessageRequest) -> Task:
    events = [e async for e in client.send_message(request)]
    assert events[-1].HasField("task"), events
    return events[-1].task


def artifacts(task: Task) -> tuple[str, list[dict[str, object]]]:
    found = {a.artifact_id: a for a in task.artifacts}
    (data,) = get_data_parts(list(found["citations"].parts))
    return get_artifact_text(found["answer"]), data["citations"]


async def test_each_specialist_has_a_card(api: Integration) -> None:
    async with agent(api, api.public_key) as (_, card):
        pass
    assert card.name == "Pas" and card.description
    assert [i.url for i in card.supported_interfaces] == [f"{api.base}/a2a/pas"]
    assert card.supported_interfaces[0].protocol_binding == "JSONRPC"
    assert card.capabilities.streaming and not card.capabilities.push_notifications
    assert card.security_schemes["bearer"].http_auth_security_scheme.scheme == "Bearer"
    assert list(card.security_requirements[0].schemes) == ["bearer"]
    (skill,) = card.skills
    assert skill.name == "Pas" and skill.description == card.description and "offentlig" in skill.tags


async def test_a_card_needs_a_key_that_reaches_the_specialist(api: Integration) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        with pytest.raises(AgentCardResolutionError) as anonymous:
            await A2ACardResolver(http, f"{api.base}/a2a/pas").get_agent_card()
        assert anonymous.value.status_code == 401
        response = await http.get(f"{api.base}/a2a/pas/.well-known/agent-card.json")
        assert response.headers["WWW-Authenticate"].startswith('Bearer realm="aarhusai", resource_metadata=')
        assert "Authorization: Bearer" in response.json()["error"]["message"]
        headers = {"Authorization": f"Bearer {api.public_key}"}
        for slug in ("sager", "findes-ikke"):  # above the key's ceiling, unknown: the same 404
            with pytest.raises(AgentCardResolutionError) as hidden:
                await A2ACardResolver(http, f"{api.base}/a2a/{slug}").get_agent_card(
                    http_kwargs={"headers": headers}
                )
            assert hidden.value.status_code == 404


async def test_send_answers_with_citations_as_artifacts(api: Integration) -> None:
    async with agent(api, api.public_key) as (client, _):
        task = await final_task(client, ask(QUESTION))
    assert task.status.state == TaskState.TASK_STATE_COMPLETED
    text, citations = artifacts(task)
    assert text == ANSWER
    assert citations[0]["source"] == "kilde.md" and "688 kr" in str(citations[0]["text"])
    calls = [(a, t, d["endpoint"]) for a, t, d in api.audit("api.call")]
    assert ("api:sag-offentlig", "pas", "a2a.ask") in calls


async def test_stream_sends_the_answer_in_pieces_then_the_final_text(api: Integration) -> None:
    api.town.external.chunk_delay_s = 0.01
    async with agent(api, api.public_key, streaming=True) as (client, _):
        events: list[StreamResponse] = [e async for e in client.send_message(ask(QUESTION))]
        kinds = [e.WhichOneof("payload") for e in events]
        assert "artifact_update" in kinds and "status_update" in kinds
        updates = [e.artifact_update for e in events if e.HasField("artifact_update")]
        answer = [u for u in updates if u.artifact.artifact_id == "answer"]
        assert answer[-1].last_chunk and not answer[-1].append
        assert get_artifact_text(answer[-1].artifact) == ANSWER
        states = [e.status_update.status.state for e in events if e.HasField("status_update")]
        assert states[-1] == TaskState.TASK_STATE_COMPLETED
        task_id = next(e for e in events if e.HasField("task")).task.id
        stored = await client.get_task(GetTaskRequest(id=task_id))
    assert stored.status.state == TaskState.TASK_STATE_COMPLETED and artifacts(stored)[0] == ANSWER


async def test_a_task_is_read_back_only_by_its_key_and_specialist(api: Integration) -> None:
    async with agent(api, api.wide_key) as (client, _):
        task = await final_task(client, ask(QUESTION))
        again = await client.get_task(GetTaskRequest(id=task.id))
    assert again.id == task.id and artifacts(again)[0] == ANSWER
    async with agent(api, api.public_key) as (other, _):
        with pytest.raises(TaskNotFoundError):
            await other.get_task(GetTaskRequest(id=task.id))
    async with agent(api, api.wide_key, slug="sager") as (elsewhere, _):
        with pytest.raises(TaskNotFoundError):  # the same key through another specialist's path
            await elsewhere.get_task(GetTaskRequest(id=task.id))


async def test_a_running_task_is_cancelled(api: Integration) -> None:
    api.town.external.delay_s = 10
    async with agent(api, api.public_key, polling=True) as (client, _):
        started = await final_task(client, ask(QUESTION))
        assert started.status.state in (TaskState.TASK_STATE_SUBMITTED, TaskState.TASK_STATE_WORKING)
        for _ in range(50):  # until the request reached the model
            if api.town.external.requests:
                break
            await asyncio.sleep(0.1)
        cancelled = await client.cancel_task(CancelTaskRequest(id=started.id))
        assert cancelled.status.state == TaskState.TASK_STATE_CANCELED
        stored = await client.get_task(GetTaskRequest(id=started.id))
    assert stored.status.state == TaskState.TASK_STATE_CANCELED
    assert not [a for a in stored.artifacts if a.artifact_id == "citations"]


async def test_earlier_tasks_of_a_context_are_the_history(api: Integration) -> None:
    async with agent(api, api.public_key) as (client, _):
        first = await final_task(client, ask("Hvad koster et pas til et barn?"))
        await final_task(client, ask(QUESTION, context_id=first.context_id))
    second = api.town.external.requests[-1]["messages"]
    said = "\n".join(str(m["content"]) for m in second)
    assert "Hvad koster et pas til et barn?" in said and ANSWER in said


async def test_a_wrong_key_and_a_scoped_specialist_are_refused(api: Integration) -> None:
    async with agent(api, api.public_key) as (_, card):
        pass
    async with httpx.AsyncClient(headers={"Authorization": "Bearer aai_forkert"}, timeout=30) as http:
        async with ClientFactory(ClientConfig(httpx_client=http, streaming=False)).create(card) as client:
            with pytest.raises(A2AClientError, match="401"):
                await final_task(client, ask(QUESTION))
    body = {"jsonrpc": "2.0", "id": 1, "method": "message/send", "params": {}}
    headers = {"Authorization": f"Bearer {api.public_key}", "Content-Type": "application/json"}
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{api.base}/a2a/sager", json=body, headers=headers) as r,
    ):
        assert r.status == 404
        assert (await r.json())["error"]["message"] == (
            "Specialisten 'sager' findes ikke, eller nøglen har ikke adgang til den."
        )
    assert api.town.external.requests == [] and api.town.internal.requests == []
    assert CPR not in str(api.audit("api.refused"))
    refused = [(a, t, d["endpoint"]) for a, t, d in api.audit("api.refused")]
    assert ("api:sag-offentlig", "sager", "a2a") in refused


async def test_a_get_of_the_endpoint_is_405(api: Integration) -> None:
    headers = {"Authorization": f"Bearer {api.public_key}", "Accept": "text/event-stream"}
    async with aiohttp.ClientSession() as http:
        async with asyncio.timeout(5), http.get(f"{api.base}/a2a/pas", headers=headers) as r:
            assert r.status == 405 and r.headers["Allow"] == "POST"


async def test_the_readme_a2a_example_runs(api: Integration) -> None:
    """The integrators' A2A example in the README, run as written with the official a2a-sdk client."""
    block = re.search(r"```python\n(# pip install a2a-sdk.*?)```", README, flags=re.S)
    assert block is not None
    env = {**os.environ, "AARHUSAI_URL": api.base, "AARHUSAI_KEY": api.public_key}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", block.group(1), env=env, stdout=PIPE, stderr=PIPE
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    assert out.decode().splitlines() == ["Pas", ANSWER, "[1] kilde.md"]


async def test_the_task_store_is_bounded_and_owner_scoped() -> None:
    store = BoundedTaskStore(limit=2)
    alice, bob = (ServerCallContext(state={"owner": f"api:{who}|pas"}) for who in ("a", "b"))
    for n in range(3):
        await store.save(Task(id=f"t{n}", context_id="c"), alice)
    await store.save(Task(id="t9", context_id="c"), bob)
    assert await store.get("t0", alice) is None and await store.get("t1", alice) is None  # the oldest go
    assert (await store.get("t2", alice)).id == "t2"  # type: ignore[union-attr]
    assert await store.get("t9", alice) is None and await store.get("t2", bob) is None  # each owner its own
