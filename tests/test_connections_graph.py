"""The Microsoft Graph connector against a fake Graph on loopback (tests/support/graph.py): app-only
tokens through msal, SharePoint addresses resolved, delta paging and delta links, downloads through
Graph's redirect (and only to listed hosts), deletions, moves, a folder scope, 429 and a stale link."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings, SettingsError
from bot.connections.graph import GraphConnector, channel_connector, sharepoint_connector
from bot.connections.graph_auth import GraphError
from bot.connections.graph_http import GraphHttp, HostList, _PublicOnlyResolver
from bot.connections.graph_target import SharePointFolder, parse_sharepoint_url
from bot.connections.types import Change, FetchedDocument, FetchFailed
from tests.support.graph import CHANNEL_ID, DRIVE_ID, LIBRARY_URL, SITE_ID, TEAM_ID, FakeGraph

LIBRARY = LIBRARY_URL  # https://contoso.sharepoint.com/sites/HR/Delte%20dokumenter


@pytest.fixture
async def graph(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeGraph]:
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):  # requests prefers them to msal's verify=
        monkeypatch.delenv(name, raising=False)
    fake = await FakeGraph(tmp_path).start()
    yield fake
    await fake.stop()


@pytest.fixture
def connect(graph: FakeGraph, make_settings: Callable[..., Settings]) -> Callable[..., GraphConnector]:
    def make(url: str = LIBRARY, **overrides: object) -> GraphConnector:
        settings = make_settings(**{**graph.settings(), **overrides})
        return sharepoint_connector(url, settings, verify=str(graph.ca_file))

    return make


async def sync(connector: GraphConnector, state: dict[str, Any]) -> list[Change]:
    return [change async for change in connector.changes(state)]


def by_kind(changes: list[Change]) -> dict[str, set[str]]:
    kinds: dict[str, set[str]] = {}
    for change in changes:
        kinds.setdefault(type(change).__name__, set()).add(change.key)
    return kinds


def drive(graph: FakeGraph) -> dict[str, str]:
    """A library with a folder (and a subfolder) and files in the root: more than one delta page."""
    ids = {"policies": graph.folder("Politikker")}
    ids["sub"] = graph.folder("Ferie", parent=ids["policies"])
    ids["sick"] = graph.add("sygefravaer.txt", b"Sygefravaer meldes foer kl. 9.", parent=ids["policies"])
    ids["leave"] = graph.add("ferie.md", b"# Ferie\nFerie aftales med lederen.", parent=ids["sub"])
    ids["guide"] = graph.add("vejledning.pdf", b"%PDF-1.4 vejledning", parent="root")
    ids["notes"] = graph.add("noter.txt", b"Noter fra moedet.", parent="root")
    return ids


async def test_first_sync_yields_every_file_and_the_next_only_what_changed(
    graph: FakeGraph, connect: Callable[..., GraphConnector]
) -> None:
    ids = drive(graph)
    connector = connect()
    state: dict[str, Any] = {}

    first = await sync(connector, state)
    docs = {c.key: c for c in first if isinstance(c, FetchedDocument)}
    assert set(docs) == {ids["sick"], ids["leave"], ids["guide"], ids["notes"]}
    assert all(isinstance(c, FetchedDocument) for c in first)  # folders are never documents
    sick = docs[ids["sick"]]
    assert sick.content == b"Sygefravaer meldes foer kl. 9." and sick.name == "sygefravaer.txt"
    assert sick.content_type == "text/plain" and docs[ids["guide"]].content_type == "application/pdf"
    assert sick.url == f"{LIBRARY}/Politikker/sygefravaer.txt" and sick.modified is not None
    assert state["delta_link"].endswith(f"token={graph.version}") and state["drive_id"] == DRIVE_ID

    # the library was resolved through Graph, and the delta feed read page by page
    assert [r.path for r in graph.made("graph", "/sites/")] == [
        "/v1.0/sites/contoso.sharepoint.com:/sites/HR",
        f"/v1.0/sites/{SITE_ID}/drives",
    ]
    pages = graph.made("graph", "/root/delta")
    assert len(pages) == 4 and [p.query.get("page") for p in pages[1:]] == ["1", "2", "3"]
    # Graph got the token; the download host got the files, and never the token
    assert {r.authorization for r in graph.made("graph")} == {"Bearer token-1"}
    downloads = graph.made("download", "/dl/")
    assert len(downloads) == 4 and {r.authorization for r in downloads} == {None}

    assert connector.last_http is not None
    assert connector.last_http.statuses == {"graph 200": 7, "graph 302": 4, "download 200": 4}
    state = json.loads(json.dumps(state))  # the caller stores it as JSON

    graph.change(ids["sick"], b"Sygefravaer meldes nu foer kl. 8.")
    graph.delete(ids["notes"])
    new = graph.add("hjemmearbejde.txt", b"Hjemmearbejde aftales.", parent=ids["policies"])
    before = len(graph.made("download"))

    second = await sync(connector, state)
    assert by_kind(second) == {"FetchedDocument": {ids["sick"], new}, "Gone": {ids["notes"]}}
    changed = next(c for c in second if isinstance(c, FetchedDocument) and c.key == ids["sick"])
    assert changed.content == b"Sygefravaer meldes nu foer kl. 8."
    assert len(graph.made("download")) - before == 2  # unchanged files are not downloaded again
    assert len(graph.made("graph", "/sites/")) == 2  # the target is not resolved again
    assert len(graph.tokens) == 1  # msal's cache: one token for both syncs
    assert len(graph.made("login", "/oauth2/v2.0/token")) == 1

    assert await sync(connector, state) == []  # nothing changed: nothing to do


async def test_a_crash_mid_sync_keeps_the_previous_delta_link(
    graph: FakeGraph, connect: Callable[..., GraphConnector]
) -> None:
    ids = drive(graph)
    connector = connect()
    state: dict[str, Any] = {}
    await sync(connector, state)
    saved = dict(state)
    graph.change(ids["guide"], b"%PDF-1.4 ny vejledning")

    changes = connector.changes(state)
    first = await anext(changes)  # the caller dies after the first change
    await changes.aclose()
    assert isinstance(first, FetchedDocument) and state == saved

    again = await sync(connector, state)  # the next sync starts from the old link: nothing is lost
    assert by_kind(again) == {"FetchedDocument": {ids["guide"]}}


async def test_retry_after_on_429_is_honoured(
    graph: FakeGraph, connect: Callable[..., GraphConnector]
) -> None:
    drive(graph)
    graph.throttle["/root/delta"] = 1
    connector = connect()
    started = time.monotonic()
    changes = await sync(connector, {})

    assert len(changes) == 4
    pages = graph.made("graph", "/root/delta")
    assert pages[1].at - pages[0].at >= 1.0  # the throttled request, then the same one a second later
    assert pages[0].query == pages[1].query
    assert connector.last_http is not None and connector.last_http.waited_s == 1.0
    assert time.monotonic() - started >= 1.0


async def test_downloads_follow_only_a_redirect_to_a_listed_host(
    graph: FakeGraph, connect: Callable[..., GraphConnector]
) -> None:
    ids = drive(graph)
    graph.redirect_origin = graph.elsewhere_origin  # Graph's 302 points at a host not on the list
    connector = connect()
    state: dict[str, Any] = {}

    changes = await sync(connector, state)
    assert all(isinstance(c, FetchFailed) for c in changes) and len(changes) == 4
    reason = changes[0].reason  # type: ignore[union-attr]
    assert "127.0.0.1" in reason and "AARHUSAI_DOWNLOAD_HOSTS" in reason
    assert graph.made("elsewhere") == []  # never requested
    assert len(graph.made("graph", "/content")) == 4

    graph.redirect_origin = None  # fixed: the failed files are asked for again, though delta is quiet
    retried = await sync(connector, state)
    assert by_kind(retried) == {"FetchedDocument": {ids["sick"], ids["leave"], ids["guide"], ids["notes"]}}
    assert state["pending"] == []


async def test_an_https_only_download_list_refuses_a_plain_http_redirect(
    graph: FakeGraph, connect: Callable[..., GraphConnector]
) -> None:
    drive(graph)
    connector = connect(download_hosts=["127.0.0.1"])  # a name, not a local origin: https only
    changes = await sync(connector, {})
    assert changes and all(isinstance(c, FetchFailed) for c in changes)
    assert graph.made("download") == []


async def test_a_folder_scope_yields_only_files_under_it(
    graph: FakeGraph, connect: Callable[..., GraphConnector]
) -> None:
    ids = drive(graph)
    connector = connect(f"{LIBRARY}/Politikker")
    state: dict[str, Any] = {}

    first = await sync(connector, state)
    assert by_kind(first) == {"FetchedDocument": {ids["sick"], ids["leave"]}}
    assert graph.made("graph", "/root:/Politikker")
    assert {r.path.rsplit("/", 1)[-1] for r in graph.made("download")} == {ids["sick"], ids["leave"]}

    graph.add("udenfor.txt", b"Ikke i mappen.", parent="root")  # outside: not a change of ours
    graph.move(ids["sick"], "root")  # moved out: gone
    inside = graph.add("ny.txt", b"Ny politik.", parent=ids["sub"])
    second = await sync(connector, state)
    assert by_kind(second) == {"Gone": {ids["sick"]}, "FetchedDocument": {inside}}

    graph.move(ids["sub"], "root")  # the subfolder leaves: its files are gone, though delta lists only it
    third = await sync(connector, state)
    assert by_kind(third) == {"Gone": {ids["leave"], inside}}
    assert state["files"] == {}

    graph.move(ids["sub"], ids["policies"])  # back in: delta lists the folder only; its files are listed
    fourth = await sync(connector, state)
    assert by_kind(fourth) == {"FetchedDocument": {ids["leave"], inside}}
    assert graph.made("graph", f"/items/{ids['sub']}/children")


async def test_a_deleted_folder_takes_its_files_with_it(
    graph: FakeGraph, connect: Callable[..., GraphConnector]
) -> None:
    ids = drive(graph)
    connector = connect()
    state: dict[str, Any] = {}
    await sync(connector, state)
    graph.delete(ids["sub"])
    assert by_kind(await sync(connector, state)) == {"Gone": {ids["leave"]}}


async def test_a_stale_delta_link_makes_a_full_resync(
    graph: FakeGraph, connect: Callable[..., GraphConnector]
) -> None:
    ids = drive(graph)
    connector = connect()
    state: dict[str, Any] = {}
    await sync(connector, state)
    graph.change(ids["guide"], b"%PDF-1.4 ny")
    graph.delete(ids["notes"])
    graph.oldest_token = graph.version + 1  # every delta link handed out so far is too old
    downloads = len(graph.made("download"))

    changes = await sync(connector, state)
    assert by_kind(changes) == {
        "FetchedDocument": {ids["guide"]},
        "Gone": {ids["notes"]},  # not listed in the full listing
        "Unchanged": {ids["sick"], ids["leave"]},  # the same content tag: not downloaded again
    }
    assert len(graph.made("download")) - downloads == 1
    stale = [r for r in graph.made("graph", "/root/delta") if r.query.get("token")]
    assert stale and "token" not in graph.made("graph", "/root/delta")[-4].query  # listed again from scratch
    assert state["delta_link"].endswith(f"token={graph.version}")


async def test_a_rename_is_fetched_again_and_unreadable_or_large_files_are_not_downloaded(
    graph: FakeGraph, connect: Callable[..., GraphConnector]
) -> None:
    ids = drive(graph)
    picture = graph.add("billede.png", b"\x89PNG....", parent="root")
    big = graph.add("stor.txt", b"x" * (2 * 2**20), parent="root")
    connector = connect(max_upload_mb=1)
    state: dict[str, Any] = {}

    first = await sync(connector, state)
    failed = {c.key: c.reason for c in first if isinstance(c, FetchFailed)}
    assert set(failed) == {picture, big}
    assert ".png" in failed[picture] and "1 MB" in failed[big]
    fetched = {r.path.rsplit("/", 1)[-1] for r in graph.made("download")}
    assert picture not in fetched and big not in fetched

    graph.rename(ids["guide"], "vejledning-2026.pdf")
    second = await sync(connector, state)
    assert [(type(c), c.key) for c in second] == [(FetchedDocument, ids["guide"])]
    assert second[0].name == "vejledning-2026.pdf"  # type: ignore[union-attr]


async def test_a_channel_files_folder(graph: FakeGraph, make_settings: Callable[..., Settings]) -> None:
    in_channel = graph.add("referat.md", b"# Referat", parent="general")
    graph.add("andet.txt", b"Ikke kanalens.", parent="root")
    settings = make_settings(**graph.settings())
    connector = channel_connector(TEAM_ID, CHANNEL_ID, settings, verify=str(graph.ca_file))

    changes = await sync(connector, {})
    assert by_kind(changes) == {"FetchedDocument": {in_channel}}
    assert (
        graph.made("graph", "/filesFolder")[0].path
        == f"/v1.0/teams/{TEAM_ID}/channels/{CHANNEL_ID}/filesFolder"
    )
    thread = channel_connector(TEAM_ID, f"{CHANNEL_ID};messageid=1712345678901", settings)
    assert thread.target == connector.target  # a channel conversation's id names the same channel
    for team, channel in (
        ("not-a-guid", CHANNEL_ID),
        (TEAM_ID, "general"),
        (TEAM_ID, "19:x@thread.tacv2/../y"),
    ):
        with pytest.raises(GraphError) as refused:
            channel_connector(team, channel, settings)
        assert refused.value.key == "graph_channel_invalid"


async def test_a_delta_link_to_another_host_is_never_followed(
    graph: FakeGraph, connect: Callable[..., GraphConnector]
) -> None:
    drive(graph)
    connector = connect()
    state: dict[str, Any] = {}
    await sync(connector, state)
    state["delta_link"] = f"{graph.elsewhere_origin}/v1.0/drives/x/root/delta?token=1"  # a tampered state
    with pytest.raises(GraphError) as refused:
        await sync(connector, state)
    assert refused.value.key == "graph_foreign_link"
    assert graph.made("elsewhere") == []


async def test_a_wrong_secret_is_a_clear_error(
    graph: FakeGraph, connect: Callable[..., GraphConnector]
) -> None:
    connector = connect(app_password="wrong")
    with pytest.raises(GraphError) as refused:
        await sync(connector, {})
    assert refused.value.key == "graph_auth_failed"
    assert "invalid_client" in refused.value.render("da") and graph.made("graph") == []


async def test_check_resolves_and_names_what_is_missing(
    graph: FakeGraph, connect: Callable[..., GraphConnector]
) -> None:
    ids = drive(graph)
    resolved = await connect(f"{LIBRARY}/Politikker").check()
    assert (resolved.drive_id, resolved.folder_id) == (DRIVE_ID, ids["policies"])
    for url, key in (
        (f"{LIBRARY}/Findes%20ikke", "graph_folder_not_found"),
        ("https://contoso.sharepoint.com/sites/HR/Andet%20bibliotek", "graph_library_not_found"),
        (f"{LIBRARY}/Politikker/Ferie/../../x", "graph_folder_not_found"),
    ):
        with pytest.raises(GraphError) as refused:
            await connect(url).check()
        assert refused.value.key == key, url
    graph_path = graph.made("graph", "/root:/")[-1].path
    assert ".." not in graph_path


@pytest.mark.parametrize(
    ("url", "site", "path"),
    [
        (LIBRARY, "/sites/HR", ("Delte dokumenter",)),
        (f"{LIBRARY}/Politikker", "/sites/HR", ("Delte dokumenter", "Politikker")),
        (f"{LIBRARY}/Politikker/", "/sites/HR", ("Delte dokumenter", "Politikker")),
        (
            f"{LIBRARY}/Forms/AllItems.aspx?id=%2Fsites%2FHR%2FDelte%20dokumenter%2FPolitikker&viewid=1",
            "/sites/HR",
            ("Delte dokumenter", "Politikker"),
        ),
        (f"{LIBRARY}/Forms/AllItems.aspx", "/sites/HR", ("Delte dokumenter",)),
        (
            "https://contoso.sharepoint.com/:f:/r/sites/HR/Delte%20dokumenter/Politikker?csf=1&web=1&e=x",
            "/sites/HR",
            ("Delte dokumenter", "Politikker"),
        ),
        (
            "https://Contoso.SharePoint.com/teams/Jobcenter/Shared%20Documents",
            "/teams/Jobcenter",
            ("Shared Documents",),
        ),
        ("https://contoso.sharepoint.com/Shared%20Documents/Mappe", "", ("Shared Documents", "Mappe")),
        ("  https://contoso.sharepoint.com/sites/HR/Delte dokumenter  ", "/sites/HR", ("Delte dokumenter",)),
        (f"{LIBRARY}/Politikker/%2e%2e/Ferie", "/sites/HR", ("Delte dokumenter", "Ferie")),  # as browsers do
    ],
)
def test_sharepoint_addresses_as_a_browser_shows_them(url: str, site: str, path: tuple[str, ...]) -> None:
    assert parse_sharepoint_url(url, ["sharepoint.com"]) == SharePointFolder(
        "contoso.sharepoint.com", site, path
    )


@pytest.mark.parametrize(
    ("url", "key", "shown"),
    [
        ("https://evil.example.com/sites/HR/Delte%20dokumenter", "graph_url_host", "evil.example.com"),
        ("https://contoso.sharepoint.com.evil.example/sites/HR/Dok", "graph_url_host", "evil.example"),
        ("https://sharepoint.com@evil.example/sites/HR/Dok", "graph_url_invalid", ""),
        ("http://contoso.sharepoint.com/sites/HR/Dok", "graph_url_scheme", "http"),
        ("https://contoso.sharepoint.com:8443/sites/HR/Dok", "graph_url_invalid", ""),
        ("https://contoso.sharepoint.com/:f:/s/HR/EabcDEF?e=x", "graph_url_sharing_link", "delingslink"),
        ("https://contoso.sharepoint.com/sites/HR", "graph_url_not_library", ""),
        ("https://contoso.sharepoint.com/sites/HR/SitePages/Home.aspx", "graph_url_not_library", ""),
        ("https://contoso.sharepoint.com/sites/HR/Dok/a%2Fb", "graph_url_invalid", ""),
        ("ikke en adresse", "graph_url_invalid", ""),
        ("", "graph_url_invalid", ""),
    ],
)
def test_other_addresses_are_refused_with_a_danish_reason(url: str, key: str, shown: str) -> None:
    with pytest.raises(GraphError) as refused:
        parse_sharepoint_url(url, ["sharepoint.com"])
    assert refused.value.key == key
    assert shown in refused.value.render("da")


def test_an_administrator_can_narrow_the_sharepoint_hosts(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(sharepoint_hosts="aarhuskommune.sharepoint.com", app_id="a", app_password="b")
    assert settings.sharepoint_hosts == ["aarhuskommune.sharepoint.com"]
    with pytest.raises(GraphError) as refused:
        sharepoint_connector(LIBRARY, settings)
    assert refused.value.key == "graph_url_host"


def test_without_an_app_graph_is_not_configured(make_settings: Callable[..., Settings]) -> None:
    with pytest.raises(GraphError) as refused:
        sharepoint_connector(LIBRARY, make_settings())
    assert refused.value.key == "graph_not_configured"
    assert "AARHUSAI_TENANT_ID" in refused.value.render("da")


async def test_a_download_host_that_points_inside_is_never_connected_to() -> None:
    """What the fake cannot show over plain http: a listed name that resolves to an internal address,
    and an IP literal (which aiohttp never asks the resolver about)."""
    with pytest.raises(OSError):
        await _PublicOnlyResolver(HostList.from_setting(["localhost"])).resolve("localhost", 443)
    assert await _PublicOnlyResolver(HostList.from_setting(["http://localhost:8080"])).resolve(
        "localhost", 8080
    )

    async def no_token() -> str:
        return ""

    http = GraphHttp("https://graph.microsoft.com/v1.0", no_token, HostList.from_setting(["10.0.0.5"]), 1)
    assert http._internal_literal("https://10.0.0.5/dl") and http._internal_literal("https://[::1]/dl")
    assert not http._internal_literal("https://contoso.sharepoint.com/dl")
    with pytest.raises(GraphError):
        http.url("https://graph.microsoft.com.evil.example/v1.0/drives")  # the token never leaves Graph
    assert http.url("/drives/x") == "https://graph.microsoft.com/v1.0/drives/x"


async def test_a_connection_pointed_elsewhere_forgets_what_is_not_there(
    graph: FakeGraph, connect: Callable[..., GraphConnector]
) -> None:
    ids = drive(graph)
    state: dict[str, Any] = {}
    await sync(connect(LIBRARY), state)
    moved = await sync(connect(f"{LIBRARY}/Politikker"), state)  # the Builder narrowed it to a folder
    assert by_kind(moved) == {"Unchanged": {ids["sick"], ids["leave"]}, "Gone": {ids["guide"], ids["notes"]}}
    assert state["folder_id"] == ids["policies"]


async def test_a_busy_download_host_is_waited_for_and_connections_share_one_token(
    graph: FakeGraph, connect: Callable[..., GraphConnector]
) -> None:
    ids = drive(graph)
    graph.throttle[f"/dl/{ids['guide']}"] = 0.2  # SharePoint answers 503 once
    first, second = connect(), connect(f"{LIBRARY}/Politikker")

    assert len([c for c in await sync(first, {}) if isinstance(c, FetchedDocument)]) == 4
    assert len(graph.made("download", f"/dl/{ids['guide']}")) == 2
    assert first.last_http is not None and first.last_http.statuses["download 503"] == 1
    assert first.last_http.waited_s == pytest.approx(0.2)
    await sync(second, {})
    assert graph.tokens == ["token-1"]  # one msal cache per app: the second connection reused the token


def test_the_endpoints_are_settings_and_checked(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings()
    assert (settings.graph_url, settings.login_url) == (
        "https://graph.microsoft.com/v1.0",
        "https://login.microsoftonline.com",
    )
    us = make_settings(
        graph_url="https://graph.microsoft.us/v1.0", login_url="https://login.microsoftonline.us"
    )
    assert us.login_url == "https://login.microsoftonline.us"
    for bad in ({"login_url": "http://login.example"}, {"graph_url": "https://user@graph.example/v1.0"}):
        with pytest.raises(SettingsError):
            make_settings(**bad)


async def test_a_web_url_off_sharepoint_is_never_a_citation_link(
    graph: FakeGraph, connect: Callable[..., GraphConnector], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Red team: a Graph response is hostile too. An item's ``webUrl`` becomes the citation's link and a
    link the answer may carry; one that points off the SharePoint hosts (a look-alike, a phishing page)
    is dropped, the document still synced."""
    from tests.support import graph as fake

    ids = drive(graph)
    item = fake.FakeGraph._json

    def hostile(self: FakeGraph, node: Any) -> dict[str, Any]:
        body = item(self, node)
        if node.id == ids["sick"]:
            body["webUrl"] = "https://contoso.sharepoint.com.evil.example/login?next=sygefravaer"
        return body

    monkeypatch.setattr(fake.FakeGraph, "_json", hostile)
    changes = await sync(connect(), {})
    urls = {c.name: c.url for c in changes if isinstance(c, FetchedDocument)}
    assert urls["sygefravaer.txt"] == "", urls
    assert urls["noter.txt"] == f"{LIBRARY}/noter.txt"
