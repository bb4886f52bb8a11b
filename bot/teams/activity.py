"""Translation between Bot Framework activities and the core's plain values."""

from __future__ import annotations

from collections.abc import Callable

from microsoft_agents.activity import Activity

from bot.conversation.types import ConversationRef, ConversationType, Incoming, User
from bot.locale import user_locale
from bot.teams.files import DownloadPolicy, incoming_files

_TYPES: dict[str, ConversationType] = {"personal": "personal", "groupChat": "groupChat", "channel": "channel"}


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
        ),
        activity_id=activity.id,
        locale=user_locale(activity.locale, default_locale),
        files=files,
        unsupported_files=refused,
        form=_form(activity),
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
