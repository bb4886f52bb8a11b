"""Closing the loop: an employee asks a person about an answer, the specialist's experts answer, the
answer reaches the employee where they asked, and may be kept as a verified answer.

Experts (``fagpersoner``) are named by a specialist's Builder: people (by their Teams/Entra id) and/or
one Teams channel of the specialist's department. A hand-off is a durable row; the experts' card and
the answer to the employee go through the notification outbox (``NotificationService``), so nothing is
lost when an expert answers days later or a replica restarts. A conversation (an expert channel, the
asker's chat) is reached like a person: a ``person_reach`` row keyed ``conversation:<id>``.

Scoping: a channel is told only about its own department's specialists (the department is recorded
when the channel is named and compared when a question is sent); only the named experts, a member of
the expert channel (answering in it) or the specialist's Builders may answer. Question, answer and
comment reach experts with personal data masked unless the specialist is cleared for personal data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select

from bot.conversation.types import Reach
from bot.domain import AppError, AuditAction, Outcome
from bot.governance import access
from bot.governance.content import holds_personal_data
from bot.governance.stats import masked
from bot.llm.output import LinkPolicy, sanitise
from bot.messages import t
from bot.services.actor import Actor
from bot.services.base import Service, Stores, offloop
from bot.services.notifications import Note, NotificationService
from bot.store.models import Handoff, Message, Specialist
from bot.store.outbox import remember

REASONS = ("wrong", "outdated", "source_missing", "not_asked", "other")
CONVERSATION = "conversation:"  # the outbox key of a conversation (not a person)
MAX_REPLY = 4000


def conversation_key(conversation_id: str) -> str:
    return f"{CONVERSATION}{conversation_id}"[:256]


def channel_root(conversation_id: str) -> str:
    """A channel thread's conversation id without its ``;messageid=``: the channel itself (a post to
    it starts a new conversation in the channel)."""
    return conversation_id.split(";", 1)[0]


@dataclass(frozen=True)
class Experts:
    """Who answers for a specialist: people as (name, id), and an expert channel (its id, name and the
    department it was named for)."""

    people: tuple[tuple[str, str], ...] = ()
    channel: str | None = None
    channel_name: str = ""
    channel_department: int | None = None

    @classmethod
    def parse(cls, raw: str) -> Experts:
        try:
            data = json.loads(raw or "{}")
        except ValueError:
            return cls()
        if not isinstance(data, dict):
            return cls()
        people = tuple(
            (str(p.get("name") or p.get("id")), str(p["id"]))
            for p in data.get("people") or []
            if isinstance(p, dict) and p.get("id")
        )
        channel = data.get("channel") if isinstance(data.get("channel"), dict) else {}
        department = channel.get("department_id")
        return cls(
            people,
            str(channel["id"]) if channel.get("id") else None,
            str(channel.get("name") or ""),
            department if isinstance(department, int) else None,
        )

    def dump(self) -> str:
        if not self.people and not self.channel:
            return ""
        data: dict[str, Any] = {"people": [{"name": n, "id": i} for n, i in self.people]}
        if self.channel:
            data["channel"] = {
                "id": self.channel,
                "name": self.channel_name,
                "department_id": self.channel_department,
            }
        return json.dumps(data, ensure_ascii=False)

    @property
    def any(self) -> bool:
        return bool(self.people or self.channel)

    def shown(self, locale: str) -> str:
        names = [n for n, _ in self.people]
        if self.channel:
            names.append(t("experts_channel_named", locale, name=self.channel_name or self.channel))
        return ", ".join(names) or t("experts_none", locale)


@dataclass(frozen=True)
class Asked:
    handoff_id: int
    spec: Specialist
    experts: str  # who was asked, as shown to the asker
    waiting: tuple[str, ...]  # experts who have not written to the bot yet


@dataclass(frozen=True)
class Answered:
    handoff: Handoff
    spec: Specialist
    verified: bool


class HandoffService(Service):
    def __init__(self, stores: Stores, notifications: NotificationService) -> None:
        super().__init__(stores)
        self.notifications = notifications

    # -- the Builder names the experts ---------------------------------------------------------------
    def set_experts(
        self,
        actor: Actor,
        value: str,
        mentions: tuple[tuple[str, str], ...] = (),
        place: Reach | None = None,
        ref: str | None = None,
    ) -> tuple[Specialist, Experts]:
        """``/indstil fagpersoner …``: the @mentioned people and written ids (UPNs, object ids), and
        ``kanal`` for the channel this is written in; ``ingen`` removes them all."""
        spec = self.target(actor, ref)
        words = value.split()
        if any(w.casefold() in ("ingen", "none") for w in words):
            experts = Experts()
        else:
            people = dict((pid, name) for name, pid in mentions)
            mentioned = {name.casefold() for name, _ in mentions}
            channel_wanted = False
            for word in words:
                bare = word.strip(",;")
                if bare.casefold() in ("kanal", "channel"):
                    channel_wanted = True
                elif (
                    bare
                    and not bare.startswith("@")
                    and bare.casefold() not in mentioned
                    and ("@" in bare or _looks_like_id(bare))
                ):
                    people.setdefault(bare.casefold() if "@" in bare else bare, bare)
            channel = None
            if channel_wanted:
                conversation = actor.conversation
                if conversation is None or conversation.type != "channel" or place is None:
                    raise AppError(Outcome.INVALID, "experts_channel_here")
                channel = channel_root(conversation.id)
                remember(
                    self.stores.db,
                    Reach(
                        (conversation_key(channel),),
                        channel,
                        place.service_url,
                        place.tenant_id,
                        place.bot_id,
                        place.locale,
                    ),
                )
            if not people and channel is None:
                raise AppError(Outcome.INVALID, "experts_which")
            experts = Experts(
                tuple((name, pid) for pid, name in people.items()),
                channel,
                t("experts_channel_of", actor.locale, name=spec.name) if channel else "",
                spec.department_id if channel else None,
            )
        spec = self.stores.specialists.update(spec.id, experts=experts.dump())  # type: ignore[arg-type]
        self.audit(actor, AuditAction.SETTING_CHANGED, spec.slug, key="experts", value=experts.dump())
        return spec, experts

    def sync_experts(self, actor: Actor, ref: str, people: list[str]) -> bool:
        """Skill files: the named people (ids or UPNs) replace the people; an expert channel stays.
        Whether anything changed."""
        spec = self.target(actor, ref)
        current = Experts.parse(spec.experts)
        named = tuple((p, p.casefold() if "@" in p else p) for p in (x.strip() for x in people) if p)
        experts = Experts(named, current.channel, current.channel_name, current.channel_department)
        if experts.dump() == spec.experts:
            return False
        self.stores.specialists.update(spec.id, experts=experts.dump())  # type: ignore[arg-type]
        self.audit(actor, AuditAction.SETTING_CHANGED, spec.slug, key="experts", value=experts.dump())
        return True

    # -- the employee asks -----------------------------------------------------------------------------
    def ask(
        self,
        actor: Actor,
        place: Reach | None,
        comment: str = "",
        reason: str | None = None,
        reply_to_id: str | None = None,
    ) -> Asked:
        """Send the latest answer in the actor's conversation (or the one Teams names) to the
        specialist's experts, with the reason and comment; the answer comes back to this conversation."""
        conversation_id = actor.conversation_id
        message = self._answer_here(conversation_id, reply_to_id)
        if message is None:
            raise AppError(Outcome.PRECONDITION, "handoff_no_answer")
        spec = self.stores.specialists.require(message.specialist)
        experts = Experts.parse(spec.experts)
        channel = experts.channel if experts.channel_department == spec.department_id else None
        if not experts.people and channel is None:
            raise AppError(Outcome.PRECONDITION, "handoff_no_experts", name=spec.name)
        if place is None:  # a door that cannot be written back to (the CLI): nowhere to answer
            raise AppError(Outcome.PRECONDITION, "handoff_no_place")
        reason = reason if reason in REASONS else None
        comment = " ".join(comment.split())[:1000]
        with self.stores.db.transaction():
            with self.stores.db.session() as s:
                row = Handoff(
                    specialist_id=spec.id,  # type: ignore[arg-type]
                    message_id=message.id,
                    asker_id=actor.id,
                    asker_name=actor.name,
                    conversation_id=conversation_id,
                    locale=actor.locale,
                    question=message.question,
                    answer=message.answer,
                    citations=message.citations,
                    reason=reason,
                    comment=comment,
                )
                s.add(row)
                s.commit()
                s.refresh(row)
            remember(
                self.stores.db,
                Reach(
                    (conversation_key(conversation_id),),
                    conversation_id,
                    place.service_url,
                    place.tenant_id,
                    place.bot_id,
                    actor.locale,
                ),
            )
            recipients = [pid for _, pid in experts.people] + ([conversation_key(channel)] if channel else [])
            locales = self.notifications.outbox.locales(recipients)
            waiting: list[str] = []
            for recipient in recipients:
                locale = locales.get(recipient, self.settings.locale)
                note = Note(
                    "handoff_notify",
                    {"name": spec.name},
                    card=self._expert_card(row, spec, locale),
                    topic="handoff.asked",
                    subject=str(row.id),
                )
                waiting += self.notifications.notify([recipient], note).waiting
            self.audit(
                actor,
                AuditAction.HANDOFF_ASKED,
                spec.slug,
                handoff=row.id,
                reason=reason,
                experts=len(experts.people),
                channel=channel is not None,
            )
        names = tuple(n for n, pid in experts.people if pid in waiting)
        shown = Experts(experts.people, channel, experts.channel_name).shown(actor.locale)
        return Asked(row.id, spec, shown, names)  # type: ignore[arg-type]

    def _answer_here(self, conversation_id: str, reply_to_id: str | None) -> Message | None:
        with self.stores.db.session() as s:
            query = select(Message).where(
                Message.conversation_id == conversation_id,
                col(Message.outcome).in_(("answered", "sources_only", "no_answer")),
            )
            if reply_to_id:
                query = query.where(Message.reply_activity_id == reply_to_id)
            return s.exec(query.order_by(col(Message.id).desc())).first()

    def _expert_card(self, row: Handoff, spec: Specialist, locale: str) -> dict[str, Any]:
        """The expert's card: what was asked and answered (masked unless the specialist is cleared for
        personal data), the sources, why the employee was not helped; a text field and a checkbox."""
        cleared = holds_personal_data(spec.classification)
        show = (lambda text: text) if cleared else masked
        policy = LinkPolicy(self.settings.link_hosts)
        try:
            cited = [c.get("source", "") for c in json.loads(row.citations or "[]") if isinstance(c, dict)]
        except ValueError:
            cited = []
        sources = ", ".join(dict.fromkeys(str(c) for c in cited if c)) or t("handoff_no_sources", locale)
        reason = t(f"feedback_reason_{row.reason}", locale) if row.reason else "–"
        intro = t(
            "handoff_card",
            locale,
            asker=_plain(row.asker_name or row.asker_id),
            name=spec.name,
            question=sanitise(show(row.question), policy, locale),
            answer=sanitise(show(row.answer), policy, locale),
            sources=sanitise(sources, policy, locale),
            reason=reason,
            comment=sanitise(show(row.comment), policy, locale) or "–",
        )
        return {
            "type": "form",
            "intro": intro,
            "title": t("handoff_card_title", locale),
            "fields": [
                {
                    "kind": "text",
                    "id": "svar",
                    "label": t("handoff_reply_label", locale),
                    "multiline": True,
                    "max": MAX_REPLY,
                },
                {
                    "kind": "toggle",
                    "id": "verificer",
                    "label": t("handoff_verify_label", locale),
                    "title": t("handoff_verify_title", locale),
                    "value": "false",
                    "on": "true",
                    "off": "false",
                },
            ],
            "submit": {
                "title": t("handoff_send", locale),
                "data": {"aarhusai": "expert_answer", "handoff": row.id},
            },
        }

    # -- an expert answers -----------------------------------------------------------------------------
    def may_answer(self, actor: Actor, spec: Specialist) -> bool:
        """A named expert, a member of the expert channel writing in it, or one of the specialist's
        Builders (the department's, or an administrator)."""
        experts = Experts.parse(spec.experts)
        ids = {actor.id, *actor.aliases}
        ids |= {i.casefold() for i in ids}
        if any(pid in ids or pid.casefold() in ids for _, pid in experts.people):
            return True
        conversation = actor.conversation
        if (
            experts.channel
            and experts.channel_department == spec.department_id
            and conversation is not None
            and channel_root(conversation.id) == experts.channel
        ):
            return True
        return access.can_edit(self.roles(actor), spec)

    def answer(self, actor: Actor, handoff_id: object, text: str) -> Answered:
        """Record the expert's answer (once) and send it to the asker's conversation with a byline."""
        try:
            number = int(str(handoff_id))
        except ValueError:
            raise AppError(Outcome.NOT_FOUND, "handoff_unknown") from None
        with self.stores.db.session() as s:
            row = s.get(Handoff, number)
        if row is None:
            raise AppError(Outcome.NOT_FOUND, "handoff_unknown")
        spec = self.stores.specialists.by_id(row.specialist_id)
        if not self.may_answer(actor, spec):
            raise AppError(Outcome.FORBIDDEN, "handoff_not_expert", name=spec.name)
        reply = text.strip()[:MAX_REPLY]
        if not reply:
            raise AppError(Outcome.INVALID, "handoff_reply_empty")
        if row.status == "answered":
            raise AppError(Outcome.CONFLICT, "handoff_already", by=row.answered_by_name or row.answered_by)
        now = datetime.now(UTC)
        who = actor.shown
        policy = LinkPolicy(self.settings.link_hosts)
        with self.stores.db.transaction():
            with self.stores.db.statement() as connection:
                done = connection.execute(
                    update(Handoff)
                    .where(col(Handoff.id) == number, col(Handoff.status) == "open")
                    .values(
                        status="answered",
                        reply=reply,
                        answered_by=actor.id,
                        answered_by_name=who,
                        answered_at=now,
                    )
                ).rowcount
            if not done:  # another expert answered a moment ago
                raise AppError(Outcome.CONFLICT, "handoff_already", by="…")
            shown = t(
                "handoff_answer",
                row.locale,
                who=_plain(who),
                name=spec.name,
                question=_plain(row.question)[:200],
                answer=sanitise(reply, policy, row.locale),
                byline=t("handoff_byline", row.locale, who=_plain(who), date=now.date().isoformat()),
            )
            self.notifications.notify(
                [conversation_key(row.conversation_id)],
                Note(text=shown, topic="handoff.answered", subject=str(row.id)),
            )
            self.audit(actor, AuditAction.HANDOFF_ANSWERED, spec.slug, handoff=row.id)
        row.status, row.reply, row.answered_by, row.answered_by_name, row.answered_at = (
            "answered",
            reply,
            actor.id,
            who,
            now,
        )
        return Answered(row, spec, False)

    aset_experts = offloop(set_experts)
    aask = offloop(ask)
    aanswer = offloop(answer)


def _plain(value: str) -> str:
    return " ".join(value.translate(str.maketrans("", "", "[]<>*_`\\|!#")).split())[:200]


def _looks_like_id(word: str) -> bool:
    """An Entra object id (a GUID) or Teams' own id for a person (``29:…``)."""
    bare = word.replace("-", "")
    return word.startswith("29:") or (len(bare) == 32 and all(c in "0123456789abcdefABCDEF" for c in bare))
