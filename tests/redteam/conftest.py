"""The red-team set-up: a municipality with two departments, a model cleared only for public data
(``ekstern``, like a cloud model) and one cleared for personal data (``intern``, self-hosted), both
recording every request, and a Teams connector recording everything the bot sends. Cases assert on
what reached those two, never on the model's wording."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.app import Services
from bot.conversation.types import ConversationRef, Incoming, Reply, User
from bot.server import start
from bot.services import Actor
from tests.conftest import write_catalogue
from tests.support.connector import FakeConnector
from tests.support.openai_server import RecordingModelServer
from tests.test_http_edge import message_activity

# the people given roles are named by UPN, as an administrator would (a plain unknown name is refused)
OWNER_A, BUILDER_A, BUILDER_B = "own-a@aarhus.dk", "bld-a@aarhus.dk", "bld-b@aarhus.dk"
ADMIN, EMPLOYEE = "adm", "emp"
SCREEN = "formål=vejledning; data={data}; kilder=interne; hjemmel=intern vejledning; dpia=nej; ansvarlig=Bo"
CPR = "010190-1234"


@dataclass
class Municipality:
    services: Services
    external: RecordingModelServer
    internal: RecordingModelServer
    connector: FakeConnector
    base: str

    async def say(self, user: str, text: str, conversation: str | None = None, locale: str = "da") -> Reply:
        return await self.services.dispatcher.handle(
            Incoming(
                text=text,
                user=User(id=f"29:{user}", name=user, aad_object_id=user),
                conversation=ConversationRef(id=conversation or f"a:{user}", type="personal", tenant_id="t1"),
                locale=locale,
            )
        )

    async def post(self, activity: dict[str, Any]) -> int:
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{self.base}/api/messages", json=activity) as r,
        ):
            return r.status

    async def teams(self, user: str, text: str) -> dict[str, Any]:
        """Ask through the real HTTP edge; the final message that reached the Teams connector."""
        before = len(self.connector.messages())
        activity = message_activity(
            self.connector.service_url,
            text,
            **{"from": {"id": f"29:{user}", "name": user, "aadObjectId": user}},
            conversation={"id": f"a:{user}", "conversationType": "personal", "tenantId": "t1"},
        )
        assert await self.post(activity) == 202
        messages = await self.connector.wait_for_messages(before + 1, wait_s=20)
        return messages[-1]

    def sent_to(self, server: RecordingModelServer) -> str:
        """Everything any request carried to ``server``, as one text."""
        return "\n".join(str(m.get("content")) for r in server.requests for m in r["messages"])

    async def specialist(
        self,
        name: str,
        source: str,
        data: str = "ingen",
        model: str | None = None,
        builder: str = BUILDER_A,
        public: bool = False,
    ) -> str:
        """A published, organisation-wide specialist with one Markdown source (``public``: its sources
        are public, so with data=ingen it is ``offentlig`` and the external model may answer)."""
        app, who = self.services.app, Actor(builder)
        spec = app.specialists.create(who, name, description="Svarer ud fra sin kilde.")
        screen = SCREEN.replace("kilder=interne", "kilder=offentlige") if public else SCREEN
        app.publishing.screen(who, screen.format(data=data), spec.slug)
        app.specialists.update_settings(who, {"model_id": model}, spec.slug)
        app.publishing.share(who, "organisation", spec.slug)
        app.publishing.approve(Actor(ADMIN), spec.slug)
        outcome = await app.sources.add(who, spec, "kilde.md", source.encode("utf-8"))
        assert type(outcome).__name__ == "Added", outcome
        app.publishing.publish(who, spec.slug)
        app.specialists.use(Actor(EMPLOYEE, conversation=ConversationRef(id=f"a:{EMPLOYEE}")), spec.slug)
        return spec.slug


@pytest.fixture
async def municipality(
    make_services: Callable[..., Services], tmp_path: Path, db_url: str
) -> AsyncIterator[Municipality]:
    external = await RecordingModelServer(reply="Svar fra den eksterne model [1].").start()
    internal = await RecordingModelServer(reply="Svar fra den interne model [1].").start()
    connector = await FakeConnector().start()
    catalogue = write_catalogue(
        tmp_path / "models.yaml",
        {
            "id": "ekstern",
            "base_url": external.base_url,
            "model": "gpt",
            "max_classification": "offentlig",
            "max_retries": 0,
        },
        {
            "id": "intern",
            "base_url": internal.base_url,
            "model": "mistral",
            "max_classification": "personfølsom",
            "max_retries": 0,
        },
        default="ekstern",
    )
    services = make_services(database_url=db_url, admins=ADMIN, models_file=catalogue)
    app, admin = services.app, Actor(ADMIN)
    for name in ("Afdeling A", "Afdeling B"):
        app.roles.create_department(admin, name)
    app.roles.change(admin, True, OWNER_A, "ejer", "afdeling-a")
    app.roles.change(admin, True, BUILDER_A, "builder", "afdeling-a")
    app.roles.change(admin, True, BUILDER_B, "builder", "afdeling-b")
    runner, port = await start(services, "127.0.0.1", 0)
    yield Municipality(services, external, internal, connector, f"http://127.0.0.1:{port}")
    await runner.cleanup()
    await connector.stop()
    await external.stop()
    await internal.stop()
