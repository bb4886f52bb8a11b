"""Connected sources at every door: Teams commands (Danish and English, Builders of the department
only), the CLI exactly as scripts call it, skill files (``connections:``, exported back), the schedule
(one replica per period), and an answer citing a connected document by its URL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from bot.app import Services
from bot.services import SKILLS_SYNC, Actor
from bot.skills import export_skill, sync_skill
from tests.support.intranet import HTML, Intranet, page
from tests.test_cli import run
from tests.test_governance import ADMIN, BUILDER_A, EMPLOYEE, Org, msg
from tests.test_services import SCREEN


def small_site(site: Intranet) -> None:
    site.robots = "User-agent: *\nDisallow: /privat/\n"
    site.pages.update(
        {
            "/hr/": (HTML, page("HR", "Personalets vejledninger.", ["/hr/ferie", "/hr/sag", "/privat/x"])),
            "/hr/ferie": (HTML, page("Ferie", "Ferie skal godkendes af lederen tre uger før.")),
            "/hr/sag": (HTML, page("Sagsnotat", "Borgerens CPR-nummer er 010203-1234.")),
        }
    )


@pytest.fixture
async def intranet() -> AsyncIterator[Intranet]:
    site = await Intranet().start()
    small_site(site)
    yield site
    await site.stop()


@pytest.fixture
def services(make_services: Callable[..., Services], db_url: str, intranet: Intranet) -> Services:
    return make_services(database_url=db_url, admins=ADMIN, crawl_hosts=intranet.origin, crawl_delay_s=0.0)


async def test_teams_commands(services: Services, intranet: Intranet) -> None:
    org = await Org(services).setup()
    await org.say(BUILDER_A, "/ny Personaleguiden")
    await org.say(BUILDER_A, "/rediger personaleguiden")
    services.app.publishing.screen(Actor(BUILDER_A), SCREEN, "personaleguiden")

    denied = await org.say(EMPLOYEE, f"/forbind web {intranet.url('/hr/')}")
    assert "Builder" in denied.text or "adgang" in denied.text.lower() or "må" in denied.text
    assert services.app.connections.list(Actor(BUILDER_A), "personaleguiden")[1] == []

    unlisted = await org.say(BUILDER_A, "/forbind web https://www.example.com/")
    assert "AARHUSAI_CRAWL_HOSTS" in unlisted.text

    connected = await org.say(BUILDER_A, f"/forbind web {intranet.url('/hr/')} maks=50 hver=12t")
    assert "er forbundet til" in connected.text and "hver 12t" in connected.text, connected.text

    synced = await org.say(BUILDER_A, "/synkroniser")
    assert "Synkroniseret" in synced.text and "2 tilføjet" in synced.text, synced.text
    assert "afvist: sag.html" in synced.text and "personoplysninger" in synced.text
    assert intranet.requested("/privat/") == []

    listed = await org.say(BUILDER_A, "/forbindelser")
    assert "2 dokumenter" in listed.text and "næste" in listed.text and "afvist: sag.html" in listed.text

    english = await services.dispatcher.handle(replace(msg("/connections", BUILDER_A), locale="en"))
    assert "refused: sag.html" in english.text and "2 documents" in english.text, english.text

    await org.say(BUILDER_A, "/brug personaleguiden")
    answer = await org.say(BUILDER_A, "Hvornår skal ferie godkendes?")
    assert "tre uger" in answer.text
    shown = await org.say(BUILDER_A, "/kilde 1")
    assert intranet.url("/hr/ferie") in shown.text and "2026-12-01" in shown.text, shown.text

    name = services.app.connections.list(Actor(BUILDER_A), "personaleguiden")[1][0].row.name
    gone = await org.say(BUILDER_A, f"/afbryd {name}")
    assert "er afbrudt" in gone.text and "2 dokumenter" in gone.text


async def test_the_schedule_syncs_due_connections_once(services: Services, intranet: Intranet) -> None:
    builder = Actor(BUILDER_A)
    services.app.roles.create_department(Actor(ADMIN), "Afdeling A")
    services.app.roles.change(Actor(ADMIN), True, BUILDER_A, "builder", "afdeling-a")
    services.app.specialists.create(builder, "Guide A")
    services.app.publishing.screen(builder, SCREEN, "guide-a")
    services.app.connections.connect(builder, "guide-a", "web", intranet.url("/hr/"))
    assert len(services.app.connections.due()) == 1
    first, second = await asyncio.gather(
        services.app.connections.run_due(), services.app.connections.run_due()
    )
    assert len(first) + len(second) == 1  # the lease: one sync, whichever took it
    assert services.app.connections.due() == []  # next one in 24 hours
    assert len(intranet.requested("/hr/ferie")) == 1


async def test_skill_files_connect_and_export_connections(
    services: Services, intranet: Intranet, tmp_path: Path
) -> None:
    folder = tmp_path / "skills" / "hr-guide"
    (folder / "kilder").mkdir(parents=True)
    (folder / "kilder" / "regler.md").write_text("# Regler\n\nMødetid er klokken ni.\n", encoding="utf-8")
    skill = {
        "slug": "hr-guide",
        "name": "HR-guide",
        "prompt": "Svar kort.",
        "status": "draft",
        "sources": ["kilder/regler.md"],
        "connections": [{"kind": "web", "url": intranet.url("/hr/"), "every": "6t", "max_pages": 20}],
    }
    (folder / "skill.yaml").write_text(yaml.safe_dump(skill, allow_unicode=True), encoding="utf-8")
    report = await sync_skill(folder, services.app)
    assert len(report.connections) == 1
    [view] = services.app.connections.list(SKILLS_SYNC, "hr-guide")[1]
    assert view.row.every_s == 6 * 3600 and '"max_pages": 20' in view.row.options
    [synced] = await services.app.connections.sync(SKILLS_SYNC, "hr-guide")
    assert synced.added == 3  # no screening yet: personfølsom, so the page with a CPR number is kept

    again = await sync_skill(folder, services.app)  # the skill's own files do not remove connected ones
    assert again.sources_removed == []
    names = {s.name for s in services.app.sources.list(SKILLS_SYNC, "hr-guide")[1]}
    assert {"regler.md", "ferie.html"} <= names

    out = await asyncio.to_thread(export_skill, SKILLS_SYNC, "hr-guide", tmp_path / "export", services.app)
    exported = yaml.safe_load((out / "skill.yaml").read_text(encoding="utf-8"))
    assert exported["sources"] == ["kilder/regler.md"]  # connected documents are not files of the skill
    assert exported["connections"] == [
        {
            "kind": "web",
            "url": intranet.url("/hr/"),
            "name": view.row.name,
            "every": "6t",
            "max_pages": 20,
            "include": [],
            "exclude": [],
        }
    ]


async def test_the_cli(tmp_path: Path, intranet: Intranet) -> None:
    env = {"AARHUSAI_CRAWL_HOSTS": intranet.origin, "AARHUSAI_CRAWL_DELAY_S": "0"}

    async def cli(*args: str) -> object:
        return await asyncio.to_thread(run, list(args), tmp_path, env, "", 180)

    made = await cli("specialist", "create", "hr", "--name", "HR")
    assert made.returncode == 0, made.stderr  # type: ignore[attr-defined]
    connected = await cli(
        "source", "connect", "hr", "web", intranet.url("/hr/"), "--every", "24h", "--max-pages", "10"
    )
    assert connected.returncode == 0 and intranet.origin in connected.stdout, connected.stderr  # type: ignore[attr-defined]
    synced = await cli("source", "sync", "hr")
    # the default classification (personfølsom) keeps CPR numbers: all three pages are held
    assert synced.returncode == 0 and "3 tilføjet" in synced.stdout, (synced.stdout, synced.stderr)  # type: ignore[attr-defined]
    listed = await cli("source", "list", "hr")
    assert "3 dokumenter" in listed.stdout  # type: ignore[attr-defined]
    intranet.redirects["/hr/ferie"] = "/hr/ferie"  # a redirect loop: that page cannot be fetched now
    failed = await cli("source", "sync", "hr")
    assert failed.returncode == 1 and "ikke hentet" in failed.stdout, (failed.stdout, failed.stderr)  # type: ignore[attr-defined]
