"""Delivery across replicas: an incoming Teams activity is answered by exactly one replica.

Teams redelivers an activity it got no timely answer for, and behind a load balancer the redelivery
can reach another replica; each replica's in-memory memory of recent ids cannot see that. The first
replica to claim the activity in the shared database answers it; every other claim is refused.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.replica import replica_id
from bot.services.base import Service, Stores
from bot.store.claims import ClaimStore
from bot.store.sendlog import SendLogStore, Windows


class DeliveryService(Service):
    def __init__(self, stores: Stores) -> None:
        super().__init__(stores)
        self.claims = ClaimStore(stores.db)
        self.sends = SendLogStore(stores.db)

    def claim(self, conversation_id: str, activity_id: str) -> bool:
        """True when this replica is the one to answer the activity: the first claim, or a takeover
        of a claim whose replica died mid-turn (its lease ran out)."""
        key = f"{conversation_id}|{activity_id}"
        return self.claims.claim(key, replica_id(), self.settings.claim_lease_s, conversation=conversation_id)

    def earlier_turns(self, conversation_id: str, activity_id: str) -> int:
        """Turns of this conversation claimed before this one and still running, on any replica."""
        return self.claims.earlier_unfinished(f"{conversation_id}|{activity_id}", self.settings.claim_lease_s)

    def reserve_send(self, budgets: Sequence[tuple[str, Windows]]) -> float:
        """One send from each budget (all replicas share them): 0.0 when taken, else seconds to wait."""
        return self.sends.reserve(budgets)

    def finish(self, conversation_id: str, activity_id: str) -> None:
        """The turn is answered: the claim can no longer be taken over."""
        self.claims.finish(f"{conversation_id}|{activity_id}")
