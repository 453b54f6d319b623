"""Email through SMTP: the address pattern, the three rendered parts, and a Message-ID derived from the
notification, so that a resend after an interrupted transmission shows as the same message."""

import re
import time
from collections.abc import Collection, Mapping
from email.headerregistry import Address as MailAddress
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import TYPE_CHECKING, Any

from worker import phones
from worker.channels.base import Address, Channel, Outgoing, Preview, Sent, recipient_of
from worker.errors import PermanentError
from worker.setting_values import required

if TYPE_CHECKING:
    from worker.rendering import Renderer
    from worker.services import Services
    from worker.settings import Settings

EMAIL_PATTERN = re.compile(r"^[^@\s<>,;\"]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$")
MAX_EMAIL_LENGTH = 254
# How to obtain the mail settings when a rule sends email without them.
HINTS = {
    "SMTP_URL": " (smtp://user:password@host:587 of your mail relay), or remove email from NOTIFY_RULES",
    "MAIL_FROM": ' (e.g. "Acme Deliveries <tracking@acme.example>")',
}


class Email(Channel):
    """Email through SMTP."""

    name = "email"
    files = ("subject.txt", "email.txt", "email.html")
    field = "email"

    def address(self, delivery: Mapping[str, Any], settings: "Settings") -> Address:
        """The recipient's email, when it looks like one."""
        address = recipient_of(delivery).get("email")
        if not isinstance(address, str) or not address.strip():
            return Address(None, "no_email")
        if not EMAIL_PATTERN.match(address.strip()):
            return Address(None, "invalid_email")
        return Address(address.strip())

    def correct(self, raw: str, settings: "Settings") -> str | None:
        address = raw.strip()
        return address if len(address) <= MAX_EMAIL_LENGTH and EMAIL_PATTERN.match(address) else None

    def mask(self, destination: str) -> str:
        return phones.mask_email(destination)

    def configured(self, services: "Services") -> bool:
        return services.mailer is not None

    def missing_settings(self, values: Mapping[str, Any]) -> list[str]:
        """The mail relay and the sender."""
        return required({"SMTP_URL": values["smtp_url"], "MAIL_FROM": values["mail_from"]}, HINTS)

    def render(
        self,
        renderer: "Renderer",
        status: str,
        locale: str,
        context: Mapping[str, Any],
        destination: str,
        settings: "Settings",
    ) -> Outgoing:
        email = renderer.email(status, locale, context)
        return Outgoing({"to": destination, "subject": email.subject, "text": email.text, "html": email.html})

    def preview(
        self, renderer: "Renderer", status: str, locale: str, context: Mapping[str, Any], fold_locales: Collection[str]
    ) -> Preview:
        """The three parts; the subject is the preview's text."""
        email = renderer.email(status, locale, context)
        return Preview(email.subject, email=email)

    def send(self, notification_id: str, payload: Mapping[str, str], services: "Services") -> Sent:
        """One SMTP session; the record notes when DATA started (an interruption after it may have delivered)."""
        if services.mailer is None:
            raise PermanentError("email is not configured: set SMTP_URL and MAIL_FROM")
        message = build_email(notification_id, payload, services.settings.mail_from)
        started = lambda: services.store.note(notification_id, data_started_at=round(time.time(), 3))  # noqa: E731
        services.mailer.send(message, before_data=started)
        return Sent(message["Message-ID"], "sent")


def build_email(notification_id: str, payload: Mapping[str, str], mail_from: str) -> EmailMessage:
    """multipart/alternative (text, then HTML) with a Message-ID derived from the notification."""
    _, from_address = parseaddr(mail_from)
    domain = from_address.rpartition("@")[2] or "localhost"
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = MailAddress(addr_spec=payload["to"])
    message["Subject"] = payload["subject"]
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = f"<{notification_id}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(payload["text"])
    message.add_alternative(payload["html"], subtype="html")
    return message
