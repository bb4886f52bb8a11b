"""Delivery across replicas: an incoming Teams activity is answered by exactly one replica.

Teams redelivers an activity it got no timely answer for, and behind a load balancer the redelivery
can reach another replica; each replica's in-memory memory of recent ids cannot see that. The first
replica to claim the activity in the shared database answers it; every other claim is refused.
"""

from __future__ import annotations

import os
import socket

from bot.services.base import Service, Stores
from bot.store.claims import ClaimStore

REPLICA = f"{socket.gethostname()}:{os.getpid()}"


class DeliveryService(Service):
    def __init__(self, stores: Stores) -> None:
        super().__init__(stores)
        self.claims = ClaimStore(stores.db)

    def claim(self, conversation_id: str, activity_id: str) -> bool:
        """True when this replica is the one to answer the activity: the first claim, or a takeover
        of a claim whose replica died mid-turn (its lease ran out)."""
        return self.claims.claim(f"{conversation_id}|{activity_id}", REPLICA)

    def finish(self, conversation_id: str, activity_id: str) -> None:
        """The turn is answered: the claim can no longer be taken over."""
        self.claims.finish(f"{conversation_id}|{activity_id}")
