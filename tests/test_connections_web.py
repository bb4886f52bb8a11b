"""Sources that stay current, the web: a specialist connected to an intranet on loopback is synced,
re-synced with nothing changed (one 304 per page, nothing downloaded or embedded again), and re-synced
after pages change, move and disappear. Asserted on the requests the intranet saw (a path robots.txt
disallows and a host not on the list are never requested) and on the answers (the changed text is cited
after the sync; a removed page never again). SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sqlmodel import select

from bot import metrics
from bot.app import Services
from bot.domain import AnswerOutcome, AppError, Outcome
from bot.services import Actor, Question
from bot.store.models import AuditEvent, Notification, Source
from bot.store.origins import connected_hosts
from tests.support import documents
from tests.support.intranet import DOCX, HTML, PDF, Intranet, page
from tests.test_governance import ADMIN, BUILDER_A, BUILDER_B
from tests.test_services import SCREEN

BUILDER = Actor(BUILDER_A)
CPR = "Borgerens CPR-nummer er 010203-1234, og sagen er åben."


@pytest.fixture
async def intranet() -> AsyncIterator[Intranet]:
    site = await Intranet().start()
    yield site
    await site.stop()


@pytest.fixture
async def elsewhere() -> AsyncIterator[Intranet]:
    """A host that is not on the crawl list: linked from the intranet, never to be requested."""
    site = await Intranet(pages={"/": (HTML, page("Andet sted", "Noget helt andet."))}).start()
    yield site
    await site.stop()


def build_site(site: Intranet, other: Intranet) -> None:
    site.robots = f"User-agent: *\nDisallow: /hemmelig/\nSitemap: {site.url('/sitemap.xml')}\n"
    site.pages.update(
        {
            "/sitemap.xml": (
                "application/xml",
                (
                    '<?xml version="1.0" encoding="UTF-8"?>'
                    '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                    f"<url><loc>{site.url('/hr/ferie')}</loc></url>"
                    f"<url><loc>{site.url('/hemmelig/loenninger')}</loc></url>"
                    "</urlset>"
                ).encode(),
            ),
            "/hr/": (
                HTML,
                page(
                    "HR-vejledninger",
                    "Her finder du personalets vejledninger.",
                    [
                        "/hr/sygefravaer",
                        "/hr/ferie#afsnit-2",
                        "/hr/ferie?kilde=forside",
                        "/hr/gammel",
                        "/hr/vejledning.pdf",
                        "/hr/politik.docx",
                        "/hr/sag",
                        "/hemmelig/loenninger",
                        other.url("/"),
                    ],
                ),
            ),
            "/hr/sygefravaer": (
                HTML,
                page("Sygefravær", "Ved sygdom ringer du til din leder før klokken otte om morgenen."),
            ),
            "/hr/ferie": (
                HTML,
                page(
                    "Ferie", "Ferie skal godkendes af lederen tre uger før.", canonical=site.url("/hr/ferie")
                ),
            ),
            "/hr/flyttet": (HTML, page("Kørsel", "Kørselsgodtgørelse udbetales efter statens takst.")),
            "/hr/vejledning.pdf": (PDF, documents.pdf(["Tjenesterejser bestilles gennem rejsebureauet."])),
            "/hr/politik.docx": (
                DOCX,
                documents.docx(
                    [("h1", "Rygepolitik"), ("p", "Rygning er forbudt i arbejdstiden på alle adresser.")]
                ),
            ),
            "/hr/sag": (HTML, page("Sagsnotat", CPR)),
            "/hemmelig/loenninger": (HTML, page("Lønninger", "Hemmelige lønoplysninger.")),
        }
    )
    site.redirects["/hr/gammel"] = "/hr/flyttet"


@pytest.fixture
def services(make_services: Callable[..., Services], db_url: str, intranet: Intranet) -> Services:
    services = make_services(
        database_url=db_url, admins=ADMIN, crawl_hosts=intranet.origin, crawl_delay_s=0.0
    )
    app, admin = services.app, Actor(ADMIN)
    for name in ("Afdeling A", "Afdeling B"):
        app.roles.create_department(admin, name)
    app.roles.change(admin, True, BUILDER_A, "builder", "afdeling-a")
    app.roles.change(admin, True, BUILDER_B, "builder", "afdeling-b")
    app.specialists.create(BUILDER, "Guide A")
    app.publishing.screen(BUILDER, SCREEN, "guide-a")  # data=ingen: CPR numbers are refused
    return services


async def ask(services: Services, text: str) -> Any:
    spec = services.stores.specialists.require("guide-a")
    return await services.app.answering.answer(Question(BUILDER, spec, text, record=False))


def sources(services: Services) -> dict[str, Source]:
    spec = services.stores.specialists.require("guide-a")
    return {s.doc_key or s.name: s for s in services.stores.specialists.sources(spec.id)}  # type: ignore[arg-type]


async def test_a_connected_intranet_is_synced_incrementally(
    services: Services, intranet: Intranet, elsewhere: Intranet
) -> None:
    build_site(intranet, elsewhere)
    app = services.app
    row = await app.connections.aconnect(BUILDER, "guide-a", "web", intranet.url("/hr/"), max_pages=50)

    # -- the first sync -----------------------------------------------------------------------------
    [report] = await app.connections.sync(BUILDER, "guide-a")
    assert report.error is None, report.error
    held = sources(services)
    expected = {
        intranet.url(p)
        for p in (
            "/hr/",
            "/hr/sygefravaer",
            "/hr/ferie",
            "/hr/flyttet",
            "/hr/vejledning.pdf",
            "/hr/politik.docx",
        )
    }
    assert set(held) == expected
    assert report.added == 6 and report.changed == 0 and report.removed == 0
    # the page with a CPR number is refused, with the Danish reason, and nothing of it is stored
    assert [r["name"] for r in report.refused] == ["sag.html"]
    assert "personoplysninger" in report.refused[0]["da"]
    assert intranet.requested("/hemmelig/") == []  # robots.txt disallows it: never requested
    assert elsewhere.log == []  # not on the crawl list: never requested
    # one page under three URLs (one with a fragment, one naming it canonical): one document
    assert len([k for k in held if "ferie" in k]) == 1 and len(intranet.requested("/hr/ferie")) == 2
    assert held[intranet.url("/hr/vejledning.pdf")].kind == "pdf"
    assert held[intranet.url("/hr/politik.docx")].kind == "docx"
    ferie = held[intranet.url("/hr/ferie")]
    assert ferie.url == intranet.url("/hr/ferie") and ferie.modified is not None
    assert ferie.connection_id == row.id and ferie.fetched_sha256
    answer = await ask(services, "Hvornår skal ferie godkendes?")
    assert answer.outcome == AnswerOutcome.SOURCES_ONLY
    assert any("tre uger" in c.text for c in answer.citations)

    # -- nothing changed: one conditional request per page, nothing downloaded or embedded ------------
    intranet.log.clear()
    chunk_ids = {s.id for s in sources(services).values()}
    [report] = await app.connections.sync(BUILDER, "guide-a")
    assert report.error is None and report.added == report.changed == report.removed == 0
    assert report.unchanged == 7  # the six documents and the refused page
    assert intranet.downloads() == []
    assert {s for _, s in intranet.requested("/hr/")} <= {304, 301}
    assert {s.id for s in sources(services).values()} == chunk_ids  # the same rows: not stored again

    # -- pages change, move and disappear -------------------------------------------------------------
    intranet.pages["/hr/ferie"] = (
        HTML,
        page(
            "Ferie", "Ferie skal nu godkendes af lederen fem uger før.", canonical=intranet.url("/hr/ferie")
        ),
    )
    del intranet.pages["/hr/sygefravaer"]
    intranet.redirects["/hr/gammel"] = "/hr/koersel"
    intranet.pages["/hr/koersel"] = intranet.pages.pop("/hr/flyttet")
    intranet.log.clear()
    [report] = await app.connections.sync(BUILDER, "guide-a")
    assert report.error is None, report.error
    held = sources(services)
    assert intranet.url("/hr/sygefravaer") not in held and intranet.url("/hr/flyttet") not in held
    assert intranet.url("/hr/koersel") in held
    assert (report.added, report.changed, report.removed) == (1, 1, 2)
    assert sorted(intranet.downloads()) == ["/hr/ferie", "/hr/ferie?kilde=forside", "/hr/koersel"]
    answer = await ask(services, "Hvornår skal ferie godkendes?")
    assert any("fem uger" in c.text for c in answer.citations)
    assert not any("tre uger" in c.text for c in answer.citations)
    answer = await ask(services, "Hvem ringer jeg til ved sygdom?")
    assert not any("klokken otte" in c.text for c in answer.citations)

    # the sync is audited with its counts, and measured
    synced = [e for e in services.stores.audit.events() if e.action == "connection.synced"]
    assert len(synced) == 3 and '"changed": 1' in synced[-1].details
    body, _ = metrics.render()
    assert b'aarhusai_sync_documents_total{outcome="removed"}' in body
    assert b'aarhusai_sync_requests_total{status="304"}' in body

    # /forbindelser's data: last and next sync, counts
    _spec, [view] = await app.connections.alist(BUILDER, "guide-a")
    assert view.row.last_sync_at and view.row.next_sync_at and view.documents == 5
    assert view.report["counts"]["removed"] == 2

    # disconnecting removes the documents it brought
    _spec, _row, removed = await app.connections.adisconnect(BUILDER, row.name, "guide-a")
    assert removed == 5 and sources(services) == {}


async def test_only_listed_hosts_and_builders_of_the_department(
    services: Services, intranet: Intranet
) -> None:
    app = services.app
    with pytest.raises(AppError) as refused:
        await app.connections.aconnect(BUILDER, "guide-a", "web", "https://www.example.com/")
    assert refused.value.outcome == Outcome.FORBIDDEN and refused.value.key == "connection_host_not_allowed"
    with pytest.raises(AppError) as other:
        await app.connections.aconnect(Actor(BUILDER_B), "guide-a", "web", intranet.url("/hr/"))
    assert other.value.outcome == Outcome.FORBIDDEN
    with pytest.raises(AppError) as graph:
        await app.connections.aconnect(BUILDER, "guide-a", "sharepoint", "https://aarhus.sharepoint.com/x")
    # the Graph connector is plugged in, but this installation has no Graph app: refused, naming it
    assert graph.value.key == "graph_not_configured" and graph.value.outcome == Outcome.BROKEN
    assert (await app.connections.alist(BUILDER, "guide-a"))[1] == []


async def test_a_failing_connection_keeps_its_documents_and_tells_a_builder(
    services: Services, intranet: Intranet, elsewhere: Intranet
) -> None:
    build_site(intranet, elsewhere)
    app = services.app
    await app.connections.aconnect(BUILDER, "guide-a", "web", intranet.url("/hr/"))
    [first] = await app.connections.sync(BUILDER, "guide-a")
    assert first.added == 6
    intranet.pages.pop("/hr/")  # the start page is gone: an error, not "remove everything"
    for _ in range(3):
        [report] = await app.connections.sync(BUILDER, "guide-a")
        assert report.error is not None and report.removed == 0
    assert len(sources(services)) == 6
    _spec, [view] = await app.connections.alist(BUILDER, "guide-a")
    assert view.row.failures == 3 and view.row.last_error
    with services.db.session() as s:
        notes = s.exec(select(Notification).where(Notification.topic == "connection.failing")).all()
        assert [n.recipient for n in notes] == [BUILDER_A]
        synced = s.exec(select(AuditEvent).where(AuditEvent.action == "connection.synced")).all()
        assert len(synced) == 4


async def test_an_answer_may_link_only_to_its_own_specialists_connected_hosts(
    services: Services, intranet: Intranet, elsewhere: Intranet
) -> None:
    """Connected hosts become link targets for the specialist connected to them, not for every
    specialist of the installation (another department's intranet is not its business)."""
    build_site(intranet, elsewhere)
    app = services.app
    await app.connections.aconnect(BUILDER, "guide-a", "web", intranet.url("/hr/"))
    app.specialists.create(Actor(BUILDER_B), "Guide B")
    a = services.stores.specialists.require("guide-a")
    b = services.stores.specialists.require("guide-b")
    assert connected_hosts(services.db, a.id) == ["127.0.0.1"]  # type: ignore[arg-type]
    assert connected_hosts(services.db, b.id) == []  # type: ignore[arg-type]
