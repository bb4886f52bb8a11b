"""Which drive folder a connection reads: a SharePoint URL as a Builder copies it from the browser, or
a Teams channel's Files folder; parsed strictly here, resolved to a drive and item id through Graph.

Accepted SharePoint addresses (``https``, on ``AARHUSAI_SHAREPOINT_HOSTS``)::

    https://contoso.sharepoint.com/sites/HR/Delte%20dokumenter                 a library
    https://contoso.sharepoint.com/sites/HR/Delte%20dokumenter/Politikker      a folder in it
    https://contoso.sharepoint.com/sites/HR/Delte%20dokumenter/Forms/AllItems.aspx?id=%2Fsites%2FHR%2F...
    https://contoso.sharepoint.com/:f:/r/sites/HR/Delte%20dokumenter/Politikker?csf=1&web=1
    https://contoso.sharepoint.com/teams/Jobcenter/Shared%20Documents          (/teams/ sites too)
    https://contoso.sharepoint.com/Shared%20Documents                          (the root site)

A sharing link (``/:f:/s/…``) names no path and is refused with the reason. Resolution:
``/sites/{host}:/sites/HR`` → ``/sites/{id}/drives`` (the library whose ``webUrl`` is the longest prefix
of the address) → ``/drives/{id}/root:/{folder}``; a channel:
``/teams/{team}/channels/{channel}/filesFolder``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote

from ada_url import URL

from bot.connections.graph_auth import GraphError
from bot.connections.graph_http import GraphHttp, host_matches, quote
from bot.domain import Outcome

_SITE_KINDS = ("sites", "teams")
_LINK_PREFIX = re.compile(r"^/:[a-z]:/([a-z])(/|$)", re.IGNORECASE)  # /:f:/r/ (a path) or /:f:/s/ (a token)
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
_CHANNEL = re.compile(r"^19:[A-Za-z0-9_.\-]{1,200}@thread\.(tacv2|skype)$")
MAX_URL_CHARS = 2000


def _invalid(key: str, **values: object) -> GraphError:
    return GraphError(key, Outcome.INVALID, **values)


@dataclass(frozen=True)
class SharePointFolder:
    """A library (``folder`` empty) or a folder in one, by site and decoded path segments."""

    host: str
    site_path: str  # "/sites/HR", or "" for the root site
    path: tuple[str, ...]  # library URL name first, then folders: ("Delte dokumenter", "Politikker")

    @property
    def key(self) -> str:
        """What this connection points at; a state resolved for another target is not reused."""
        return "sharepoint:" + self.host + self.site_path + "/" + "/".join(self.path)


@dataclass(frozen=True)
class ChannelFolder:
    """A Teams channel's Files folder: the team's Entra group id and the channel's thread id."""

    team_id: str
    channel_id: str

    @property
    def key(self) -> str:
        return f"channel:{self.team_id}/{self.channel_id}"


Target = SharePointFolder | ChannelFolder


@dataclass(frozen=True)
class Resolved:
    drive_id: str
    folder_id: str
    web_url: str


def _segments(pathname: str) -> list[str]:
    parts = [unquote(p) for p in pathname.split("/") if p]
    if any(p in (".", "..") or "\x00" in p or "/" in p or "\\" in p for p in parts):
        raise _invalid("graph_url_invalid")
    return parts


def parse_sharepoint_url(url: str, hosts: tuple[str, ...] | list[str]) -> SharePointFolder:
    """The library/folder a browser address names; ``GraphError`` (Danish reason) for anything else."""
    text = (url or "").strip()
    if not text or len(text) > MAX_URL_CHARS:
        raise _invalid("graph_url_invalid")
    try:
        parsed = URL(text)
    except (ValueError, TypeError):
        raise _invalid("graph_url_invalid") from None
    if parsed.protocol != "https:":
        raise _invalid("graph_url_scheme", scheme=parsed.protocol.rstrip(":") or "–")
    if parsed.username or parsed.password or parsed.port:
        raise _invalid("graph_url_invalid")
    host = parsed.hostname.lower()
    if not host_matches(host, [h.lower().strip(".") for h in hosts]):
        raise _invalid("graph_url_host", host=host or "–")
    pathname = parsed.pathname
    if link := _LINK_PREFIX.match(pathname):
        if link.group(1).lower() != "r":
            raise _invalid("graph_url_sharing_link")
        pathname = pathname[link.end() - 1 :]
    parts = _segments(pathname)
    if len(parts) >= 2 and parts[-2].lower() == "forms" and parts[-1].lower().endswith(".aspx"):
        folder = _query_id(parsed.search)
        parts = _segments(folder) if folder else parts[:-2]
    if parts and parts[-1].lower().endswith(".aspx"):  # a page (SitePages/Home.aspx), not a library
        raise _invalid("graph_url_not_library")
    if parts and parts[0].lower() in _SITE_KINDS:
        if len(parts) < 3:
            raise _invalid("graph_url_not_library")
        return SharePointFolder(host, f"/{parts[0].lower()}/{parts[1]}", tuple(parts[2:]))
    if not parts:
        raise _invalid("graph_url_not_library")
    return SharePointFolder(host, "", tuple(parts))


def _query_id(search: str) -> str | None:
    """The ``id`` parameter of a library view (``?id=%2Fsites%2FHR%2FDelte%20dokumenter%2FPolitikker``)."""
    values = parse_qs(search.lstrip("?")).get("id")
    return values[0] if values and values[0].startswith("/") else None


def channel_folder(team_id: str, channel_id: str) -> ChannelFolder:
    """A channel's Files folder. ``team_id`` is the team's Entra group id (``channelData.team.aadGroupId``
    of a channel activity), ``channel_id`` the channel's thread id (``channelData.channel.id``, or the
    conversation id, whose ``;messageid=…`` tail is dropped)."""
    team, channel = (team_id or "").strip(), (channel_id or "").strip().split(";messageid=", 1)[0]
    if not _GUID.match(team) or not _CHANNEL.match(channel):
        raise _invalid("graph_channel_invalid")
    return ChannelFolder(team.lower(), channel)


async def resolve(http: GraphHttp, target: Target) -> Resolved:
    """The drive and folder item the target names, through Graph."""
    if isinstance(target, ChannelFolder):
        status, body = await http.get_json(
            f"/teams/{quote(target.team_id)}/channels/{quote(target.channel_id)}/filesFolder"
        )
        _check(status, "graph_channel_not_found")
        drive = (body.get("parentReference") or {}).get("driveId")
        if not isinstance(drive, str) or not isinstance(body.get("id"), str):
            raise GraphError("graph_bad_answer")
        return Resolved(drive, body["id"], str(body.get("webUrl") or ""))
    site_ref = (
        f"/sites/{target.host}:{quote_path(target.site_path)}"
        if target.site_path
        else f"/sites/{target.host}"
    )
    status, site = await http.get_json(site_ref)
    _check(status, "graph_site_not_found")
    site_id = site.get("id")
    if not isinstance(site_id, str):
        raise GraphError("graph_bad_answer")
    drive, rest = await _library(http, site_id, target)
    if rest:
        status, item = await http.get_json(f"/drives/{quote(drive)}/root:{quote_path('/' + '/'.join(rest))}")
        _check(status, "graph_folder_not_found")
    else:
        status, item = await http.get_json(f"/drives/{quote(drive)}/root")
        _check(status, "graph_folder_not_found")
    if "folder" not in item and "root" not in item:
        raise _invalid("graph_not_a_folder")
    if not isinstance(item.get("id"), str):
        raise GraphError("graph_bad_answer")
    return Resolved(drive, item["id"], str(item.get("webUrl") or ""))


async def _library(http: GraphHttp, site_id: str, target: SharePointFolder) -> tuple[str, tuple[str, ...]]:
    """The library whose address is the longest prefix of the target's path, and the folders after it."""
    best: tuple[int, str] | None = None
    link: str | None = f"/sites/{quote(site_id)}/drives?$select=id,name,webUrl,driveType"
    pages = 0
    while link and pages < 20:
        pages += 1
        status, body = await http.get_json(link)
        _check(status, "graph_site_not_found")
        for drive in body.get("value") or []:
            if not isinstance(drive, dict) or not isinstance(drive.get("id"), str):
                continue
            web = str(drive.get("webUrl") or "")
            try:
                names = _segments(URL(web).pathname) if web else []
            except (ValueError, TypeError, GraphError):
                continue
            site_parts = [p for p in target.site_path.split("/") if p]
            lib = [n.casefold() for n in names[len(site_parts) :]]
            wanted = [p.casefold() for p in target.path]
            if lib and wanted[: len(lib)] == lib and (best is None or len(lib) > best[0]):
                best = (len(lib), drive["id"])
        next_link = body.get("@odata.nextLink")
        link = next_link if isinstance(next_link, str) else None
    if best is None:
        raise _invalid("graph_library_not_found", name=target.path[0] if target.path else "–")
    return best[1], target.path[best[0] :]


def quote_path(path: str) -> str:
    """``/a b/c`` → ``/a%20b/c``: each segment encoded, the slashes kept."""
    return "/".join(quote(p) for p in path.split("/"))


def _check(status: int, not_found: str) -> None:
    if status == 200:
        return
    if status == 404:
        raise GraphError(not_found, Outcome.NOT_FOUND)
    if status in (401, 403):
        raise GraphError("graph_forbidden", Outcome.FORBIDDEN)
    raise GraphError("graph_status", status=status)
