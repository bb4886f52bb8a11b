"""Turning "the answer so far" into append-only deltas for Server-Sent Events.

The answering service reports the whole sanitised answer at every chunk (Teams replaces its message,
so it can); an OpenAI client appends what it receives and can never take back. So only a stable
prefix is sent: up to the last whitespace, and never into an unfinished ``[``, ``(``, ``<``, a
trailing ``[label]`` or ``!`` (a link, a citation marker, an image or a tag that sanitising may still
shorten). If the final answer does not
continue what was sent (the answer was withheld, say), the rest is sent as a new paragraph and the
stream says ``replaced``.
"""

from __future__ import annotations

_OPENERS = {"[": "]", "(": ")", "<": ">"}


def stable_prefix(text: str) -> str:
    cut = max(text.rfind(" "), text.rfind("\n"), text.rfind("\t"))
    if cut < 0:
        return ""
    head = text[:cut]
    while True:
        before = head
        for opener, closer in _OPENERS.items():
            at = head.rfind(opener)
            if at >= 0 and head.find(closer, at) < 0:
                head = head[:at]
        if head.endswith("]"):  # "[label]" may still become a link, whose label alone is kept
            head = head[: max(head.rfind("["), 0)]
        if head.endswith("!"):  # "!" may still become an image, whose alt text alone is kept
            head = head[:-1]
        if head == before:
            return head


class DeltaStream:
    def __init__(self) -> None:
        self.sent = ""
        self.replaced = False

    def update(self, so_far: str) -> str:
        """The new piece to send for ``so_far`` (may be empty)."""
        head = stable_prefix(so_far)
        if len(head) <= len(self.sent) or not head.startswith(self.sent):
            return ""
        piece, self.sent = head[len(self.sent) :], head
        return piece

    def finish(self, final: str) -> str:
        """What is left to send so that the client holds ``final``."""
        if final.startswith(self.sent):
            piece = final[len(self.sent) :]
        else:
            self.replaced = True
            piece = "\n\n" + final
        self.sent += piece
        return piece
