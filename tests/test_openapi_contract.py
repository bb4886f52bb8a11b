"""Schemathesis against ``/v1/openapi.json``: the contract is precise enough that a generated request
finds where the service and the document disagree.

A live service (its own thread and event loop, so schemathesis' blocking calls never stall it) with one
published specialist, a recording model server and a Bearer key; schemathesis reads the document the
key sees (``model`` is an enum of its specialists) and runs its examples, coverage and fuzzing phases
with every check: no 5xx, documented status codes, content types, headers and response schemas, 405 with
``Allow`` for a method a path does not take, positive data accepted and negative data refused, 401
without the key. Deterministic (fixed seed, derandomized, no example database) and bounded.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
import schemathesis
from hypothesis import given, settings
from schemathesis import GenerationMode
from schemathesis.checks import load_all_checks
from schemathesis.core.failures import FailureGroup, as_reported_failure
from schemathesis.pytest.lazy import get_all_tests

from bot.app import Services
from bot.server import start
from bot.services import Actor
from tests.conftest import write_catalogue
from tests.support.openai_server import RecordingModelServer

T = TypeVar("T")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
ADMIN = "adm"
MAX_EXAMPLES = 25  # per operation, fuzzing phase; the coverage phase adds its own finite set
QUESTION_EXAMPLES = 30
# how the service refuses a request: schemathesis' list plus 408 and 413 (a body too slow or too large)
REFUSALS = [400, 401, 403, 404, 405, 406, 408, 409, 413, 415, 422, 428, 429]
PUBLIC = "formål=vejledning; data=ingen; kilder=offentlige; hjemmel=lov; dpia=nej; ansvarlig=Bo"


class LoopThread:
    """An event loop in a thread of its own, for a server that a blocking client talks to."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(60)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@dataclass
class Live:
    base: str
    key: str
    model: RecordingModelServer


def has_question(body: Any) -> bool:
    """The one rule the schema cannot state, read independently of the service: the last message is
    the user's, with text that is not only whitespace or control characters."""
    last = body["messages"][-1]
    content = last.get("content")
    text = "".join(p.get("text") or "" for p in content) if isinstance(content, list) else content or ""
    return last["role"] == "user" and CONTROL.sub("", text).strip() != ""


@schemathesis.check
def schema_valid_requests_are_answered(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    """Valid data is answered (or refused for the key, its budget or size); a 400 only for a request
    without a question, with the message that says so."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return None
    status = response.status_code
    if status == 400 and case.method == "POST" and not has_question(case.body):
        return None
    assert status in (200, 401, 404, 413, 429), f"schema-valid request refused with {status}: {response.text}"
    return None


@pytest.fixture
def live(make_services: Callable[..., Services], tmp_path: Path) -> Iterator[Live]:
    thread = LoopThread()
    model = thread.run(RecordingModelServer(reply="Et nyt pas koster 688 kr. [1]").start())
    catalogue = write_catalogue(
        tmp_path / "models.yaml", {"id": "m", "base_url": model.base_url, "model": "m", "max_retries": 0}
    )
    services = make_services(admins=ADMIN, models_file=catalogue)
    app, admin = services.app, Actor(ADMIN)
    spec = app.specialists.create(admin, "Pas", description="Priser på pas.")
    app.publishing.screen(admin, PUBLIC, spec.slug)
    app.publishing.share(admin, "organisation", spec.slug)
    app.publishing.approve(admin, spec.slug)
    source = "# Pas\n\nEt nyt pas til en voksen koster 688 kr. Du bestiller tid i Borgerservice."
    thread.run(app.sources.add(admin, spec, "pas.md", source.encode()))
    app.publishing.publish(admin, spec.slug)
    key = app.integrations.create_key(admin, "kontrakt", [spec.slug], "offentlig", per_minute=100_000).secret
    runner, port = thread.run(start(services, "127.0.0.1", 0))
    yield Live(f"http://127.0.0.1:{port}", key, model)
    thread.run(runner.cleanup())
    thread.run(model.stop())
    thread.stop()


@pytest.fixture
def contract(live: Live) -> schemathesis.BaseSchema:
    auth = {"Authorization": f"Bearer {live.key}"}
    config = schemathesis.Config.from_dict(
        {
            "seed": 21,
            "base-url": live.base,
            "headers": auth,
            "request-timeout": 30,
            "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
            "checks": {
                "negative_data_rejection": {"expected-statuses": REFUSALS},
                # one rule JSON Schema cannot state (the last message is the user's question) has its
                # own check below; every other refusal of schema-valid data is still a failure
                "positive_data_acceptance": {"enabled": False},
            },
        }
    )
    return schemathesis.openapi.from_url(f"{live.base}/v1/openapi.json", config=config, headers=auth)


def test_v1_keeps_its_contract(contract: schemathesis.BaseSchema) -> None:
    """Every operation, every phase; a failure names the check and a curl line that reproduces it.
    (schemathesis' own ``from_fixture`` plugin does not run under pytest 9, so its test builder is
    driven here directly.)"""
    load_all_checks()
    calls: dict[str, int] = {}

    def check(case: schemathesis.Case) -> None:
        calls[case.operation.label] = calls.get(case.operation.label, 0) + 1
        case.call_and_validate()

    for result in get_all_tests(schema=contract, test_func=check, settings=None, given_kwargs=None):
        _operation, test = result.ok()
        try:
            test()
        except FailureGroup as exc:
            raise as_reported_failure(exc) from None
    assert set(calls) == {
        "GET /v1/models",
        "GET /v1/models/{model}",
        "GET /v1/passages/{passage}",
        "POST /v1/chat/completions",
    }
    print(calls)


def test_every_schema_valid_conversation_ending_in_a_question_is_answered(
    contract: schemathesis.BaseSchema,
) -> None:
    """The check above lets a schema-valid request without a question be refused; this property closes
    that gap: any schema-valid body, its last message replaced by a user question, gets an answer
    (200), whatever the history holds (roles, content parts, empty or long texts, extra fields)."""
    operation = contract["/v1/chat/completions"]["POST"]
    answered: list[int] = []

    @settings(max_examples=QUESTION_EXAMPLES, derandomize=True, database=None, deadline=None)
    @given(case=operation.as_strategy(GenerationMode.POSITIVE))
    def asked(case: schemathesis.Case) -> None:
        case.body["messages"][-1] = {"role": "user", "content": "Hvad koster et nyt pas?"}
        response = case.call()
        assert response.status_code == 200, f"{response.status_code}: {response.text[:500]}"
        answered.append(response.status_code)

    asked()
    assert len(answered) == QUESTION_EXAMPLES
