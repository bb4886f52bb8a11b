"""The domain's vocabulary, defined once: kinds, statuses, sharing levels, data classifications,
permissions, audit actions, the slug rule; ``Outcome`` and ``AppError`` are re-exported from
``bot.errors`` (the one error tree) for the many modules that import them from here.

The enums are ``StrEnum`` so they compare equal to the strings stored in the database and written in
YAML; parse them at the boundary (``Classification.parse``) and use the members everywhere else.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

from bot.errors import AppError as AppError
from bot.errors import Outcome as Outcome


class SpecialistKind(StrEnum):
    SOURCES = "sources"
    GENERAL = "general"


class Status(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class Sharing(StrEnum):
    PERSONAL = "personal"
    TEAM = "team"
    DEPARTMENT = "department"
    ORGANISATION = "organisation"

    @property
    def wide(self) -> bool:
        """Department- and organisation-wide sharing needs the department owner's approval."""
        return self in (Sharing.DEPARTMENT, Sharing.ORGANISATION)

    @classmethod
    def parse(cls, raw: str) -> Sharing | None:
        return _SHARING_ALIASES.get(raw.strip().casefold())


_SHARING_ALIASES = {
    "personlig": Sharing.PERSONAL,
    "personal": Sharing.PERSONAL,
    "team": Sharing.TEAM,
    "afdeling": Sharing.DEPARTMENT,
    "department": Sharing.DEPARTMENT,
    "organisation": Sharing.ORGANISATION,
    "organization": Sharing.ORGANISATION,
}


class Classification(StrEnum):
    """Data classification, least to most sensitive; a model is cleared up to one of these."""

    OFFENTLIG = "offentlig"
    INTERN = "intern"
    FORTROLIG = "fortrolig"
    PERSONFOELSOM = "personfølsom"

    @property
    def rank(self) -> int:
        return list(Classification).index(self)

    def allows(self, other: str) -> bool:
        """May something cleared up to ``self`` see data classified ``other``?"""
        return self.rank >= Classification(other).rank

    @property
    def personal_data(self) -> bool:
        """``fortrolig`` and up is where personal data may be processed."""
        return self.rank >= Classification.FORTROLIG.rank

    @classmethod
    def parse(cls, raw: str) -> Classification | None:
        """The Danish value or the English name an English reply shows (``public`` … ``sensitive``)."""
        word = raw.strip().casefold()
        try:
            return cls(_CLASSIFICATION_ALIASES.get(word, word))
        except ValueError:
            return None


_CLASSIFICATION_ALIASES = {
    "public": "offentlig",
    "internal": "intern",
    "confidential": "fortrolig",
    "sensitive": "personfølsom",
    "personfoelsom": "personfølsom",
}


CLASSIFICATIONS: tuple[str, ...] = tuple(c.value for c in Classification)


class Permission(StrEnum):
    """What an operation needs; ``bot.governance.access`` decides who has it."""

    BUILD = "build"  # Builders and owners of any department, administrators
    EDIT = "edit"  # Builders/owners of the specialist's department, administrators
    APPROVE = "approve"  # the owner of the specialist's department, administrators
    STATS = "stats"  # Builders, owners, administrators
    ROLES = "roles"  # administrators; owners for their own department's Builders and members
    ADMIN = "admin"  # administrators


class Role(StrEnum):
    OWNER = "owner"
    BUILDER = "builder"
    MEMBER = "member"

    @classmethod
    def parse(cls, raw: str) -> Role | None:
        return _ROLE_ALIASES.get(raw.strip().casefold())


_ROLE_ALIASES = {
    "ejer": Role.OWNER,
    "owner": Role.OWNER,
    "systemejer": Role.OWNER,
    "faglig-systemejer": Role.OWNER,
    "builder": Role.BUILDER,
    "medlem": Role.MEMBER,
    "member": Role.MEMBER,
}


class AuditAction(StrEnum):
    SPECIALIST_CREATED = "specialist.created"
    SPECIALIST_PUBLISHED = "specialist.published"
    SPECIALIST_UNPUBLISHED = "specialist.unpublished"
    SPECIALIST_APPROVED = "specialist.approved"
    APPROVAL_REQUESTED = "approval.requested"  # a Builder asked the department owner(s) to approve
    SPECIALIST_REINDEXED = "specialist.reindexed"
    EVAL_RUN = "eval.run"
    CATALOGUE_RUN = "eval.catalogue"
    TEST_ADDED = "test.added"
    TEST_REMOVED = "test.removed"
    TEST_SYNCED = "test.synced"
    SCREENING_COMPLETED = "screening.completed"
    SHARING_CHANGED = "sharing.changed"
    CHANNEL_CHANGED = "channel.changed"  # a channel's default specialist or when it answers (/kanal)
    SETTING_CHANGED = "setting.changed"
    PROMPT_CHANGED = "prompt.changed"
    PROMPT_RESTORED = "prompt.restored"
    SOURCE_ADDED = "source.added"
    SOURCE_REMOVED = "source.removed"
    SOURCE_REFUSED = "source.refused"
    SOURCE_PII_FOUND = "source.pii_found"
    CONNECTION_ADDED = "connection.added"
    CONNECTION_REMOVED = "connection.removed"
    CONNECTION_SYNCED = "connection.synced"  # with its counts (and its error, when it failed)
    ROLE_ASSIGNED = "role.assigned"
    ROLE_REMOVED = "role.removed"
    DEPARTMENT_CREATED = "department.created"
    USER_FORGOTTEN = "user.forgotten"
    MODEL_REFUSED = "model.refused"
    MODEL_FALLBACK = "model.fallback"
    PII_BLOCKED = "pii.blocked"
    PII_REDACTED = "pii.redacted"
    PII_WARNED = "pii.warned"
    PII_MASKED_SHARED = "pii.masked_shared"  # a question's personal data kept out of a group chat or channel
    PROMPT_WITHHELD = "answer.withheld"  # the model repeated its instructions; the answer was not shown
    RETENTION_PURGE = "retention.purge"
    APIKEY_CREATED = "apikey.created"
    APIKEY_REVOKED = "apikey.revoked"
    API_CALL = "api.call"  # an answer, search or listing through /v1 or /mcp, with its outcome
    API_REFUSED = "api.refused"  # a key asked for what it may not reach, or too often
    HANDOFF_ASKED = "handoff.asked"  # an employee asked the specialist's experts about an answer
    HANDOFF_ANSWERED = "handoff.answered"
    VERIFIED_SAVED = "verified.saved"  # an answer a person vouched for became a source


class AnswerOutcome(StrEnum):
    """How a question was answered (``Answer.outcome``, stored on the message); doors compare these
    members, never the strings."""

    ANSWERED = "answered"
    SOURCES_ONLY = "sources_only"  # passages shown, no model to write an answer
    NO_ANSWER = "no_answer"  # the sources hold nothing on it
    NO_MODEL = "no_model"
    TOO_LONG = "too_long"
    REFUSED = "refused"  # no model is cleared for the specialist's classification
    PII_BLOCKED = "pii_blocked"
    MODEL_ERROR = "model_error"
    WITHHELD = "withheld"  # the model repeated its instructions; the answer was not shown
    STOPPED = "stopped"  # the reader pressed Stop: kept as far as it got, nothing more sent
    CUT = "cut"  # the door's time for one answer ran out (Teams: 2 minutes a stream): sent as far as it got
    CLIENT_TASK = "client_task"  # a chat client's own task (a title, tags), not a question: never stored


# -- slugs: one rule for specialists and departments ----------------------------------------------
SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"
SLUG_RE = re.compile(SLUG_PATTERN)
GENERAL_SLUG = "assistent"


def slugify(name: str) -> str:
    """``"Sociale Forhold & Beskæftigelse"`` → ``"sociale-forhold-beskaeftigelse"`` (≤ 64 characters)."""
    text = name.strip().lower()
    for a, b in (("æ", "ae"), ("ø", "oe"), ("å", "aa")):
        text = text.replace(a, b)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return text[:64].strip("-")


def channel_of(conversation_id: str) -> str | None:
    """The channel a thread belongs to (``19:x@thread.tacv2;messageid=1`` → ``19:x@thread.tacv2``)."""
    base, sep, _ = conversation_id.partition(";messageid=")
    return base if sep else None


# -- file names: what a source may be called --------------------------------------------------------
FALLBACK_FILENAME = "uden-navn"
MAX_FILENAME = 200
_BAD_FILENAME_CHARS = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')


def safe_filename(name: str) -> tuple[str, bool]:
    """A source name that is safe as a file name on any system, and whether it differs from what was
    sent: the last path part only, no control or reserved characters, no leading/trailing dots or
    spaces (so never ``.`` or ``..``), at most 200 characters with the extension kept."""
    base = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    cleaned = _BAD_FILENAME_CHARS.sub("_", base).rstrip(" .")
    stem, dot, ext = cleaned.rpartition(".")
    if not dot:
        stem, ext = cleaned, ""
    stem, ext = stem.strip(" ."), ext.strip()[:16]
    suffix = f".{ext}" if ext else ""
    if not stem.strip(" ._"):
        stem = FALLBACK_FILENAME
    cleaned = stem[: MAX_FILENAME - len(suffix)].rstrip(" .") + suffix
    return cleaned, cleaned != name


def unique_filename(name: str, taken: set[str]) -> str:
    """``name``, or ``name-2``, ``name-3`` … (before the extension) so nothing in ``taken`` is replaced."""
    lowered = {t.lower() for t in taken}
    if name.lower() not in lowered:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    n = 2
    while True:
        candidate = f"{stem[: MAX_FILENAME - 8]}-{n}" + (f".{ext}" if ext else "")
        if candidate.lower() not in lowered:
            return candidate
        n += 1
