"""Plain values that cross the edge between a door (Teams, the terminal chat) and the dispatcher.

A leaf package: it imports nothing of the service, so every layer may use its types.
"""

from bot.conversation.types import Citation, ConversationRef, Exchange, Incoming, IncomingFile, Reply, User

__all__ = ["Citation", "ConversationRef", "Exchange", "Incoming", "IncomingFile", "Reply", "User"]
