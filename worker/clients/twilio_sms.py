"""Twilio's Messages API through the official SDK, with a timeout and failures sorted by what a retry may do."""

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from urllib3.exceptions import NameResolutionError, NewConnectionError

from worker.errors import AmbiguousSend, ConfigurationError, PermanentError, RecipientRejected, TransientError
from worker.sms_text import URL

# The SDK logs request URLs and query strings (phone numbers) at INFO: keep it quiet.
_http_log = logging.getLogger("worker.sms.http")
_http_log.setLevel(logging.WARNING)

OPTED_OUT = 21610
RECIPIENT_CODES = {
    21211: "invalid 'To' number",
    21610: "recipient replied STOP",
    21612: "number cannot be reached from this sender",
    21614: "not a mobile number",
    21635: "landline number",
}
CONFIG_CODES = {
    20003: "Twilio refused the credentials: check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN",
    21606: "TWILIO_FROM cannot send SMS: use an SMS-capable number or a Messaging Service",
    21608: "trial account: the recipient's number is not verified in Twilio",
    21408: "SMS to this region is not enabled in Twilio's geo permissions",
    21603: "set TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID",
}
TRANSIENT_CODES = {20429, 21611}  # too many requests; sender queue full


@dataclass(frozen=True)
class SentSms:
    """What Twilio answered for an accepted message."""

    sid: str
    status: str
    segments: int | None


class TwilioSms:
    """Sends one SMS; raises TransientError, AmbiguousSend, RecipientRejected or ConfigurationError."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_: str = "",
        messaging_service_sid: str = "",
        api_url: str = "",
        timeout: float = 10.0,
        shorten_urls: bool = False,
    ) -> None:
        self._http = TwilioHttpClient(timeout=timeout, logger=_http_log)
        self.client = Client(account_sid, auth_token, http_client=self._http)
        if api_url:
            self.client.api.base_url = api_url.rstrip("/")
        self.sender = {"messaging_service_sid": messaging_service_sid} if messaging_service_sid else {"from_": from_}
        # Twilio refuses ShortenUrls without a Messaging Service; settings already insist on one.
        self.shorten_urls = shorten_urls and bool(messaging_service_sid)

    def send(self, to: str, body: str, status_callback: str | None = None) -> SentSms:
        """Create the message; a timeout after the request left is ambiguous, never silently retried."""
        options: dict[str, Any] = dict(self.sender)
        if self.shorten_urls:
            options["shorten_urls"] = True
        if status_callback:
            options["status_callback"] = status_callback
        try:
            message = self.client.messages.create(to=to, body=body, **options)
        except TwilioRestException as exc:
            raise classify(exc) from None
        except requests.RequestException as exc:
            raise classify_network(exc) from None
        except TwilioException as exc:
            raise TransientError(f"Twilio client error ({type(exc).__name__})") from None
        segments = int(message.num_segments) if message.num_segments else None
        return SentSms(sid=str(message.sid), status=str(message.status or "queued"), segments=segments)

    def close(self) -> None:
        """Release the Twilio client's pooled HTTP connections."""
        if self._http.session is not None:
            self._http.session.close()

    def find_sent(
        self, to: str, body: str, since: datetime, taken: Callable[[str], bool] = lambda sid: False
    ) -> SentSms | None:
        """The message with this body created for `to` since `since`, if Twilio has it (settles an ambiguous send).

        Filtered on creation, not on DateSent: a message still waiting in Twilio's queue has no send date yet.
        `taken` skips messages already recorded for another notification."""
        matches = same_text if self.shorten_urls else _identical
        try:
            for message in self.client.messages.list(to=to, limit=50):
                created = message.date_created
                if created is not None and created < since:
                    continue
                if matches(message.body, body) and not taken(str(message.sid)):
                    return SentSms(sid=str(message.sid), status=str(message.status), segments=None)
        except TwilioRestException as exc:
            raise classify(exc) from None
        except TwilioException as exc:
            raise classify(as_rest_exception(exc)) from None
        except requests.RequestException as exc:
            raise TransientError(f"Twilio unreachable while checking a send ({type(exc).__name__})") from None
        return None

    def check_credentials(self) -> None:
        """A harmless authenticated call (list at most one message)."""
        try:
            self.client.messages.list(limit=1)
        except TwilioRestException as exc:
            raise classify(exc) from None
        except TwilioException as exc:
            raise classify(as_rest_exception(exc)) from None
        except requests.RequestException as exc:
            raise classify_network(exc) from None


def _identical(sent: str | None, body: str) -> bool:
    """Without link shortening Twilio keeps the body exactly as sent; the link makes it unique per delivery."""
    return sent == body


def same_text(sent: str | None, body: str) -> bool:
    """Whether Twilio's copy is our body; with link shortening Twilio stores its short links, so compare the rest
    (two deliveries to one number with the same text are then told apart only by `taken`)."""
    if sent == body:
        return True
    return sent is not None and URL.sub("<link>", sent) == URL.sub("<link>", body)


def as_rest_exception(exc: TwilioException) -> TwilioRestException:
    """The SDK's list calls raise a bare TwilioException("Unable to fetch page", response): read its response."""
    response = exc.args[1] if len(exc.args) > 1 else None
    status = getattr(response, "status_code", 500)
    try:
        code = json.loads(getattr(response, "text", "") or "{}").get("code")
    except (ValueError, AttributeError):
        code = None
    return TwilioRestException(status, uri="", msg="", code=code if isinstance(code, int) else None)


def classify(exc: TwilioRestException) -> Exception:
    """Map Twilio's HTTP status and error code to what a retry may do (messages carry no phone numbers)."""
    code = exc.code if isinstance(exc.code, int) else None
    if code in RECIPIENT_CODES:
        return RecipientRejected(f"Twilio {code}: {RECIPIENT_CODES[code]}", code=code, opted_out=code == OPTED_OUT)
    if code in CONFIG_CODES:
        return ConfigurationError(f"Twilio {code}: {CONFIG_CODES[code]}")
    if exc.status in (401, 403):
        return ConfigurationError(f"Twilio answered HTTP {exc.status}: check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")
    if code in TRANSIENT_CODES or exc.status == 429 or exc.status >= 500:
        return TransientError(f"Twilio answered HTTP {exc.status} (code {code})")
    return PermanentError(f"Twilio refused the message: HTTP {exc.status}, code {code}")


def classify_network(exc: requests.RequestException) -> Exception:
    """Retry only when the request surely never reached Twilio; otherwise the send is ambiguous."""
    if isinstance(exc, requests.ConnectTimeout) or _never_connected(exc):
        return TransientError(f"Twilio unreachable ({type(exc).__name__})")
    return AmbiguousSend(f"no answer from Twilio after sending ({type(exc).__name__}): the SMS may have gone out")


def _never_connected(exc: BaseException) -> bool:
    """Whether the failure happened while connecting (refused, DNS), before any byte of the request left."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, (NewConnectionError, NameResolutionError, ConnectionRefusedError)):
            return True
        pending.extend([current.__cause__, current.__context__, getattr(current, "reason", None)])
        pending.extend(a for a in current.args if isinstance(a, BaseException))
    return False
