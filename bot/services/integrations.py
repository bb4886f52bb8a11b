"""Case systems and other tools (the ``/v1`` and ``/mcp`` doors): API keys, and what a key may do with
the specialists it names — list them, ask one, search its sources.

A key acts as actor ``api:<name>``: it holds no role, reaches only the published specialists it names
whose classification is at or below its ceiling (checked on every call, so a specialist re-screened
above the ceiling drops out at once), and answers go through the same answering service as Teams.
Every answer, search and refusal is audited under the key's name; a key over its budget is refused
with the seconds to wait.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from bot.conversation.types import Exchange
from bot.domain import SLUG_RE, AnswerOutcome, AppError, AuditAction, Classification, Outcome, Permission
from bot.governance import access
from bot.governance.apikeys import ApiScope, scope_of
from bot.governance.ratelimit import RateLimiter
from bot.llm.output import LinkPolicy, sanitise
from bot.llm.pii import ablank_pii
from bot.llm.router import TextSink
from bot.llm.usage import Usage
from bot.messages import Msg
from bot.rag.retrieval import Hit
from bot.services import client_tasks
from bot.services.about import About, AboutService
from bot.services.actor import Actor
from bot.services.answering import Answer, AnsweringService, Question
from bot.services.base import Service, Stores, offloop
from bot.store.models import ApiKey, Specialist

DEFAULT_EXPIRY_DAYS = 90
MAX_SEARCH_K = 20
_EXPIRY = re.compile(r"^(\d{1,4})d?$")


@dataclass(frozen=True)
class Listed:
    """A specialist as an API client sees it: its texts made safe (they are a Builder's Markdown)."""

    slug: str
    name: str
    description: str
    kind: str
    classification: str
    created_at: datetime


@dataclass(frozen=True)
class ListedSource:
    name: str
    title: str | None
    chunk_count: int


@dataclass(frozen=True)
class CreatedKey:
    key: ApiKey
    secret: str  # shown once
    notes: list[Msg] = field(default_factory=list)  # specialists named but not reachable yet


@dataclass(frozen=True)
class Passage:
    source: str
    text: str
    score: float
    page: int | None = None
    heading: str | None = None


def parse_expiry(raw: str | None) -> int | None:
    """``"90d"``/``"90"`` → 90 days; ``"never"``/``"aldrig"`` → None; nothing → the default."""
    if raw is None or not raw.strip():
        return DEFAULT_EXPIRY_DAYS
    value = raw.strip().casefold()
    if value in ("never", "aldrig"):
        return None
    match = _EXPIRY.match(value)
    if not match or not 1 <= int(match.group(1)) <= 3650:
        raise AppError(Outcome.INVALID, "apikey_bad_expiry", value=raw)
    return int(match.group(1))


class IntegrationsService(Service):
    def __init__(self, stores: Stores, answering: AnsweringService) -> None:
        super().__init__(stores)
        self.answering = answering
        self.limiter = RateLimiter()
        self._limited: set[str] = set()  # keys refused since their last admitted request

    # -- keys (administrators) ---------------------------------------------------------------------
    def create_key(
        self,
        actor: Actor,
        name: str,
        specialists: list[str],
        ceiling: str = Classification.INTERN.value,
        expires: str | None = None,
        per_minute: int | None = None,
    ) -> CreatedKey:
        self.require(actor, Permission.ADMIN)
        name = name.strip()
        if not SLUG_RE.match(name):
            raise AppError(Outcome.INVALID, "apikey_bad_name", name=name)
        level = Classification.parse(ceiling)
        if level is None:
            raise AppError(Outcome.INVALID, "apikey_bad_ceiling", value=ceiling)
        refs = [r.strip() for r in specialists if r.strip()]
        if not refs:
            raise AppError(Outcome.INVALID, "apikey_needs_specialists")
        specs = [self.stores.specialists.require(r) for r in refs]
        days = parse_expiry(expires)
        expires_at = datetime.now(UTC) + timedelta(days=days) if days else None
        key, secret = self.stores.apikeys.create(
            name, [s.slug for s in specs], level, actor.id, expires_at, per_minute
        )
        self.audit(
            actor,
            AuditAction.APIKEY_CREATED,
            name,
            specialists=[s.slug for s in specs],
            max_classification=level.value,
            expires_at=expires_at.isoformat() if expires_at else None,
            requests_per_minute=per_minute,
        )
        scope = scope_of(key)
        notes: list[Msg] = []
        above = [s.slug for s in specs if not level.allows(s.classification)]
        if above:
            notes.append(Msg("apikey_above_ceiling", names=", ".join(above), ceiling=level.value))
        drafts = [s.slug for s in specs if s.slug not in above and not scope.allows(s)]
        if drafts:
            notes.append(Msg("apikey_unpublished", names=", ".join(drafts)))
        return CreatedKey(key, secret, notes)

    def keys(self, actor: Actor) -> list[ApiKey]:
        self.require(actor, Permission.ADMIN)
        return self.stores.apikeys.keys()

    def revoke(self, actor: Actor, name: str) -> bool:
        self.require(actor, Permission.ADMIN)
        changed = self.stores.apikeys.revoke(name.strip())
        if changed:
            self.audit(actor, AuditAction.APIKEY_REVOKED, name.strip())
        return changed

    # -- a request with a key ----------------------------------------------------------------------
    def authenticate(self, authorization: str | None, locale: str = "da") -> Actor:
        """The actor a ``Bearer`` key stands for; ``AppError(UNAUTHENTICATED)`` otherwise."""
        scheme, _, secret = (authorization or "").strip().partition(" ")
        if scheme.casefold() != "bearer" or not secret.strip():
            raise AppError(Outcome.UNAUTHENTICATED, "api_key_missing")
        key = self.stores.apikeys.live(secret.strip())
        if key is None:
            raise AppError(Outcome.UNAUTHENTICATED, "api_key_invalid")
        return Actor.api(scope_of(key), locale)

    def admit(self, actor: Actor, endpoint: str) -> None:
        """Spend one request of the key's budget, or raise ``AppError(RATE_LIMITED)`` with ``seconds``.
        The first refusal of a burst is audited, not every one (a flood must not flood the log)."""
        scope = _scope(actor)
        per_minute = scope.per_minute or self.settings.api_requests_per_minute
        wait = self.limiter.admit(scope.key, per_minute)
        if not wait:
            self._limited.discard(scope.key)
            return
        if scope.key not in self._limited:
            self._limited.add(scope.key)
            self.audit(actor, AuditAction.API_REFUSED, "", endpoint=endpoint, reason="rate_limited")
        raise AppError(Outcome.RATE_LIMITED, "api_rate_limited", name=scope.key, seconds=wait)

    def authorise(self, authorization: str | None, locale: str, endpoint: str) -> Actor:
        """A request's key checked and one request of its budget spent: its actor, or ``AppError`` (401
        or 429)."""
        actor = self.authenticate(authorization, locale)
        self.admit(actor, endpoint)
        return actor

    def specialists(self, actor: Actor) -> list[Listed]:
        """The specialists the key may use now, as a client may be shown them."""
        roles = self.roles(actor)
        return [
            self._listed(actor, s)
            for s in self.stores.specialists.catalogue()
            if access.can_use(roles, s, actor.conversation_id)
        ]

    def listed(self, actor: Actor, ref: str, endpoint: str) -> Listed:
        """``specialist`` as a client may be shown it."""
        return self._listed(actor, self.specialist(actor, ref, endpoint))

    def _shown(self, actor: Actor, text: str | None) -> str:
        """A Builder's text (name, description, a file's title) made safe like any answer."""
        return sanitise(text or "", LinkPolicy(self.settings.link_hosts), actor.locale)

    def _listed(self, actor: Actor, spec: Specialist) -> Listed:
        return Listed(
            slug=spec.slug,
            name=self._shown(actor, spec.name),
            description=self._shown(actor, spec.description),
            kind=spec.kind,
            classification=spec.classification,
            created_at=spec.created_at,
        )

    def specialist(self, actor: Actor, ref: str, endpoint: str) -> Specialist:
        """The specialist with slug ``ref`` if the key may use it. Unknown and not allowed read the
        same (``NOT_FOUND``), so a key cannot learn which other specialists exist."""
        spec = self.stores.specialists.get(ref) if SLUG_RE.match(ref or "") else None
        if spec is None or spec.slug != ref or not access.can_use(self.roles(actor), spec, ""):
            self.audit(
                actor, AuditAction.API_REFUSED, (ref or "")[:64], endpoint=endpoint, reason="not_allowed"
            )
            raise AppError(Outcome.NOT_FOUND, "api_specialist_unknown", ref=(ref or "")[:64])
        return spec

    def about(self, actor: Actor, ref: str, endpoint: str) -> About:
        """The "Om specialisten" facts of a specialist the key may use, its texts made safe."""
        return self._about(actor, self.specialist(actor, ref, endpoint))

    def specialists_about(self, actor: Actor) -> list[tuple[Listed, About]]:
        """``specialists`` with each one's facts (MCP's listing), in one hop."""
        roles = self.roles(actor)
        return [
            (self._listed(actor, s), self._about(actor, s))
            for s in self.stores.specialists.catalogue()
            if access.can_use(roles, s, actor.conversation_id)
        ]

    def _about(self, actor: Actor, spec: Specialist) -> About:
        facts = AboutService(self.stores).facts(spec)
        shown = {
            name: self._shown(actor, getattr(facts, name)) or None
            for name in ("name", "purpose", "owner", "responsible", "department")
            if getattr(facts, name)
        }
        return replace(facts, **shown)

    def sources(self, actor: Actor, ref: str, endpoint: str) -> tuple[Listed, list[ListedSource]]:
        spec = self.specialist(actor, ref, endpoint)
        rows = self.stores.specialists.sources(spec.id)  # type: ignore[arg-type]
        shown = [
            ListedSource(self._shown(actor, r.name), self._shown(actor, r.title) or None, r.chunk_count)
            for r in rows
        ]
        return self._listed(actor, spec), shown

    async def ask(
        self,
        actor: Actor,
        ref: str,
        question: str,
        history: list[Exchange],
        endpoint: str,
        on_text: TextSink | None = None,
    ) -> Answer:
        """One answer through the same path as Teams; the caller's history is used, never stored history.
        A chat client's own task (``client_tasks``) is answered here, without retrieval or a model, and
        is neither audited nor stored as a question."""
        spec = await asyncio.to_thread(self.specialist, actor, ref, endpoint)
        task = client_tasks.recognise(question)
        if task is not None:
            usage: Usage | None = None
            title = ""
            if task.task == client_tasks.ClientTask.TITLE:
                title, usage = await self.answering.title(actor, spec, task.first_question())
            text = client_tasks.reply(task, title or self._shown(actor, spec.name))
            written = usage is not None  # a model wrote the title
            usage = usage or Usage.estimate([question], text)
            return Answer(text, "answer", AnswerOutcome.CLIENT_TASK, usage=usage, generated=written)
        answer = await self.answering.answer(Question(actor, spec, question, history=tuple(history)), on_text)
        await asyncio.to_thread(
            self.audit,
            actor,
            AuditAction.API_CALL,
            spec.slug,
            endpoint=endpoint,
            outcome=answer.outcome,
            model=answer.model,
            message_id=answer.message_id,
        )
        return answer

    def passage(self, actor: Actor, chunk_id: int, endpoint: str) -> tuple[str, Passage]:
        """A stored passage (a citation's link) with its specialist's slug, if the key may use that
        specialist. Unknown and not allowed read the same, and name nothing."""
        found = self.stores.specialists.passage(chunk_id) if 0 < chunk_id < 2**63 else None
        if found is not None:
            chunk, source, spec = found
            if access.can_use(self.roles(actor), spec, ""):
                self.audit(actor, AuditAction.API_CALL, spec.slug, endpoint=endpoint, passage=chunk_id)
                hit = Hit(chunk_id, chunk.text, source, chunk.page, chunk.heading, 1.0)
                policy = LinkPolicy(self.settings.link_hosts)
                return spec.slug, _safe_passages([hit], policy, actor.locale)[0]
        self.audit(actor, AuditAction.API_REFUSED, str(chunk_id), endpoint=endpoint, reason="not_allowed")
        raise AppError(Outcome.NOT_FOUND, "api_passage_unknown", ref=str(chunk_id))

    async def search(self, actor: Actor, ref: str, query: str, k: int, endpoint: str) -> list[Passage]:
        """Passages of one specialist for ``query`` (personal data in the query is not searched for)."""
        spec = await asyncio.to_thread(self.specialist, actor, ref, endpoint)
        if len(query) > self.settings.max_question_chars:
            raise AppError(Outcome.INVALID, "question_too_long", limit=self.settings.max_question_chars)
        k = max(1, min(int(k), MAX_SEARCH_K))
        hits: list[Hit] = []
        if spec.kind != "general":
            hits = await asyncio.to_thread(self.answering.search, spec, await ablank_pii(query), k)
        policy = LinkPolicy(self.settings.link_hosts)
        passages = await asyncio.to_thread(_safe_passages, hits, policy, actor.locale)  # off the loop: CPU
        await asyncio.to_thread(
            self.audit, actor, AuditAction.API_CALL, spec.slug, endpoint=endpoint, passages=len(passages)
        )
        return passages

    # the awaitable faces the doors use: each runs its blocking twin in a worker thread
    aauthorise = offloop(authorise)
    aauthenticate = offloop(authenticate)
    aspecialists = offloop(specialists)
    aabout = offloop(about)
    aspecialists_about = offloop(specialists_about)
    alisted = offloop(listed)
    asources = offloop(sources)
    apassage = offloop(passage)


def _safe_passages(hits: list[Hit], policy: LinkPolicy, locale: str) -> list[Passage]:
    """Search results as a door may show them: name, passage and heading made safe like an answer."""
    return [
        Passage(
            sanitise(h.source, policy, locale),
            sanitise(h.text, policy, locale),
            round(h.score, 4),
            h.page,
            sanitise(h.heading, policy, locale) if h.heading else None,
        )
        for h in hits
    ]


def _scope(actor: Actor) -> ApiScope:
    if actor.scope is None:
        raise AppError(Outcome.UNAUTHENTICATED, "api_key_invalid")
    return actor.scope
