"""Messages accepted by the fake Twilio, in the resource shape the real API returns."""

from __future__ import annotations

import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from sandbox.sms_segments import count_segments

API_VERSION = "2010-04-01"
DEFAULT_FROM = "+15005550006"


def new_sid(prefix: str) -> str:
    """A Twilio-style sid: two letters and 32 hex digits."""
    return prefix + secrets.token_hex(16)


LINK = re.compile(r"https?://\S+")
SHORT_LINK_BASE = "https://sbx.twil.io/"


def shortened(form: dict[str, str]) -> str:
    """The body as Twilio keeps it with ShortenUrls (a Messaging Service only): each link replaced by a short one."""
    body = form.get("Body", "")
    if not form.get("MessagingServiceSid"):
        return body
    return LINK.sub(lambda _: SHORT_LINK_BASE + secrets.token_urlsafe(6), body)


def stored_body(form: dict[str, str]) -> str:
    """An SMS body as Twilio keeps it: as sent, or with its links shortened when the request asked for that."""
    return shortened(form) if form.get("ShortenUrls") == "true" else form.get("Body", "")


def rfc2822(moment: float | None) -> str | None:
    """Twilio's date format, e.g. 'Thu, 24 Aug 2023 05:01:45 +0000'."""
    if moment is None:
        return None
    return format_datetime(datetime.fromtimestamp(moment, UTC))


@dataclass
class Message:
    """One outbound SMS the fake Twilio took."""

    sid: str
    account_sid: str
    to: str
    from_: str | None
    messaging_service_sid: str | None
    body: str
    status_callback: str | None
    status: str
    created_at: float
    updated_at: float
    params: dict[str, str] = field(default_factory=dict)
    date_sent: float | None = None
    error_code: int | None = None

    @property
    def channel(self) -> str:
        """'whatsapp' for To=whatsapp:+..., else 'sms'."""
        return "whatsapp" if self.to.startswith("whatsapp:") else "sms"

    @property
    def num_segments(self) -> int:
        """Billed parts of the body (WhatsApp bills per message: always one)."""
        return 1 if self.channel == "whatsapp" else count_segments(self.body)

    @property
    def uri(self) -> str:
        """The resource path, as Twilio reports it."""
        return f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{self.sid}.json"

    def public(self) -> dict[str, Any]:
        """The plain dict tests read from sb.sms."""
        return {
            "sid": self.sid,
            "to": self.to,
            "from_": self.from_,
            "messaging_service_sid": self.messaging_service_sid,
            "body": self.body,
            "status_callback": self.status_callback,
            "status": self.status,
            "created_at": self.created_at,
            "num_segments": self.num_segments,
            "error_code": self.error_code,
            "params": dict(self.params),
            "channel": self.channel,
        }

    def resource(self) -> dict[str, Any]:
        """The JSON Twilio's Messages API returns for this message."""
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": self.body,
            "date_created": rfc2822(self.created_at),
            "date_sent": rfc2822(self.date_sent),
            "date_updated": rfc2822(self.updated_at),
            "direction": "outbound-api",
            "error_code": self.error_code,
            "error_message": None,
            "from": self.from_,
            "messaging_service_sid": self.messaging_service_sid,
            "num_media": "0",
            "num_segments": str(self.num_segments),
            "price": None,
            "price_unit": "USD",
            "sid": self.sid,
            "status": self.status,
            "subresource_uris": {"media": self.uri.replace(".json", "/Media.json")},
            "to": self.to,
            "uri": self.uri,
        }


class TwilioStore:
    """Credentials, opt-outs and accepted messages, shared by handler threads under one lock."""

    def __init__(self, account_sid: str, auth_token: str) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.opted_out: set[str] = set()
        self._lock = threading.Lock()
        self._messages: list[Message] = []
        self._requests = 0

    def count_request(self) -> None:
        """Count a create request, refused or not."""
        with self._lock:
            self._requests += 1

    @property
    def requests(self) -> int:
        """Create requests received so far."""
        with self._lock:
            return self._requests

    def accept(self, form: dict[str, str], body: str | None = None) -> Message:
        """Store a message built from a create request's form (`body`: what WhatsApp rendered from a template)."""
        now = time.time()
        service_only = not form.get("From") and bool(form.get("MessagingServiceSid"))
        message = Message(
            sid=new_sid("SM"),
            account_sid=self.account_sid,
            to=form.get("To", ""),
            from_=form.get("From") or None,
            messaging_service_sid=form.get("MessagingServiceSid") or None,
            body=body if body is not None else stored_body(form),
            status_callback=form.get("StatusCallback") or None,
            status="accepted" if service_only else "queued",
            created_at=now,
            updated_at=now,
            params=dict(form),
        )
        with self._lock:
            self._messages.append(message)
        return message

    def get(self, sid: str) -> Message | None:
        """The message with that sid, or None."""
        with self._lock:
            return next((m for m in self._messages if m.sid == sid), None)

    def update_status(self, sid: str, status: str, error_code: int | None = None) -> Message:
        """Move a message to a new status, as a delivery receipt would; KeyError when unknown."""
        with self._lock:
            message = next((m for m in self._messages if m.sid == sid), None)
            if message is None:
                raise KeyError(sid)
            now = time.time()
            if status in ("sent", "delivered") and message.date_sent is None:
                message.date_sent = now
            message.status = status
            message.error_code = error_code if error_code is not None else message.error_code
            message.updated_at = now
            return message

    def messages(self) -> list[Message]:
        """Snapshot of accepted messages, oldest first."""
        with self._lock:
            return list(self._messages)

    def public(self) -> list[dict[str, Any]]:
        """Accepted messages as plain dicts."""
        return [m.public() for m in self.messages()]

    def clear(self) -> None:
        """Forget messages, the request count and opt-outs."""
        with self._lock:
            self._messages.clear()
            self._requests = 0
        self.opted_out.clear()
