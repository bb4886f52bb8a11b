"""Translation between Bot Framework activities and the core's plain values."""

from __future__ import annotations

import re
from collections.abc import Callable

from microsoft_agents.activity import Activity, ActivityTypes

from bot.conversation.types import ConversationRef, ConversationType, Incoming, Reach, User
from bot.locale import user_locale
from bot.teams.files import DownloadPolicy, incoming_files
from bot.teams.hosts import HostAllowList

_TYPES: dict[str, ConversationType] = {"personal": "personal", "groupChat": "groupChat", "channel": "channel"}
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_THREAD = re.compile(r"^19:[A-Za-z0-9_.\-]{1,200}@thread\.(tacv2|skype)$")


def to_incoming(activity: Activity, default_locale: str, downloads: DownloadPolicy | None = None) -> Incoming:
    """The dispatcher's view of a Teams message (the @mention is already stripped by the SDK)."""
    files, refused = incoming_files(activity, downloads or DownloadPolicy())
    conv = activity.conversation
    sender = activity.from_property
    tenant = next(iter(tenants_of(activity)), None)
    return Incoming(
        text=activity.text or "",
        user=User(
            id=sender.id if sender else "ukendt",
            name=sender.name if sender else None,
            aad_object_id=getattr(sender, "aad_object_id", None) if sender else None,
            upn=_upn(sender),
        ),
        conversation=ConversationRef(
            id=conv.id,
            type=_TYPES.get(conv.conversation_type or "personal", "personal"),
            tenant_id=tenant,
            channel_id=activity.channel_id or "msteams",
            team_group_id=team_group_of(activity),
            teams_channel_id=teams_channel_of(activity),
        ),
        activity_id=activity.id,
        locale=user_locale(activity.locale, default_locale),
        files=files,
        unsupported_files=refused,
        form=_form(activity),
        mentions=mentions_of(activity, tenant),
        place=place_of(activity, default_locale),
        mentioned=activity.is_recipient_mentioned(),
    )


def _channel_data(activity: Activity, field: str) -> dict[str, object]:
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    found = data.get(field)
    return found if isinstance(found, dict) else {}


def team_group_of(activity: Activity) -> str | None:
    """The team's Entra group id (``channelData.team.aadGroupId``) of a channel activity, lowered; only
    a GUID (anything else from the wire is dropped). Microsoft Graph names the team by it."""
    if activity.conversation is None or activity.conversation.conversation_type != "channel":
        return None
    found = _channel_data(activity, "team").get("aadGroupId")
    return found.lower() if isinstance(found, str) and _GUID.match(found) else None


def teams_channel_of(activity: Activity) -> str | None:
    """The Teams channel's thread id of a channel activity: ``channelData.channel.id``, else the
    conversation id without its ``;messageid=…`` tail; only a ``19:…@thread.tacv2`` id."""
    conv = activity.conversation
    if conv is None or conv.conversation_type != "channel":
        return None
    found = _channel_data(activity, "channel").get("id")
    if not isinstance(found, str) or not _THREAD.match(found):
        found = (conv.id or "").split(";messageid=", 1)[0]
    return found if _THREAD.match(found) else None


def place_of(activity: Activity, default_locale: str) -> Reach | None:
    """Where the conversation of an activity can be written to later, whatever its type (a reply to a
    hand-off goes where the question was asked; an expert channel gets new posts). The edge has bound
    the service URL to the activity's token; proactive sends go to the reply hosts only."""
    conv = activity.conversation
    if conv is None or not conv.id or not activity.service_url:
        return None
    return Reach(
        people=(),
        conversation_id=conv.id,
        service_url=activity.service_url,
        tenant_id=next(iter(tenants_of(activity)), None),
        bot_id=activity.recipient.id if activity.recipient else None,
        locale=user_locale(activity.locale, default_locale),
    )


def answer_in_thread(activity: Activity) -> None:
    """A channel post that names no thread gets its answer in its own: Teams names a thread after its
    first post (``<channel>;messageid=<post id>``), and replies sent there land in that thread (also
    the conversation the answer's memory belongs to)."""
    conv = activity.conversation
    if conv is None or conv.conversation_type != "channel" or not conv.id or not activity.id:
        return
    if ";messageid=" not in conv.id:
        conv.id = f"{conv.id};messageid={activity.id}"


def reach_of(activity: Activity, hosts: HostAllowList, default_locale: str) -> Reach | None:
    """Where the sender of a message can be messaged later: only a personal chat (never a group or a
    channel, nor a conversation that does not say it is personal) whose service URL the reply hosts
    allow; the activity has passed the edge's checks (token, serviceUrl bound to it, tenant)."""
    conv, sender = activity.conversation, activity.from_property
    if activity.type != ActivityTypes.message or conv is None or sender is None or not sender.id:
        return None
    if conv.conversation_type != "personal" or not conv.id or not activity.service_url:
        return None
    if not hosts.allows(activity.service_url):
        return None
    people = (getattr(sender, "aad_object_id", None) or sender.id, sender.id, _upn(sender))
    return Reach(
        people=tuple(dict.fromkeys(p for p in people if p)),
        conversation_id=conv.id,
        service_url=activity.service_url,
        tenant_id=next(iter(tenants_of(activity)), None),
        bot_id=activity.recipient.id if activity.recipient else None,
        locale=user_locale(activity.locale, default_locale),
    )


def tenants_of(activity: Activity) -> list[str]:
    """Every tenant the activity names (``conversation.tenantId`` first, then ``channelData.tenant.id``,
    the sender's and the recipient's): the SDK reads some of them for its own purposes, so each counts."""
    found = []
    for holder in (activity.conversation, activity.from_property, activity.recipient):
        tenant = getattr(holder, "tenant_id", None) if holder is not None else None
        if tenant:
            found.append(str(tenant))
    tenant = activity.channel_data.get("tenant") if isinstance(activity.channel_data, dict) else None
    if isinstance(tenant, dict) and tenant.get("id"):
        found.append(str(tenant["id"]))
    return found


def tenant_allowed(activity: Activity, allowed: Callable[[str | None], bool]) -> bool:
    """The tenant rule for every activity type: each tenant it names must be allowed (and with an
    allow-list, an activity naming none is not)."""
    return all(allowed(t) for t in tenants_of(activity) or [None])


def mentions_of(activity: Activity, tenant: str | None = None) -> tuple[tuple[str, str], ...]:
    """The people @mentioned in a message as (name as written in its ``<at>``, id), the id being the
    Entra object id where Teams gives one. Left out: the bot itself (the SDK removes its ``<at>`` from
    the text), a channel or tag mention, and a person of another tenant than the conversation's (a role
    there would be meaningless). An ``<at>`` left without its person is refused where it is read."""
    bot_id = activity.recipient.id if activity.recipient else None
    found: list[tuple[str, str]] = []
    for mention in activity.get_mentions() if activity.entities else []:
        who = mention.mentioned
        extra = (who.model_extra or {}) if who is not None else {}
        if who is None or not who.id or who.id == bot_id or extra.get("conversationIdentityType"):
            continue
        if tenant and who.tenant_id and who.tenant_id != tenant:
            continue
        name = _at_text(mention.text) or who.name or extra.get("displayName") or who.id  # as written
        found.append((" ".join(str(name).split()), _person_id(who.id, who.aad_object_id)))
    return tuple(found)


def _person_id(channel_id: str, aad_object_id: str | None) -> str:
    """The Entra object id: given as ``aadObjectId``, or inside an ``8:orgid:<id>`` mention id; else
    Teams' own id for the person in this bot (``29:...``), which the asker's roles also match."""
    if aad_object_id:
        return aad_object_id
    prefix = "8:orgid:"
    return channel_id[len(prefix) :] if channel_id.startswith(prefix) else channel_id


def _at_text(text: str | None) -> str:
    return (text or "").removeprefix("<at>").removesuffix("</at>").strip()


def _upn(sender: object) -> str | None:
    """Teams may send the userPrincipalName with the sender; it is matched against AARHUSAI_ADMINS."""
    extra = getattr(sender, "model_extra", None) or {}
    upn = getattr(sender, "user_principal_name", None) or extra.get("userPrincipalName")
    return str(upn) if upn else None


def _form(activity: Activity) -> dict[str, object] | None:
    """An Adaptive Card Action.Submit arrives as a message without text whose value holds our data."""
    value = activity.value
    if isinstance(value, dict) and value.get("aarhusai"):
        return dict(value)
    return None
