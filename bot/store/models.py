"""SQLModel tables. The types are the schema; migrations in ``migrations/versions`` follow them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class Conversation(SQLModel, table=True):
    """A Teams conversation: a personal chat, a group chat, or one channel thread.

    The id is Teams' conversation id; for a channel thread it includes ``;messageid=<root>``, so
    every thread is its own conversation and memory never crosses threads.
    """

    __tablename__ = "conversations"

    id: str = Field(primary_key=True, max_length=512)
    channel_id: str = Field(default="msteams", max_length=64)
    conversation_type: str = Field(default="personal", max_length=32)
    tenant_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class Message(SQLModel, table=True):
    """One question and the bot's answer: who asked, when, which specialist, which model."""

    __tablename__ = "messages"

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: str = Field(foreign_key="conversations.id", index=True, max_length=512)
    user_id: str = Field(index=True, max_length=256)
    user_name: str | None = Field(default=None, max_length=256)
    activity_id: str | None = Field(default=None, max_length=256)
    specialist: str = Field(default="assistent", max_length=128)
    question: str = Field(sa_column=Column(Text, nullable=False))
    answer: str = Field(sa_column=Column(Text, nullable=False))
    model: str | None = Field(default=None, max_length=128)
    outcome: str = Field(default="answered", max_length=32)
    citations: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))  # JSON
    reply_activity_id: str | None = Field(default=None, index=True, max_length=256)  # Teams' id of our answer
    route: str = Field(
        default="{}", sa_column=Column(Text, nullable=False, default="{}")
    )  # model decision, JSON
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), index=True, nullable=False)
    )


class Specialist(SQLModel, table=True):
    """A chatbot grounded in its own sources. ``assistent`` is the general assistant (no sources)."""

    __tablename__ = "specialists"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(unique=True, index=True, max_length=64)
    name: str = Field(max_length=200)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # prompt starters its Builder wrote (/startere, skill files): one question a line, at most six
    starters: str = Field(default="", sa_column=Column(Text, nullable=False, default="", server_default=""))
    department: str | None = Field(default=None, max_length=200)
    owner: str | None = Field(default=None, max_length=256)
    kind: str = Field(default="sources", max_length=16)  # "sources" or "general"
    model_id: str | None = Field(default=None, max_length=128)
    temperature: float = 0.2
    top_k: int = 5
    chunk_size: int = 800
    chunk_overlap: int = 120
    status: str = Field(default="draft", max_length=16)  # "draft" or "published"
    content_version: int = 0  # bumped whenever its chunks change; indexes carry the version they hold
    department_id: int | None = Field(default=None, foreign_key="departments.id", ondelete="SET NULL")
    sharing: str = Field(default="personal", max_length=16)  # personal, team, department, organisation
    shared_with: str | None = Field(default=None, max_length=512)  # the team/chat for "team" sharing
    classification: str = Field(default="personfølsom", max_length=16)  # until screened: the strictest
    # screened as seeing no personal data: a source with CPR numbers is refused, or ("redact") stored
    # with the numbers removed, by the Builder's explicit choice (/indstil cpr_i_kilder skjul)
    source_cpr: str = Field(default="refuse", max_length=16)
    approved_by: str | None = Field(default=None, max_length=256)
    # who answers when an employee asks for a person (JSON: named people and/or one Teams channel)
    experts: str = Field(default="", sa_column=Column(Text, nullable=False, default="", server_default=""))
    approved_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class PromptVersion(SQLModel, table=True):
    """Every prompt change is a new row; the highest version is the one in use."""

    __tablename__ = "prompt_versions"
    __table_args__ = (UniqueConstraint("specialist_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    specialist_id: int = Field(foreign_key="specialists.id", index=True, ondelete="CASCADE")
    version: int
    text: str = Field(sa_column=Column(Text, nullable=False))
    author: str = Field(max_length=256)
    note: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class Source(SQLModel, table=True):
    """A file a Builder gave a specialist. Same name again replaces it."""

    __tablename__ = "sources"
    __table_args__ = (UniqueConstraint("specialist_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    specialist_id: int = Field(foreign_key="specialists.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=255)
    kind: str = Field(max_length=16)  # pdf, docx, html, markdown, text
    title: str | None = Field(default=None, max_length=500)
    size_bytes: int
    sha256: str = Field(max_length=64)
    pages: int | None = None
    chunk_count: int = 0
    embedding_model: str = Field(default="", max_length=500)
    warnings: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    added_by: str = Field(max_length=256)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    # a document of a connected place (``connections``): its identity there, where a person opens it,
    # its own last-modified time and the hash of the bytes fetched (the stored bytes may be redacted)
    connection_id: int | None = Field(
        default=None, foreign_key="connections.id", index=True, ondelete="SET NULL"
    )
    doc_key: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    url: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    modified: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    fetched_sha256: str | None = Field(default=None, max_length=64)


class Connection(SQLModel, table=True):
    """A place a specialist's documents live (a site, a SharePoint library, a channel's files), synced
    on a schedule. ``state`` is the connector's JSON (ETags per URL, a delta link), stored only after
    a sync's changes are applied; ``report`` the last sync's counts and per-document refusals."""

    __tablename__ = "connections"
    __table_args__ = (
        UniqueConstraint("specialist_id", "name"),
        Index("ix_connections_next_sync", "next_sync_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    specialist_id: int = Field(foreign_key="specialists.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=16)  # web, sharepoint, channel
    name: str = Field(max_length=64)
    target: str = Field(sa_column=Column(Text, nullable=False))  # start URL, library URL, channel id
    options: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))  # JSON
    every_s: int = 86_400
    state: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))  # JSON
    report: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))  # JSON
    last_sync_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    next_sync_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    last_error: str | None = Field(default=None, max_length=500)
    failures: int = 0  # consecutive failed syncs
    syncing_until: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    syncing_by: str | None = Field(default=None, max_length=128)
    created_by: str = Field(max_length=256)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class SourceFile(SQLModel, table=True):
    """The original bytes of a source, so ``/genindekser`` can re-read it with new settings."""

    __tablename__ = "source_files"

    source_id: int = Field(foreign_key="sources.id", primary_key=True, ondelete="CASCADE")
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class Chunk(SQLModel, table=True):
    """A passage of a source with its embedding: the source of truth the indexes are built from."""

    __tablename__ = "chunks"

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="sources.id", index=True, ondelete="CASCADE")
    specialist_id: int = Field(foreign_key="specialists.id", index=True, ondelete="CASCADE")
    ordinal: int
    text: str = Field(sa_column=Column(Text, nullable=False))
    page: int | None = None
    heading: str | None = Field(default=None, max_length=500)
    embedding: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # float32, normalised


class Selection(SQLModel, table=True):
    """Which specialist answers in a conversation, a channel thread, or (``scope=channel``) a channel."""

    __tablename__ = "selections"

    conversation_id: str = Field(primary_key=True, max_length=512)
    specialist_id: int = Field(foreign_key="specialists.id", ondelete="CASCADE")
    set_by: str = Field(max_length=256)
    set_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class ChannelSetting(SQLModel, table=True):
    """How the bot behaves in one Teams channel (``/kanal``): answer only when @mentioned (the default)
    or every new post (a question channel). The channel's default specialist is its ``Selection``."""

    __tablename__ = "channel_settings"

    channel_id: str = Field(primary_key=True, max_length=512)  # the channel, without ``;messageid=``
    answer_all: bool = False
    set_by: str = Field(max_length=256)
    set_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class EditSelection(SQLModel, table=True):
    """The specialist a Builder is editing (``/rediger``): uploads and ``/prompt`` go there."""

    __tablename__ = "edit_selections"

    user_id: str = Field(primary_key=True, max_length=256)
    specialist_id: int = Field(foreign_key="specialists.id", ondelete="CASCADE")


class Feedback(SQLModel, table=True):
    """A thumbs up/down (and optional text) on one answer, from Teams' feedback buttons."""

    __tablename__ = "feedback"

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="messages.id", index=True, ondelete="CASCADE")
    user_id: str = Field(max_length=256)
    reaction: str = Field(max_length=16)  # "like" or "dislike"
    text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # the bot's own form: why (wrong, outdated, source_missing, not_asked, other) and whether a person
    # was asked; ``text`` holds the comment
    reason: str | None = Field(default=None, max_length=32)
    asked_person: bool = False
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class Welcome(SQLModel, table=True):
    """Conversations that got the welcome card, so it is shown once, not on every conversationUpdate."""

    __tablename__ = "welcomes"

    conversation_id: str = Field(primary_key=True, max_length=512)
    welcomed_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class Department(SQLModel, table=True):
    """A "magistratsafdeling" (or any unit): data, never hard-coded."""

    __tablename__ = "departments"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(unique=True, index=True, max_length=64)
    name: str = Field(max_length=200)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class RoleAssignment(SQLModel, table=True):
    """A user's role in a department: ``owner`` (faglig systemejer), ``builder`` or ``member``."""

    __tablename__ = "role_assignments"
    __table_args__ = (UniqueConstraint("user_id", "role", "department_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(index=True, max_length=256)
    role: str = Field(max_length=16)
    department_id: int = Field(foreign_key="departments.id", ondelete="CASCADE")
    assigned_by: str = Field(max_length=256)
    assigned_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class Screening(SQLModel, table=True):
    """The risk screening a specialist needs before it is published; it sets the data classification."""

    __tablename__ = "screenings"

    specialist_id: int = Field(foreign_key="specialists.id", primary_key=True, ondelete="CASCADE")
    purpose: str = Field(sa_column=Column(Text, nullable=False))
    data_categories: str = Field(max_length=100)  # comma list: ingen, almindelige, følsomme, cpr
    public_sources: bool = False
    legal_basis: str = Field(sa_column=Column(Text, nullable=False))
    dpia_needed: bool = False
    responsible: str = Field(max_length=256)
    completed_by: str = Field(max_length=256)
    completed_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class AuditEvent(SQLModel, table=True):
    """Append-only record of administrative, Builder and policy events. Never updated or deleted."""

    __tablename__ = "audit_events"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False, index=True)
    )
    actor: str = Field(max_length=256)
    action: str = Field(max_length=64, index=True)
    target: str = Field(default="", max_length=512)
    details: str = Field(
        default="{}", sa_column=Column(Text, nullable=False, default="{}")
    )  # JSON, no message text


class ApiKey(SQLModel, table=True):
    """A case system's key for ``/v1`` and ``/mcp``. Only a SHA-256 of the secret is kept (the secret
    is 256 random bits, so a slow hash buys nothing); the key acts as actor ``api:<name>``."""

    __tablename__ = "api_keys"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, index=True, max_length=64)
    key_hash: str = Field(unique=True, index=True, max_length=64)
    prefix: str = Field(max_length=16)  # the first characters of the key, to recognise it in lists
    specialists: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))  # JSON slugs
    max_classification: str = Field(default="intern", max_length=32)
    requests_per_minute: int | None = None  # None: AARHUSAI_API_REQUESTS_PER_MINUTE
    created_by: str = Field(max_length=256)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    expires_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    last_used_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class SpecialistCase(SQLModel, table=True):
    """A test case of a specialist: a question and its assertions (JSON, the case file's shape:
    ``[{"type": "icontains", "value": "688"}]``). Added with ``/test tilføj`` or synced from the
    skill's ``tests.yaml``; exported back to it."""

    __tablename__ = "specialist_cases"

    id: int | None = Field(default=None, primary_key=True)
    specialist_id: int = Field(foreign_key="specialists.id", index=True, ondelete="CASCADE")
    question: str = Field(sa_column=Column(Text, nullable=False))
    asserts: str = Field(sa_column=Column(Text, nullable=False))
    created_by: str = Field(max_length=256)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class CaseRun(SQLModel, table=True):
    """The outcome of running a specialist's cases; ``fingerprint`` names what was tested (cases,
    prompt version, sources, model), so publishing knows whether the last run still holds."""

    __tablename__ = "case_runs"

    id: int | None = Field(default=None, primary_key=True)
    specialist_id: int = Field(foreign_key="specialists.id", index=True, ondelete="CASCADE")
    fingerprint: str = Field(max_length=64)
    model: str = Field(max_length=200)
    passed: int
    total: int
    run_by: str = Field(max_length=256)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class CatalogueRun(SQLModel, table=True):
    """A run of the shared benchmark on the catalogue's models (``aarhusai eval catalogue``): the
    evidence ``/modeller`` shows Builders. ``summary`` is JSON: per model its clearance, pass rate,
    Danish share, verbosity and latency."""

    __tablename__ = "catalogue_runs"

    id: int | None = Field(default=None, primary_key=True)
    summary: str = Field(sa_column=Column(Text, nullable=False))
    run_by: str = Field(max_length=256)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class ActivityClaim(SQLModel, table=True):
    """An incoming Teams activity claimed by the replica that answers it: the primary key makes the
    claim atomic across replicas on one database, so a redelivered activity is answered once."""

    __tablename__ = "activity_claims"
    __table_args__ = (Index("ix_activity_claims_conversation", "conversation", "claimed_at"),)

    key: str = Field(primary_key=True, max_length=600)  # conversation id | activity id
    conversation: str = Field(default="", max_length=512)  # turns of one conversation run in claim order
    replica: str = Field(max_length=128)
    done: bool = False  # the turn finished; until then a claim older than its lease may be taken over
    claimed_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False, index=True)
    )


class SendLog(SQLModel, table=True):
    """One activity sent to Teams, in a budget's scope (a conversation, or the whole app): the
    sliding windows that Teams enforces are counted here, so all replicas spend one budget."""

    __tablename__ = "send_log"
    __table_args__ = (Index("ix_send_log_scope_sent_at", "scope", "sent_at"),)

    id: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),
    )
    scope: str = Field(max_length=600)
    sent_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class JobRun(SQLModel, table=True):
    """When a periodic job last ran, on any replica: the replica that moves ``ran_at`` runs it."""

    __tablename__ = "job_runs"

    name: str = Field(primary_key=True, max_length=64)
    ran_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    replica: str = Field(max_length=128)


class PersonReach(SQLModel, table=True):
    """Where a person can be messaged without writing first: their personal chat with the bot, as their
    last message there named it. One row per id they go by (Entra object id, Teams' id, UPN), so a
    recipient found by any of them is reached."""

    __tablename__ = "person_reach"

    person: str = Field(primary_key=True, max_length=256)
    conversation_id: str = Field(max_length=512)
    service_url: str = Field(max_length=512)  # only one the reply hosts allowed when it was stored
    tenant_id: str | None = Field(default=None, max_length=64)
    bot_id: str | None = Field(default=None, max_length=256)  # the bot's id in that chat (the sender)
    locale: str = Field(default="da", max_length=8)
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class Notification(SQLModel, table=True):
    """The outbox: a message to one person, written in the same transaction as the change that causes
    it and sent by one replica when the person can be reached. Kept after it is sent or given up on.
    ``key`` and ``values`` (JSON) are rendered in the recipient's language when it is sent; ``text`` is
    literal Markdown for a message that is not in the catalogue."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_due", "sent_at", "failed_at", "claimed_until"),)

    id: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),
    )
    recipient: str = Field(index=True, max_length=256)
    topic: str = Field(default="", max_length=64)  # what it is about, e.g. approval.requested
    subject: str = Field(default="", max_length=512)  # the thing it names, e.g. a specialist's slug
    key: str = Field(default="", max_length=64)
    values: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))  # JSON
    text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    buttons: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))  # JSON
    card: str = Field(default="", sa_column=Column(Text, nullable=False, default="", server_default=""))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    attempts: int = 0
    claimed_until: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    claimed_by: str | None = Field(default=None, max_length=128)
    sent_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    failed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))  # gave up
    last_error: str | None = Field(default=None, max_length=500)


class Handoff(SQLModel, table=True):
    """An employee asked for a person about one answer: what the experts were shown, where the asker is
    answered, and (once) who answered what. Durable, so an answer days later still finds its way."""

    __tablename__ = "handoffs"

    id: int | None = Field(default=None, primary_key=True)
    specialist_id: int = Field(foreign_key="specialists.id", index=True, ondelete="CASCADE")
    message_id: int | None = Field(default=None, foreign_key="messages.id", ondelete="SET NULL")
    asker_id: str = Field(max_length=256)
    asker_name: str | None = Field(default=None, max_length=256)
    conversation_id: str = Field(max_length=512)  # where the asker is answered
    locale: str = Field(default="da", max_length=8)
    question: str = Field(sa_column=Column(Text, nullable=False))
    answer: str = Field(sa_column=Column(Text, nullable=False))
    citations: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))  # JSON
    reason: str | None = Field(default=None, max_length=32)
    comment: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    status: str = Field(default="open", max_length=16)  # open, answered
    reply: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    answered_by: str | None = Field(default=None, max_length=256)
    answered_by_name: str | None = Field(default=None, max_length=256)
    answered_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class VerifiedAnswer(SQLModel, table=True):
    """A question and an answer a person vouched for: stored as a source of the specialist (so it is
    screened, embedded and retrieved like any passage), ranked first when it matches, not served after
    its review date."""

    __tablename__ = "verified_answers"
    __table_args__ = (UniqueConstraint("specialist_id", "source_name"),)

    id: int | None = Field(default=None, primary_key=True)
    specialist_id: int = Field(foreign_key="specialists.id", index=True, ondelete="CASCADE")
    source_name: str = Field(max_length=255)
    question: str = Field(sa_column=Column(Text, nullable=False))
    answer: str = Field(sa_column=Column(Text, nullable=False))
    author_id: str = Field(max_length=256)
    author_name: str = Field(max_length=256)
    handoff_id: int | None = Field(default=None, foreign_key="handoffs.id", ondelete="SET NULL")
    verified_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    review_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
