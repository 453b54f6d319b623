"""The channels a notification goes out on. This registry is the one place a channel is added: rules, previews, the
console's labels and resend choices, the CLI's `--channel` and the API's schema take their names from `names()`, and
the outgoing path, the send job, resend and the settings' check reach each channel through `channel(name)`
(worker/channels/base.py)."""

from worker.channels.base import Channel
from worker.channels.email import Email
from worker.channels.sms import Sms
from worker.channels.whatsapp import WhatsApp

# In display order (the console, the CLI, previews).
CHANNELS: dict[str, Channel] = {"sms": Sms(), "email": Email(), "whatsapp": WhatsApp()}


def names() -> tuple[str, ...]:
    """Every channel's name, in display order."""
    return tuple(CHANNELS)


def channel(name: str) -> Channel:
    """The channel of that name (KeyError for one that is not registered)."""
    return CHANNELS[name]


def replying(address: str) -> tuple[Channel, str]:
    """The channel a reply or report came through, by how the provider writes the address ("whatsapp:+..." is
    WhatsApp's; a plain number is SMS's), and the address without that prefix."""
    for found in CHANNELS.values():
        if found.inbound_prefix and address.startswith(found.inbound_prefix):
            return found, address[len(found.inbound_prefix) :]
    return CHANNELS["sms"], address
