"""SharePoint libraries and Teams channel files as connected sources, through the doors (Teams commands,
the HTTP edge with a channel activity, the CLI), against the fake Microsoft Graph of
tests/support/graph.py: connect (the target checked at once), sync, cite with the file's URL, a change
and a deletion applied on the next sync, and refusals (an unlisted host, a missing folder, a chat)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from microsoft_agents.activity import Activity
from prometheus_client import REGISTRY

from bot.app import Services
from bot.services import SKILLS_SYNC, Actor
from bot.skills import SkillError, sync_skill
from bot.teams.activity import to_incoming
from tests.support.graph import CHANNEL_ID, HOST, LIBRARY_URL, TEAM_ID, FakeGraph
from tests.test_cli import run
from tests.test_governance import ADMIN, BUILDER_A, Org, msg
from tests.test_services import SCREEN

SICK = "Sygefravær meldes til lederen før klokken ni om morgenen."
LEAVE = "# Ferie\n\nFerie aftales med lederen senest tre uger før."


@pytest.fixture
async def graph(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeGraph]:
    fake = await FakeGraph(tmp_path).start()
    # msal (through requests) trusts the fake login's own certificate, as an operator's CA bundle
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(fake.ca_file))
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    yield fake
    await fake.stop()


def policies(graph: FakeGraph) -> dict[str, str]:
    """A library with a folder "Politikker" (two files) and a file outside it."""
    ids = {"folder": graph.folder("Politikker")}
    ids["sick"] = graph.add("sygefravaer.txt", SICK.encode(), parent=ids["folder"])
    ids["leave"] = graph.add("ferie.md", LEAVE.encode(), parent=ids["folder"])
    ids["outside"] = graph.add("andet.txt", b"Noget helt andet om kantinen.", parent="root")
    return ids


def requests_counted() -> float:
    return sum(
        REGISTRY.get_sample_value("aarhusai_sync_requests_total", {"status": status}) or 0.0
        for status in ("200", "302")
    )


@pytest.fixture
def services(make_services: Callable[..., Services], db_url: str, graph: FakeGraph) -> Services:
    return make_services(database_url=db_url, admins=ADMIN, sharepoint_hosts=HOST, **graph.settings())


async def test_a_sharepoint_folder_through_the_teams_commands(services: Services, graph: FakeGraph) -> None:
    ids = policies(graph)
    org = await Org(services).setup()
    await org.say(BUILDER_A, "/ny Personaleguiden")
    await org.say(BUILDER_A, "/rediger personaleguiden")
    services.app.publishing.screen(Actor(BUILDER_A), SCREEN, "personaleguiden")

    unlisted = await org.say(
        BUILDER_A, "/forbind sharepoint https://evil.example.com/sites/HR/Delte%20dokumenter"
    )
    assert "evil.example.com" in unlisted.text and "AARHUSAI_SHAREPOINT_HOSTS" in unlisted.text, unlisted.text
    missing = await org.say(BUILDER_A, f"/forbind sharepoint {LIBRARY_URL}/Findes-ikke")
    assert "Mappen findes ikke" in missing.text, missing.text
    english = await services.dispatcher.handle(
        replace(msg(f"/connect sharepoint {LIBRARY_URL}/Findes-ikke", BUILDER_A), locale="en")
    )
    assert "The folder does not exist" in english.text, english.text
    assert services.app.connections.list(Actor(BUILDER_A), "personaleguiden")[1] == []
    assert graph.made("graph", "/delta") == []  # refused at once: nothing synced

    connected = await org.say(BUILDER_A, f"/forbind sharepoint {LIBRARY_URL}/Politikker")
    assert "er forbundet til" in connected.text, connected.text
    assert graph.made("graph", "/root:/Politikker")  # the folder was looked up when it was connected

    counted = requests_counted()
    synced = await org.say(BUILDER_A, "/synkroniser")
    assert "2 tilføjet" in synced.text and "0 ikke hentet" in synced.text, synced.text
    # Graph's requests (the feed and the redirects) and the downloads are in the sync request metric
    assert requests_counted() - counted >= 4
    [view] = services.app.connections.list(Actor(BUILDER_A), "personaleguiden")[1]
    assert view.documents == 2 and view.report["stats"]["downloads"] == 2, view.report

    await org.say(BUILDER_A, "/brug personaleguiden")
    answer = await org.say(BUILDER_A, "Hvornår skal sygefravær meldes?")
    assert "klokken ni" in answer.text, answer.text
    shown = await org.say(BUILDER_A, "/kilde 1")
    assert f"{LIBRARY_URL}/Politikker/sygefravaer.txt" in shown.text, shown.text

    graph.change(ids["sick"], "Sygefravær meldes nu før klokken otte via appen.".encode())
    graph.delete(ids["leave"])
    again = await org.say(BUILDER_A, "/synkroniser")
    assert "1 ændret" in again.text and "1 fjernet" in again.text, again.text
    names = {s.name for s in services.app.sources.list(Actor(BUILDER_A), "personaleguiden")[1]}
    assert names == {"sygefravaer.txt"}
    changed = await org.say(BUILDER_A, "Hvornår skal sygefravær meldes?")
    assert "klokken otte" in changed.text and "klokken ni" not in changed.text, changed.text
    leave = await org.say(BUILDER_A, "Hvornår skal ferie aftales?")
    assert "tre uger" not in leave.text and "ferie.md" not in leave.text, leave.text
    cited = await org.say(BUILDER_A, "/kilde 1")
    assert "ferie.md" not in cited.text and "Politikker/ferie" not in cited.text, cited.text


async def test_a_sync_graph_refuses_is_a_failed_sync_with_its_reason(
    services: Services, graph: FakeGraph
) -> None:
    ids = policies(graph)
    org = await Org(services).setup()
    await org.say(BUILDER_A, "/ny Personaleguiden")
    await org.say(BUILDER_A, "/rediger personaleguiden")
    services.app.publishing.screen(Actor(BUILDER_A), SCREEN, "personaleguiden")
    await org.say(BUILDER_A, f"/forbind sharepoint {LIBRARY_URL}/Politikker")
    assert "2 tilføjet" in (await org.say(BUILDER_A, "/synkroniser")).text

    graph.delete(ids["folder"])  # the connected folder itself is deleted in SharePoint
    failed = await org.say(BUILDER_A, "/synkroniser")
    assert "mislykkedes" in failed.text and "Den forbundne mappe er slettet" in failed.text, failed.text
    listed = await org.say(BUILDER_A, "/forbindelser")
    assert "2 dokumenter" in listed.text and "Den forbundne mappe er slettet" in listed.text, listed.text
    [view] = services.app.connections.list(Actor(BUILDER_A), "personaleguiden")[1]
    assert view.row.failures == 1 and view.row.syncing_until is None  # counted, and the lease let go


async def test_a_skill_file_connects_a_library(services: Services, graph: FakeGraph, tmp_path: Path) -> None:
    policies(graph)
    folder = tmp_path / "skills" / "hr-guide"
    folder.mkdir(parents=True)
    skill = {
        "slug": "hr-guide",
        "name": "HR-guide",
        "prompt": "Svar kort.",
        "status": "draft",
        "connections": [{"kind": "sharepoint", "url": f"{LIBRARY_URL}/Politikker", "every": "6t"}],
    }
    (folder / "skill.yaml").write_text(yaml.safe_dump(skill, allow_unicode=True), encoding="utf-8")
    report = await sync_skill(folder, services.app)
    assert len(report.connections) == 1
    [view] = services.app.connections.list(SKILLS_SYNC, "hr-guide")[1]
    assert view.row.kind == "sharepoint" and view.row.every_s == 6 * 3600
    [synced] = await services.app.connections.sync(SKILLS_SYNC, "hr-guide")
    assert synced.added == 2 and synced.ok, synced

    skill["connections"] = [{"kind": "sharepoint", "url": f"{LIBRARY_URL}/Findes-ikke"}]
    (folder / "skill.yaml").write_text(yaml.safe_dump(skill, allow_unicode=True), encoding="utf-8")
    with pytest.raises(SkillError) as missing:  # a reviewed file naming a missing folder is refused too
        await sync_skill(folder, services.app)
    assert "Mappen findes ikke" in str(missing.value)


async def test_kanal_outside_a_channel_is_refused(services: Services, graph: FakeGraph) -> None:
    org = await Org(services).setup()
    await org.say(BUILDER_A, "/ny Kanalguiden")
    await org.say(BUILDER_A, "/rediger kanalguiden")
    refused = await org.say(BUILDER_A, "/forbind kanal")
    assert "Teams-kanalen" in refused.text, refused.text
    english = await services.dispatcher.handle(replace(msg("/connect channel", BUILDER_A), locale="en"))
    assert "in the Teams channel" in english.text, english.text
    # nor another channel by its ids, written by hand
    other = await org.say(
        BUILDER_A, f"/forbind kanal {TEAM_ID}/{CHANNEL_ID}", conversation="19:x@thread.tacv2", kind="channel"
    )
    assert "Teams-kanalen" in other.text, other.text
    assert services.app.connections.list(Actor(BUILDER_A), "kanalguiden")[1] == []
    assert graph.requests == []


def channel_activity(user: str, text: str, conversation: str, **channel_data: Any) -> Activity:
    """A channel post as Teams sends it (the edge has checked its token); ``channelData`` as given."""
    return Activity.model_validate(
        {
            "type": "message",
            "id": "1001",
            "channelId": "msteams",
            "serviceUrl": "https://smba.trafficmanager.net/emea/",
            "from": {"id": f"29:{user}", "name": user, "aadObjectId": user},
            "recipient": {"id": "28:bot", "name": "AarhusAI"},
            "conversation": {"id": conversation, "conversationType": "channel", "tenantId": "t1"},
            "channelData": {"tenant": {"id": "t1"}, **channel_data},
            "text": text,
            "locale": "da-DK",
            # the bot @mentioned (the edge strips its <at> from the text)
            "entities": [
                {
                    "type": "mention",
                    "mentioned": {"id": "28:bot", "name": "AarhusAI"},
                    "text": "<at>AarhusAI</at>",
                }
            ],
        }
    )


def test_a_channel_activity_names_its_team_and_channel() -> None:
    def conversation(conv: str, **channel_data: Any) -> Any:
        return to_incoming(channel_activity("u", "/forbind kanal", conv, **channel_data), "da").conversation

    thread = f"{CHANNEL_ID};messageid=42"
    full = conversation(thread, team={"aadGroupId": TEAM_ID.upper()}, channel={"id": CHANNEL_ID})
    assert full.team_group_id == TEAM_ID and full.teams_channel_id == CHANNEL_ID
    fallback = conversation(thread, team={"aadGroupId": TEAM_ID})
    assert fallback.teams_channel_id == CHANNEL_ID  # the conversation id without its thread tail
    hostile = conversation(thread, team={"aadGroupId": "../../users/x"}, channel={"id": "19:x/../y"})
    assert hostile.team_group_id is None and hostile.teams_channel_id == CHANNEL_ID
    assert conversation(thread, team="nope", channel=["x"]).team_group_id is None


async def test_kanal_in_a_channel_connects_its_files_folder(services: Services, graph: FakeGraph) -> None:
    graph.add("moedeplan.txt", "Teammødet holdes hver tirsdag klokken ti.".encode(), parent="general")
    graph.add("andet.txt", b"Uden for kanalens mappe.", parent="root")
    org = await Org(services).setup()
    await org.say(BUILDER_A, "/ny Teamguide")
    services.app.publishing.screen(Actor(BUILDER_A), SCREEN, "teamguide")
    thread = f"{CHANNEL_ID};messageid=1000"
    data = {"team": {"id": "19:team@thread.tacv2", "aadGroupId": TEAM_ID}, "channel": {"id": CHANNEL_ID}}

    async def say(text: str, **channel_data: Any) -> str:
        activity = channel_activity(BUILDER_A, text, thread, **channel_data)
        return (await services.dispatcher.handle(to_incoming(activity, "da"))).text

    await say("/rediger teamguide", **data)
    without_team = await say("/forbind kanal", channel={"id": CHANNEL_ID})  # no aadGroupId: no team
    assert "Teams-kanalen" in without_team, without_team
    connected = await say("/forbind kanal", **data)
    assert "er forbundet til" in connected, connected
    [view] = services.app.connections.list(Actor(BUILDER_A), "teamguide")[1]
    assert view.row.kind == "channel" and view.row.target == f"{TEAM_ID}/{CHANNEL_ID}"
    assert graph.made("graph", f"/teams/{TEAM_ID}/channels/{CHANNEL_ID}/filesFolder")

    synced = await say("/synkroniser", **data)
    assert "1 tilføjet" in synced, synced
    names = {s.name for s in services.app.sources.list(Actor(BUILDER_A), "teamguide")[1]}
    assert names == {"moedeplan.txt"}  # the channel's folder only


async def test_the_cli_connects_and_syncs_a_library(tmp_path: Path, graph: FakeGraph) -> None:
    policies(graph)
    settings = graph.settings()
    env = {
        "AARHUSAI_APP_ID": str(settings["app_id"]),
        "AARHUSAI_APP_PASSWORD": str(settings["app_password"]),
        "AARHUSAI_TENANT_ID": str(settings["tenant_id"]),
        "AARHUSAI_LOGIN_URL": str(settings["login_url"]),
        "AARHUSAI_GRAPH_URL": str(settings["graph_url"]),
        "AARHUSAI_DOWNLOAD_HOSTS": graph.download_origin,
        "AARHUSAI_SHAREPOINT_HOSTS": HOST,
        "REQUESTS_CA_BUNDLE": str(graph.ca_file),
    }

    async def cli(*args: str) -> Any:
        return await asyncio.to_thread(run, list(args), tmp_path, env, "", 180)

    made = await cli("specialist", "create", "hr", "--name", "HR")
    assert made.returncode == 0, made.stderr
    unlisted = await cli("source", "connect", "hr", "sharepoint", "https://evil.example.com/sites/HR/Dok")
    assert unlisted.returncode != 0 and "AARHUSAI_SHAREPOINT_HOSTS" in unlisted.stdout + unlisted.stderr
    connected = await cli(
        "source", "connect", "hr", "sharepoint", f"{LIBRARY_URL}/Politikker", "--every", "6h"
    )
    assert connected.returncode == 0 and "sharepoint" in connected.stdout, connected.stderr
    synced = await cli("source", "sync", "hr")
    assert synced.returncode == 0 and "2 tilføjet" in synced.stdout, (synced.stdout, synced.stderr)
    listed = await cli("source", "list", "hr")
    assert "2 dokumenter" in listed.stdout, listed.stdout
