"""The conversation core: plain Python, no Teams types. Text in, reply objects out.

``bot.conversation.core.ConversationCore`` does the work; this package exports only the plain values
so that any module may import them without pulling in the core.
"""

from bot.conversation.types import Citation, ConversationRef, Incoming, IncomingFile, Reply, User

__all__ = ["Citation", "ConversationRef", "Incoming", "IncomingFile", "Reply", "User"]
