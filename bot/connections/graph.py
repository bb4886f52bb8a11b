"""The Microsoft Graph connector: a SharePoint document library (or a folder in one) or a Teams channel's
Files folder, synced incrementally with ``delta`` queries.

**Why plain calls, not ``msgraph-sdk``.** The connector needs a handful of GET requests (a site, its
drives, a path, a channel's folder, ``delta``, ``children``, an item, ``/content``). ``msgraph-sdk`` is a
generated client of the whole Graph API (thousands of generated modules, a large install and a slow
import) that brings Kiota's abstractions, ``azure-identity`` and an httpx stack of its own; its middleware
follows the download redirect itself (this project must check the target against
``AARHUSAI_DOWNLOAD_HOSTS`` and the addresses it resolves to first) and retries on its own terms. Plain
aiohttp — the project's client — keeps every request visible and checked here, pairs with ``msal``
(already a dependency) for the token, and is pointed at a loopback fake by one setting
(``AARHUSAI_GRAPH_URL``), so the tests assert on the very requests made.

**How a sync goes.** The target is resolved once to a drive and folder item (kept in ``state``). Graph
supports ``delta`` on a SharePoint drive's root only, so the connector reads the drive's delta and keeps
what lies under the chosen folder: it tracks the folders in scope (id → parent) and the files it has
(id → parent, content tag, name). All pages are read first (``@odata.nextLink``); only the final
``@odata.deltaLink`` is kept, and ``state`` is replaced only when the last change was handed over, so
a crash mid-sync resumes from the previous delta link. Then:

- a file new or with another content tag (``cTag``) or name → downloaded → ``FetchedDocument``;
  the same tag and name → ``Unchanged``; a deleted file, or one moved out of the folder → ``Gone``;
- a folder deleted or moved out → every file under it ``Gone``; folders themselves are never documents;
- a download that fails → ``FetchFailed`` and the file is asked for again on the next sync (its
  delta entry will not come back by itself); a type the reader cannot read or a file over the upload
  limit → ``FetchFailed`` without downloading;
- a folder moved into the chosen folder: delta lists only the folder, so its files are listed (``children``);
- ``410 Gone`` on a stale delta link → a full resync: every file listed again, what is not listed is gone.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from ada_url import URL

from bot.config import DEFAULT_SHAREPOINT_HOSTS, Settings
from bot.connections.graph_auth import GraphError, GraphTokens, graph_tokens
from bot.connections.graph_http import DownloadFailed, GraphHttp, HostList, quote
from bot.connections.graph_target import (
    ChannelFolder,
    Resolved,
    SharePointFolder,
    Target,
    channel_folder,
    parse_sharepoint_url,
    resolve,
)
from bot.connections.types import Change, FetchedDocument, FetchFailed, Gone, Unchanged
from bot.domain import Outcome
from bot.messages import t

log = logging.getLogger(__name__)

STATE_VERSION = 1
MAX_PAGES = 10_000  # a delta feed longer than this is not a drive, it is a loop
ITEM_FIELDS = "id,name,file,folder,root,deleted,parentReference,eTag,cTag,lastModifiedDateTime,webUrl,size"
# What the reader can read (bot.rag.loaders), by extension; other files are reported, not downloaded.
READABLE = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".html": "text/html",
    ".htm": "text/html",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".txt": "text/plain",
    ".text": "text/plain",
}


@dataclass(frozen=True)
class _Item:
    """The fields of a driveItem the sync needs, read defensively from Graph's JSON."""

    id: str
    name: str
    parent: str | None
    is_folder: bool
    is_file: bool
    is_root: bool
    deleted: bool
    tag: str
    modified: str
    web_url: str
    size: int

    @classmethod
    def read(cls, raw: Any) -> _Item | None:
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or not raw["id"]:
            return None
        parent = raw.get("parentReference")
        parent_id = parent.get("id") if isinstance(parent, dict) else None
        size = raw.get("size")
        return cls(
            id=raw["id"],
            name=str(raw.get("name") or ""),
            parent=parent_id if isinstance(parent_id, str) else None,
            is_folder="folder" in raw or "root" in raw,
            is_file="file" in raw,
            is_root="root" in raw,
            deleted="deleted" in raw,
            tag=str(raw.get("cTag") or raw.get("eTag") or ""),
            modified=str(raw.get("lastModifiedDateTime") or ""),
            web_url=str(raw.get("webUrl") or ""),
            size=size if isinstance(size, int) and size >= 0 else 0,
        )


def _reason(key: str, **values: object) -> str:
    return t(key, "da", **values)


def _when(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
    except ValueError:
        return None


def _clickable(url: str, hosts: HostList) -> str:
    """The item's ``webUrl`` when it is a plain https address on a SharePoint host, else "": it is
    shown as the citation's link and the answer may link to it, so a Graph response naming another
    host (a look-alike, a phishing page) must not make it one."""
    try:
        parsed = URL(url)
    except (ValueError, TypeError):
        return ""
    if parsed.protocol != "https:" or parsed.username or parsed.password or not hosts.allows(parsed.href):
        return ""
    return parsed.href


class GraphConnector:
    """One connected drive folder; ``changes(state)`` yields what changed since ``state`` was left."""

    def __init__(
        self,
        kind: str,
        target: Target,
        tokens: GraphTokens,
        graph_url: str,
        download_hosts: HostList,
        max_bytes: int,
        http_factory: Callable[..., GraphHttp] = GraphHttp,
        link_hosts: HostList | None = None,
    ) -> None:
        self.kind = kind
        # where an item's webUrl may point to be shown as a link (AARHUSAI_SHAREPOINT_HOSTS)
        self._link_hosts = link_hosts or HostList.from_setting(DEFAULT_SHAREPOINT_HOSTS)
        self.target = target
        self._tokens = tokens
        self._graph_url = graph_url
        self._download_hosts = download_hosts
        self._max_bytes = max_bytes
        self._http_factory = http_factory
        self.last_http: GraphHttp | None = None  # the last sync's client (its waits), for logs and tests

    def _http(self) -> GraphHttp:
        self.last_http = self._http_factory(
            self._graph_url, self._tokens.token, self._download_hosts, self._max_bytes
        )
        return self.last_http

    @property
    def stats(self) -> dict[str, int]:
        """What the last sync cost, as the sync report keeps it (like the web connector's): requests,
        downloads, and requests by where and status (``graph_200``, ``download_302``)."""
        statuses = self.last_http.statuses if self.last_http is not None else {}
        stats = {key.replace(" ", "_"): n for key, n in statuses.items()}
        stats["requests"] = sum(statuses.values())
        stats["downloads"] = statuses.get("download 200", 0)
        return stats

    async def check(self) -> Resolved:
        """Resolve the target now (when a Builder connects it): a clear reason if it cannot be read."""
        async with self._http() as http:
            return await resolve(http, self.target)

    async def changes(self, state: dict[str, Any]) -> AsyncIterator[Change]:
        same = state.get("target") == self.target.key and state.get("version") == STATE_VERSION
        new = copy.deepcopy(state) if same else self._fresh()
        old_files = state.get("files")
        if not same and isinstance(old_files, dict):  # pointed elsewhere: what is not there is gone
            new["files"] = {k: dict(v) for k, v in old_files.items() if isinstance(v, dict)}
        async with self._http() as http:
            if not new.get("drive_id"):
                found = await resolve(http, self.target)
                new.update(drive_id=found.drive_id, folder_id=found.folder_id)
            sync = _Sync(http, new, self._max_bytes, self._link_hosts)
            async for change in sync.run():
                yield change
        state.clear()
        state.update(new)

    def _fresh(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "target": self.target.key,
            "files": {},
            "folders": {},
            "pending": [],
        }


class _Sync:
    """One pass over the delta feed, updating ``state`` (a private copy) as it goes."""

    def __init__(self, http: GraphHttp, state: dict[str, Any], max_bytes: int, link_hosts: HostList) -> None:
        self.http = http
        self.link_hosts = link_hosts
        self.state = state
        self.drive = str(state["drive_id"])
        self.root = str(state["folder_id"])
        self.max_bytes = max_bytes
        self.files: dict[str, dict[str, Any]] = state.setdefault("files", {})
        self.folders: dict[str, str | None] = state.setdefault("folders", {})
        self.folders[self.root] = None
        self.pending: list[str] = []

    async def run(self) -> AsyncIterator[Change]:
        items, full = await self._read_feed()
        before = set(self.folders)
        self._place_folders([i for i in items if i.is_folder or (i.deleted and i.id in self.folders)])
        if not full:  # a folder moved in: delta lists the folder, not what is in it
            for folder in [f for f in self.folders if f not in before]:
                items.extend(await self._listing(folder))
        seen: set[str] = set()
        handled: set[str] = set()
        for item in items:
            if item.is_folder or item.id in handled:
                continue
            if item.deleted:
                handled.add(item.id)
                if self.files.pop(item.id, None) is not None:
                    yield Gone(item.id)
                continue
            if not item.is_file:
                continue  # a notebook, a package: not a document
            handled.add(item.id)
            async for change in self._file(item):
                seen.add(item.id)
                yield change
        for key in list(self.state.get("pending") or []):  # failed last time: ask for them again
            if key not in handled and isinstance(key, str):
                handled.add(key)
                seen.add(key)
                async for change in self._again(key):
                    yield change
        for key, entry in list(self.files.items()):  # under a folder that left, or not listed in a full sync
            if entry.get("parent") not in self.folders or (full and key not in seen):
                del self.files[key]
                yield Gone(key)
        self.state["pending"] = self.pending

    async def _read_feed(self) -> tuple[list[_Item], bool]:
        """Every item of the delta feed since the stored link (all pages), and whether it was a full
        listing; the new delta link goes into the state only when the last page was read."""
        link = self.state.get("delta_link")
        full = not isinstance(link, str) or not link
        start = f"/drives/{quote(self.drive)}/root/delta?$select={ITEM_FIELDS}"
        url = start if full else link
        items: list[_Item] = []
        for _page in range(MAX_PAGES):
            status, body = await self.http.get_json(url)
            if status == 410 and not full:  # the delta link is too old: list everything again
                log.info("graph: delta link expired for drive %s; full resync", self.drive)
                url, full, items = start, True, []
                continue
            if status in (401, 403):
                raise GraphError("graph_forbidden", Outcome.FORBIDDEN)
            if status == 404:
                raise GraphError("graph_folder_not_found", Outcome.NOT_FOUND)
            if status != 200:
                raise GraphError("graph_status", status=status)
            items.extend(i for i in map(_Item.read, body.get("value") or []) if i is not None)
            next_link, delta_link = body.get("@odata.nextLink"), body.get("@odata.deltaLink")
            if isinstance(next_link, str) and next_link:
                url = next_link
                continue
            if not isinstance(delta_link, str) or not delta_link:
                raise GraphError("graph_bad_answer")
            self.http.url(delta_link)  # a link off Graph's origin is refused now, not next time
            self.state["delta_link"] = delta_link
            if full:
                self.folders.clear()
                self.folders[self.root] = None
            return items, full
        raise GraphError("graph_bad_answer")

    async def _listing(self, folder: str) -> list[_Item]:
        """Every file under a folder that came into scope (its subfolders joined to the scope)."""
        found: list[_Item] = []
        queue, pages = [folder], 0
        while queue and pages < MAX_PAGES:
            parent = queue.pop()
            link: str | None = (
                f"/drives/{quote(self.drive)}/items/{quote(parent)}/children?$select={ITEM_FIELDS}"
            )
            while link and pages < MAX_PAGES:
                pages += 1
                status, body = await self.http.get_json(link)
                if status != 200:
                    raise GraphError("graph_status", status=status)
                for item in map(_Item.read, body.get("value") or []):
                    if item is None or item.deleted:
                        continue
                    if item.is_folder and item.id not in self.folders:
                        self.folders[item.id] = parent
                        queue.append(item.id)
                    elif item.is_file:
                        found.append(replace(item, parent=parent))
                next_link = body.get("@odata.nextLink")
                link = next_link if isinstance(next_link, str) and next_link else None
        return found

    def _place_folders(self, folders: list[_Item]) -> None:
        """Folders in scope after this feed: those whose parent is in scope, to a fixed point (a feed
        may list a child before its parent), then every folder whose chain no longer reaches the root
        removed."""
        if any(f.id == self.root and f.deleted for f in folders):
            raise GraphError("graph_folder_gone", Outcome.NOT_FOUND)
        for _round in range(len(folders) + 1):
            changed = False
            for folder in folders:
                if folder.id == self.root:
                    continue
                inside = not folder.deleted and folder.parent in self.folders
                if inside and self.folders.get(folder.id, "") != folder.parent:
                    self.folders[folder.id] = folder.parent
                    changed = True
                elif not inside and folder.id in self.folders:
                    del self.folders[folder.id]
                    changed = True
            if not changed:
                break
        reaches: dict[str, bool] = {self.root: True}

        def reaches_root(fid: str | None, depth: int = 0) -> bool:
            if fid is None or fid not in self.folders or depth > 1000:
                return False
            if fid not in reaches:
                reaches[fid] = reaches_root(self.folders[fid], depth + 1)
            return reaches[fid]

        for fid in list(self.folders):
            if not reaches_root(fid):
                del self.folders[fid]

    async def _file(self, item: _Item) -> AsyncIterator[Change]:
        if item.parent not in self.folders:  # outside the chosen folder (or moved out of it)
            if self.files.pop(item.id, None) is not None:
                yield Gone(item.id)
            return
        known = self.files.get(item.id)
        if known and known.get("tag") == item.tag and known.get("name") == item.name and item.tag:
            known["parent"] = item.parent
            yield Unchanged(item.id)
            return
        suffix = PurePosixPath(item.name).suffix.lower()
        if suffix not in READABLE:
            yield FetchFailed(item.id, _reason("graph_unreadable_type", name=item.name, suffix=suffix or "–"))
            return
        if item.size > self.max_bytes:
            yield FetchFailed(item.id, _reason("graph_too_large", limit_mb=self.max_bytes // 2**20))
            return
        try:
            download = await self.http.download(self.drive, item.id)
        except DownloadFailed as failed:
            self.pending.append(item.id)
            yield FetchFailed(item.id, _reason(failed.key, **failed.values))
            return
        self.files[item.id] = {"tag": item.tag, "name": item.name, "parent": item.parent}
        yield FetchedDocument(
            key=item.id,
            name=item.name,
            title=item.name,
            url=_clickable(item.web_url, self.link_hosts),
            modified=_when(item.modified),
            content=download.content,
            content_type=READABLE[suffix],
        )

    async def _again(self, key: str) -> AsyncIterator[Change]:
        """A file whose download failed last time, read again by id."""
        status, body = await self.http.get_json(
            f"/drives/{quote(self.drive)}/items/{quote(key)}?$select={ITEM_FIELDS}"
        )
        if status == 404:
            if self.files.pop(key, None) is not None:
                yield Gone(key)
            return
        item = _Item.read(body) if status == 200 else None
        if item is None or not item.is_file:
            if status != 200:
                self.pending.append(key)
                yield FetchFailed(key, _reason("graph_download_status", status=status))
            return
        async for change in self._file(item):
            yield change


def sharepoint_connector(url: str, settings: Settings, verify: bool | str = True) -> GraphConnector:
    """A connector for a SharePoint library or folder address (``GraphError`` with the reason if refused)."""
    return _connector("sharepoint", parse_sharepoint_url(url, settings.sharepoint_hosts), settings, verify)


def channel_connector(
    team_id: str, channel_id: str, settings: Settings, verify: bool | str = True
) -> GraphConnector:
    """A connector for a Teams channel's Files folder (``team_id``: the team's Entra group id)."""
    return _connector("channel", channel_folder(team_id, channel_id), settings, verify)


def _connector(
    kind: str, target: SharePointFolder | ChannelFolder, settings: Settings, verify: bool | str
) -> GraphConnector:
    return GraphConnector(
        kind,
        target,
        graph_tokens(settings, verify),
        settings.graph_url,
        HostList.from_setting(settings.download_hosts),
        settings.max_upload_bytes,
        link_hosts=HostList.from_setting(settings.sharepoint_hosts),
    )
