"""Delivery across replicas: an incoming Teams activity is answered by exactly one replica.

Teams redelivers an activity it got no timely answer for, and behind a load balancer the redelivery
can reach another replica; each replica's in-memory memory of recent ids cannot see that. The first
replica to claim the activity in the shared database answers it; every other claim is refused.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.conversation.types import Reach
from bot.replica import replica_id
from bot.services.base import Service, Stores
from bot.services.notifications import NotificationService
from bot.services.turn_threads import on_turn_thread
from bot.store.claims import ClaimStore
from bot.store.sendlog import SendLogStore, Windows


class DeliveryService(Service):
    """Awaitable: each method is one database round trip, run off the event loop here (the doors
    call it from the loop and never hop themselves)."""

    def __init__(self, stores: Stores, notifications: NotificationService | None = None) -> None:
        super().__init__(stores)
        self.claims = ClaimStore(stores.db)
        self.sends = SendLogStore(stores.db)
        self.notifications = notifications or NotificationService(stores)

    async def begin(
        self, conversation_id: str, activity_id: str, reach: Reach | None = None
    ) -> tuple[bool, int]:
        """Whether this replica answers the activity (the first claim, or a takeover of a claim
        whose replica died mid-turn, its lease run out) and, if so, how many earlier turns of the
        conversation still run on any replica: one round trip on PostgreSQL. ``reach``: the sender's
        personal chat, remembered in that same round trip when it is new or moved (notifications)."""
        remember = self.notifications.to_remember(reach)
        result = await on_turn_thread(
            self.claims.claim_in_order,
            self._key(conversation_id, activity_id),
            replica_id(),
            self.settings.claim_lease_s,
            conversation_id,
            remember,
        )
        if remember is not None:
            self.notifications.remembered(remember)
        return result

    async def earlier_turns(self, conversation_id: str, activity_id: str) -> int:
        """Turns of this conversation claimed before this one and still running, on any replica."""
        key = self._key(conversation_id, activity_id)
        return await on_turn_thread(self.claims.earlier_unfinished, key, self.settings.claim_lease_s)

    async def reserve_send(self, budgets: Sequence[tuple[str, Windows]]) -> float:
        """One send from each budget (all replicas share them): 0.0 when taken, else seconds to wait."""
        return await on_turn_thread(self.sends.reserve, budgets)

    async def finish(self, conversation_id: str, activity_id: str) -> None:
        """The turn is answered: the claim can no longer be taken over."""
        await on_turn_thread(self.claims.finish, self._key(conversation_id, activity_id))

    @staticmethod
    def _key(conversation_id: str, activity_id: str) -> str:
        return f"{conversation_id}|{activity_id}"
