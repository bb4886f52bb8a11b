"""The conversation core: plain Python, no Teams types. Text in, reply objects out."""

from bot.conversation.core import ConversationCore
from bot.conversation.types import Citation, ConversationRef, Incoming, Reply, User

__all__ = ["Citation", "ConversationCore", "ConversationRef", "Incoming", "Reply", "User"]
