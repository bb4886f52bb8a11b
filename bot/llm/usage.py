"""Token usage of one answer, as an OpenAI client accounts for it.

Counted by the model server when it reports ``usage`` (vLLM, llama.cpp and OpenAI do; in a stream
only when asked with ``stream_options.include_usage``); otherwise estimated from characters, and
marked so: an accountant must be able to tell a count from a guess.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

ESTIMATE_CHARS_PER_TOKEN = 3  # Danish on the catalogue's tokenizers: rather too many than too few
MESSAGE_OVERHEAD_TOKENS = 4  # role and separators of one chat message, as OpenAI's own rule of thumb


def estimate_tokens(text: str) -> int:
    return -(-len(text) // ESTIMATE_CHARS_PER_TOKEN) if text else 0


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    counted: bool = False  # True: the model server counted; False: estimated here

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @classmethod
    def estimate(cls, prompt: Iterable[str], completion: str) -> Usage:
        """From the texts of the messages sent and the text written."""
        parts = list(prompt)
        tokens = sum(estimate_tokens(p) + MESSAGE_OVERHEAD_TOKENS for p in parts)
        return cls(tokens, estimate_tokens(completion), counted=False)

    def take(self, reported: object) -> bool:
        """Adopt a server's ``usage`` object (OpenAI's or LangChain's names); False if it is not one."""
        if not isinstance(reported, Mapping):
            return False
        prompt = reported.get("prompt_tokens", reported.get("input_tokens"))
        completion = reported.get("completion_tokens", reported.get("output_tokens"))
        if not _count(prompt) or not _count(completion):
            return False
        self.prompt_tokens, self.completion_tokens, self.counted = int(prompt), int(completion), True  # type: ignore[arg-type]
        return True


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**9
