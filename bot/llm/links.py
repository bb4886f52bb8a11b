"""Which link targets shown text may keep, decided the way a browser reads a URL (WHATWG, ``ada-url``).

Python's ``urllib.parse`` reads some URLs differently from browsers (``https://aarhus.dk\\@evil.example``
is ``aarhus.dk`` with a user name to it, ``evil.example`` to a browser's "``\\`` is ``/``"), so a host
check made with it can pass a link that a browser opens elsewhere. Here every target is parsed by the
WHATWG URL standard (tabs and newlines removed, backslashes, percent-decoding, IDNA, IPv4 forms like
``0x7f.1``), relative forms are resolved as a page would resolve them, and the caller shows the
*serialised* URL it checked, so the client has nothing left to read differently.
"""

from __future__ import annotations

from collections.abc import Iterable

from ada_url import URL

# Relative targets ("//evil.example", "/x") resolve against this base, as a page resolves them; its host
# is never allowed, so a target that stays relative is refused.
_BASE = "https://relative.invalid/"
_BASE_HOST = "relative.invalid"


def _parse(url: str) -> URL | None:
    try:
        return URL(url)
    except (ValueError, UnicodeError):
        try:
            return URL(url, _BASE)
        except (ValueError, UnicodeError):
            return None


def _host(name: str) -> str | None:
    """An allowed host as configured, in the form a parsed URL has it (lower case, punycode)."""
    parsed = _parse("https://" + name.strip().strip(".") + "/") if name.strip() else None
    return parsed.hostname.rstrip(".") if parsed is not None and parsed.hostname else None


class LinkPolicy:
    """Links an answer may keep: ``https`` to an allowed host or one of its subdomains, no user name or
    password, or exactly one of ``urls`` (a specialist's own source pages)."""

    def __init__(self, hosts: Iterable[str] = (), urls: Iterable[str] = ()) -> None:
        self.hosts = tuple(h for h in (_host(name) for name in hosts) if h and h != _BASE_HOST)
        known = (_parse(u.strip()) for u in urls if u.strip())
        self.urls = frozenset(p.href for p in known if p is not None)

    def target(self, url: str) -> str | None:
        """The URL a browser opens for ``url`` (serialised), when this policy allows it; else None."""
        parsed = _parse(url)
        if parsed is None or parsed.username or parsed.password:
            return None
        host = (parsed.hostname or "").rstrip(".")
        if not host or host == _BASE_HOST:
            return None
        if parsed.href in self.urls and parsed.protocol in ("https:", "http:"):
            return parsed.href
        if parsed.protocol != "https:":
            return None
        if any(host == h or host.endswith("." + h) for h in self.hosts):
            return parsed.href
        return None

    def allows(self, url: str) -> bool:
        return self.target(url) is not None


def document_url(url: str | None) -> str | None:
    """A document's own address (a cited source's), as a browser reads it, when it is one a browser may
    open (http or https with a host); None for anything else."""
    if not url or len(url) > 2048:
        return None
    try:
        parsed = URL(url)
    except ValueError:
        return None
    return parsed.href if parsed.protocol in ("https:", "http:") and parsed.hostname else None
