"""What a connected source yields on a sync: documents that are new or changed, and keys that are gone.

A connector (web crawler, Microsoft Graph drive) reads its saved ``state`` (JSON-able: ETags per URL,
a Graph delta link), yields changes, and leaves the new state in ``state`` for the caller to store only
after every change has been applied (so a crash resumes from the old state, never skips changes).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class FetchedDocument:
    """A document that is new or changed since the last sync."""

    key: str  # stable identity: the canonical URL, or the Graph driveItem id
    name: str  # file name, as a source name (e.g. "sygefravaer.html", "vejledning.pdf")
    title: str  # human title (page <title>, file name)
    url: str  # where a person opens it (clickable in citations)
    modified: datetime | None  # the document's own last-modified time
    content: bytes
    content_type: str  # e.g. "text/html", "application/pdf"


@dataclass(frozen=True)
class Gone:
    """A document removed at the source (404/410, deleted item): remove it from the specialist."""

    key: str


@dataclass(frozen=True)
class Unchanged:
    """A document seen again and unchanged (a 304, or the same content hash): keep it, count it."""

    key: str


@dataclass(frozen=True)
class FetchFailed:
    """A document that could not be fetched this time (kept as it was; reported with a reason)."""

    key: str
    reason: str


Change = FetchedDocument | Gone | Unchanged | FetchFailed


class Connector(Protocol):
    """One connected place (a site, a drive folder); ``state`` is read and updated in place."""

    kind: str

    def changes(self, state: dict[str, Any]) -> AsyncIterator[Change]: ...
