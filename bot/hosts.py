"""One rule for where the bot may send a request on a hostile say-so: the reply's service URL and the
download link of a file (both from an activity), and the pages of a connected site (from a crawled
page). All are hostile until checked.

A URL passes when it is ``https`` to a listed host (a host also allows its subdomains), or when its
origin was listed explicitly as a local one (``http://127.0.0.1:PORT``, for a test connector or the
terminal chat's own file server). Hosts are read as a browser reads them (WHATWG URL parsing with
``ada-url``): backslashes, tabs, percent-encoding, IDNA and odd IPv4 forms are decided the way the
request would really go, not the way ``urllib`` guesses.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ada_url import URL

Refusal = tuple[str, dict[str, object]]  # a message key suffix and its values


def parse(url: str) -> URL | None:
    try:
        return URL(url)
    except (ValueError, TypeError):
        return None


def origin(url: str) -> str:
    """``scheme://host:port`` with the default port written out, or "" for a URL that does not parse."""
    parsed = parse(url)
    if parsed is None:
        return ""
    scheme = parsed.protocol.rstrip(":")
    port = parsed.port or {"http": "80", "https": "443"}.get(scheme, "0")
    return f"{scheme}://{parsed.hostname}:{port}"


def host_matches(host: str, hosts: Iterable[str]) -> bool:
    host = host.lower().rstrip(".")
    return bool(host) and any(host == h or host.endswith("." + h) for h in hosts)


@dataclass
class HostAllowList:
    """Listed hosts (https, subdomains included) and explicitly listed local origins."""

    hosts: tuple[str, ...] = ()
    local_origins: set[str] = field(default_factory=set)

    @classmethod
    def from_setting(cls, entries: Iterable[str]) -> HostAllowList:
        hosts, local = [], set()
        for entry in (e.strip().lower() for e in entries if e.strip()):
            if "://" in entry:
                if found := origin(entry):
                    local.add(found)
            else:
                hosts.append(entry.strip(".").rstrip("/"))
        return cls(tuple(hosts), local)

    def is_local_origin(self, url: str) -> bool:
        return bool(self.local_origins) and origin(url) in self.local_origins

    def refusal(self, url: str) -> Refusal | None:
        """Why ``url`` may not be reached (None: it may)."""
        parsed = parse(url)
        if parsed is None:
            return "invalid", {}
        if parsed.username or parsed.password:
            return "userinfo", {}
        if self.is_local_origin(url):
            return None
        scheme = parsed.protocol.rstrip(":")
        if scheme != "https":
            return "scheme", {"scheme": scheme or "–"}
        if not host_matches(parsed.hostname, self.hosts):
            return "host", {"host": parsed.hostname or "–"}
        return None

    def allows(self, url: str) -> bool:
        return self.refusal(url) is None
