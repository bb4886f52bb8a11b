"""Stored content never outranks its specialist: what a classification may hold, decided here once.

Everything a specialist holds is content: passage text, file names, titles, headings, table headers,
and its own name, slug, description, prompt and test-case questions.
Below ``fortrolig`` (``offentlig``, ``intern``: screened as seeing no personal data) a specialist holds
no CPR numbers; its Builder's ``cpr_i_kilder`` says whether content carrying them is refused or stored
with them removed. Upload, screening changes, publishing, re-embedding, skills sync and export all ask
``policy`` and scan with ``found``/``scrub``, so a new transition cannot decide differently.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

from bot.domain import Classification, slugify
from bot.llm.pii import count, remove_cpr

PiiPolicy = Literal["keep", "refuse_cpr", "redact_cpr"]
FORBIDDEN_BELOW_PERSONAL_DATA = "cpr"  # the kind a classification without personal data may not hold


def holds_personal_data(classification: str) -> bool:
    """May a specialist classified ``classification`` hold personal data (``fortrolig`` and up)?"""
    return Classification(classification).personal_data


def policy(classification: str, source_cpr: str) -> PiiPolicy:
    """What content a specialist classified ``classification`` may hold: anything where personal data
    may be processed; otherwise no CPR numbers, refused (``source_cpr`` ``refuse``) or removed
    (``redact``, the Builder's explicit ``/indstil cpr_i_kilder skjul``)."""
    if holds_personal_data(classification):
        return "keep"
    return "redact_cpr" if source_cpr == "redact" else "refuse_cpr"


def found(texts: Iterable[str | None]) -> dict[str, int]:
    """Personal data in ``texts`` (names, titles, headings, passages), distinct values per kind."""
    return count([t for t in texts if t])


def outranks(policy_: PiiPolicy, kinds: dict[str, int]) -> bool:
    """Content with ``kinds`` may not be held under ``policy_`` as it is."""
    return policy_ != "keep" and bool(kinds.get(FORBIDDEN_BELOW_PERSONAL_DATA))


def scrub(text: str) -> str:
    """``text`` without what a classification below personal data may not hold."""
    return remove_cpr(text)


def scrub_name(name: str) -> str:
    """A file name as it may be shown or stored where CPR numbers may not be (refusals, audit)."""
    return remove_cpr(name)


def outranking(policy_: PiiPolicy, fields: Mapping[str, Iterable[str | None]]) -> dict[str, dict[str, int]]:
    """The specialist's own fields (``name``, ``description``, ``prompt``, ``questions``: each its texts)
    that may not be held under ``policy_``, with what they carry. A Builder types these, so they are
    refused, never silently rewritten, whatever ``cpr_i_kilder`` says."""
    if policy_ == "keep":
        return {}
    out = {}
    for field_name, texts in fields.items():
        kinds = found(texts)
        if outranks(policy_, kinds):
            out[field_name] = kinds
    return out


def slug_for(name: str) -> str:
    """The slug ``name`` gives, built from the name without CPR numbers: a slug is an identifier (a
    ``/v1`` model id, MCP URIs, audit targets) and never carries one, whatever the classification."""
    return slugify(scrub(name))


def slug_holds_cpr(slug: str) -> bool:
    """An explicit slug (a skill file's) that carries a CPR number: refused at every classification."""
    return bool(found([slug, slug.replace("-", " ")]).get(FORBIDDEN_BELOW_PERSONAL_DATA))
