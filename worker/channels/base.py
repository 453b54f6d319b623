"""The Channel interface: what each channel module (sms.py, email.py, ...) implements, and its small value types.

A channel is registered in worker/channels/__init__.py (the only place a channel is added); everything outside this
package reaches it through `channels.channel(name)` and the methods below, never by comparing names.

  name                      "sms", "email": the rules' and records' name for it
  files                     the template files it renders, e.g. ("sms.txt",)
  field                     the resend request's field for a destination typed by staff ("phone", "email")
  reports_by_provider_id    whether delivery reports find a notification by the provider's message id
  billed_in_segments        whether its messages cost segments (previews show their cost against a budget)
  falls_back                whether it can tell that it did not reach a recipient, so a rule may name a fallback
  opt_out_scope             the opt-out list its STOP replies go to ("" for SMS's, kept since before WhatsApp)
  previewed                 whether `messages preview` and the console's Messages page show it
  inbound_prefix            how the provider writes its senders in replies ("whatsapp:" for WhatsApp, "" for SMS)
  address(delivery, settings) -> Address(destination | None, reason | None)
                            find and normalise the destination in a Shippify delivery, or say why there is none
  correct(raw, settings) -> destination | None      a destination typed by staff, normalised, or None if unusable
  mask(destination) -> str  the destination as records, logs and the console may show it
  contact(destination) -> str                       the person behind it, as the recipient search index keys them
  configured(services) -> bool                      its provider is set up on this service
  missing_settings(values) -> [problem]             what the settings being read (by Settings field) lack for it to
                            send, each problem naming the variable and its fix; asked when a rule uses it
  render(renderer, status, locale, context, destination, settings) -> Outgoing(payload, notes)
                            the outbox payload (real destination and rendered text) and what it costs (record notes)
  preview(renderer, status, locale, context, fold_locales) -> Preview(text, cost, email)
                            the message as previews show it, rendered as a send renders it (asked if `previewed`)
  country(destination, settings) -> str             where a message to it is billed (the dashboard's prices)
  suppressed(store, destination) -> bool            the recipient asked for nothing more on this channel
  opted_out_at(store, destination) -> float | None  since when (a person's export lists it per channel)
  send(notification_id, payload, services) -> Sent(provider_id, state, segments)
                            hand the message to the provider; raises worker.errors (TransientError, AmbiguousSend,
                            RecipientRejected, PermanentError), which the clients map from the provider's failures
  settle(notification_id, record, payload, services) -> Sent | None
                            an earlier attempt's outcome is unknown: find the message at the provider, or None
  refused(code) -> bool     a failure with this provider code is the recipient's refusal (no fallback)
"""

from abc import ABC, abstractmethod
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from worker import phones

if TYPE_CHECKING:
    from worker.rendering import Email, Renderer
    from worker.services import Services
    from worker.settings import Settings
    from worker.sms_text import SmsCost
    from worker.store import Store
    from worker.store.records import Notification


@dataclass(frozen=True)
class Address:
    """Where a channel would go for a delivery, or why it cannot (a reason code the console translates)."""

    destination: str | None
    reason: str | None = None


@dataclass(frozen=True)
class Outgoing:
    """A rendered message: the outbox payload, and notes for the record (what it costs)."""

    payload: dict[str, str]
    notes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Preview:
    """A message as `messages preview` and the console show it: its text (an email's subject), what it costs when
    billed in segments, and an email's three parts."""

    text: str
    cost: "SmsCost | None" = None
    email: "Email | None" = None


@dataclass(frozen=True)
class Sent:
    """What the provider answered: its message id, our state, SMS segments when it counts them, and the error code of
    a message a lookup found failed."""

    provider_id: str
    state: str
    segments: int | None = None
    error_code: int | None = None  # when a lookup finds the message already failed


def recipient_of(delivery: Mapping[str, Any]) -> dict[str, Any]:
    """The delivery's recipient block ({} when Shippify gave none)."""
    recipient = delivery.get("recipient")
    return recipient if isinstance(recipient, dict) else {}


class Channel(ABC):
    """One way of reaching a recipient; see the module docstring for each member."""

    name: str
    files: tuple[str, ...]
    field: str
    reports_by_provider_id = False
    billed_in_segments = False
    falls_back = False
    opt_out_scope = ""
    previewed = True
    inbound_prefix = ""

    @abstractmethod
    def address(self, delivery: Mapping[str, Any], settings: "Settings") -> Address: ...

    @abstractmethod
    def correct(self, raw: str, settings: "Settings") -> str | None: ...

    @abstractmethod
    def mask(self, destination: str) -> str: ...

    def contact(self, destination: str) -> str:
        """The address without a channel's scheme (`whatsapp:+593…` is the phone `+593…`, found with its SMS),
        trimmed and in lower case: one person, one index entry, whichever channel reached them."""
        return destination.rpartition(":")[2].strip().lower()

    @abstractmethod
    def configured(self, services: "Services") -> bool: ...

    @abstractmethod
    def missing_settings(self, values: Mapping[str, Any]) -> list[str]: ...

    @abstractmethod
    def render(
        self,
        renderer: "Renderer",
        status: str,
        locale: str,
        context: Mapping[str, Any],
        destination: str,
        settings: "Settings",
    ) -> Outgoing: ...

    @abstractmethod
    def preview(
        self, renderer: "Renderer", status: str, locale: str, context: Mapping[str, Any], fold_locales: Collection[str]
    ) -> Preview: ...

    def country(self, destination: str, settings: "Settings") -> str:
        """The country of a destination that is a phone number in international form, else DEFAULT_COUNTRY."""
        return phones.region(destination) or settings.default_country

    def suppressed(self, store: "Store", destination: str) -> bool:
        """Nothing suppresses this channel unless it says otherwise."""
        return False

    def opted_out_at(self, store: "Store", destination: str) -> float | None:
        """Since when the recipient has asked for nothing more on this channel (None: never, or it takes no STOP)."""
        return None

    @abstractmethod
    def send(self, notification_id: str, payload: Mapping[str, str], services: "Services") -> Sent: ...

    def settle(
        self, notification_id: str, record: "Notification", payload: Mapping[str, str], services: "Services"
    ) -> Sent | None:
        """No way to look a message up at the provider: the send path decides what a retry does."""
        return None

    def refused(self, code: str | None) -> bool:
        """Whether a failure report with this provider code means the recipient refused the channel."""
        return False
