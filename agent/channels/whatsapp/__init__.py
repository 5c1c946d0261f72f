"""WhatsApp through the Cloud API: the channel, its wire shapes, and the 24-hour window."""

from agent.channels.whatsapp.channel import CHANNEL, WhatsAppChannel
from agent.channels.whatsapp.window import Windows
from agent.channels.whatsapp.wire import Incoming, SendError, Status, incoming, signature_ok

__all__ = [
    "CHANNEL",
    "Incoming",
    "SendError",
    "Status",
    "WhatsAppChannel",
    "Windows",
    "incoming",
    "signature_ok",
]
