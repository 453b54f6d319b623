"""The Sandbox object: one place that starts the fake Shippify, Twilio and SMTP and lets tests steer them."""

from __future__ import annotations

import secrets
from types import TracebackType
from typing import Any

from flask import Flask

from sandbox.content_api import content_blueprint
from sandbox.control import control_blueprint
from sandbox.faults import LATENCY_SERVICES, Conditions, Fault
from sandbox.server import HttpServer
from sandbox.shippify_api import TRACK_BASE, ShippifyStore, shippify_blueprint
from sandbox.smtp import Inbox, Received, SmtpServer
from sandbox.tracking_page import tracking_blueprint
from sandbox.twilio_api import twilio_blueprint
from sandbox.twilio_callbacks import AutoReporter, inbound_params, post_signed, report_status, send_status
from sandbox.twilio_messages import DEFAULT_FROM, Message, TwilioStore
from sandbox.whatsapp import EXAMPLE_MAPPING, PREFIX, WhatsAppBook, WhatsAppReporter

MAIL_FROM = "Tracking <tracking@sandbox.test>"


class Sandbox:
    """Local stand-ins for Shippify's API, Twilio's Messages API and an SMTP server."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        http_port: int = 0,
        smtp_port: int = 0,
        *,
        app_id: str | None = None,
        app_secret: str | None = None,
        account_sid: str | None = None,
        auth_token: str | None = None,
    ) -> None:
        self.host = host
        self.app_id = app_id or f"sandbox-app-{secrets.token_hex(4)}"
        self.app_secret = app_secret or secrets.token_urlsafe(24)
        self.account_sid = account_sid or "AC" + secrets.token_hex(16)
        self.auth_token = auth_token or secrets.token_hex(16)
        self.conditions = Conditions()
        self.shippify = ShippifyStore(self.app_id, self.app_secret)
        self.twilio = TwilioStore(self.account_sid, self.auth_token)
        self.inbox = Inbox(self.conditions)
        self.reporter = AutoReporter(self.twilio, self.conditions.stopping)
        self.whatsapp_book = WhatsAppBook()
        self.whatsapp_reporter = WhatsAppReporter(
            self.whatsapp_book,
            self.conditions.stopping,
            lambda sid, status, code: report_status(self.twilio, sid, status, code),
        )
        self.app = self._create_app()
        self._http = HttpServer(self.app, host, http_port)
        self._smtp = SmtpServer(self.inbox, host, smtp_port)
        self._running = False

    def _create_app(self) -> Flask:
        """One Flask app serving both fake APIs and the control endpoints."""
        app = Flask("sandbox")
        app.json.sort_keys = False  # type: ignore[attr-defined]
        app.register_blueprint(shippify_blueprint(self.shippify, self.conditions))
        app.register_blueprint(twilio_blueprint(self.twilio, self.conditions, self._accepted, self.whatsapp_book))
        app.register_blueprint(content_blueprint(self.twilio, self.whatsapp_book))
        app.register_blueprint(control_blueprint(self))
        app.register_blueprint(tracking_blueprint(self.shippify))
        return app

    def _accepted(self, message: Message) -> None:
        """Route an accepted message to the reporter of its channel."""
        if message.channel == "whatsapp":
            self.whatsapp_reporter(message.sid, message.to)
        else:
            self.reporter(message)

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> Sandbox:
        """Start both servers; returns once both answer."""
        if self._running:
            return self
        self.conditions.stopping.clear()
        self._http.start(health_path="/_sandbox/health")
        try:
            self._smtp.start()
        except BaseException:
            self._http.stop()
            raise
        self._running = True
        return self

    def stop(self) -> None:
        """Stop both servers and wake any call sleeping on latency or a hang fault."""
        self.conditions.stopping.set()
        self._smtp.stop()
        self._http.stop()
        self._running = False

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def api_url(self) -> str:
        """Base URL of the HTTP server (Shippify and Twilio APIs, control endpoints)."""
        return self._http.url

    @property
    def smtp_url(self) -> str:
        """smtp://host:port of the SMTP server."""
        if not self._running:
            raise RuntimeError("sandbox not started")
        return self._smtp.url

    def env(self) -> dict[str, str]:
        """Settings that point the service at this sandbox."""
        return {
            "SHIPPIFY_API_URL": self.api_url,
            "SHIPPIFY_APP_ID": self.app_id,
            "SHIPPIFY_APP_SECRET": self.app_secret,
            "TWILIO_API_URL": self.api_url,
            "TWILIO_ACCOUNT_SID": self.account_sid,
            "TWILIO_AUTH_TOKEN": self.auth_token,
            "TWILIO_FROM": DEFAULT_FROM,
            "SMTP_URL": self.smtp_url,
            "MAIL_FROM": MAIL_FROM,
        }

    # --- Shippify ----------------------------------------------------------------------------------

    def add_delivery(self, delivery_id: str, **overrides: Any) -> dict[str, Any]:
        """Store a delivery (GET .../complete body) and return it."""
        return self.shippify.add(delivery_id, **overrides)

    def set_status(self, delivery_id: str, status: str | int) -> dict[str, Any]:
        """Change a delivery's current _status (and its numeric status)."""
        return self.shippify.set_status(delivery_id, status)

    def tracking_url(self, delivery_id: str) -> str:
        """The tracking link the token endpoint gives for a delivery (stable, like the token)."""
        answer = self.shippify.token_for(delivery_id)
        if answer is None:
            raise KeyError(delivery_id)
        return str(answer["url"])

    def serve_tracking(self, enabled: bool = True) -> None:
        """Answer tracking links to this sandbox's own page (/track/<id>) instead of the unreachable default host."""
        self.shippify.track_base = self.api_url if enabled else TRACK_BASE

    def answer_tracking_url(self, delivery_id: str, url: str) -> None:
        """Make the token endpoint answer `url` as it is for this delivery (a misbehaving Shippify)."""
        self.shippify.answer_url(delivery_id, url)

    @property
    def shippify_calls(self) -> list[tuple[str, str]]:
        """(method, path) of every Shippify API request, in order."""
        return self.shippify.calls

    # --- Twilio ------------------------------------------------------------------------------------

    @property
    def sms(self) -> list[dict[str, Any]]:
        """Accepted SMS, oldest first (WhatsApp messages are in .whatsapp)."""
        return [m for m in self.twilio.public() if m["channel"] == "sms"]

    @property
    def twilio_requests(self) -> int:
        """Create requests received, refused ones included."""
        return self.twilio.requests

    @property
    def twilio_opted_out(self) -> set[str]:
        """E.164 numbers that answered STOP: sends to them get 21610."""
        return self.twilio.opted_out

    @property
    def auto_report(self) -> bool:
        """Whether accepted messages get 'sent' and 'delivered' callbacks on their own."""
        return self.reporter.enabled

    @auto_report.setter
    def auto_report(self, enabled: bool) -> None:
        self.reporter.enabled = bool(enabled)
        self.whatsapp_reporter.auto = bool(enabled)

    def send_status(self, sid: str, status: str, error_code: int | None = None) -> int:
        """Post a signed status callback for a message; returns the HTTP status received."""
        return send_status(self.twilio, sid, status, error_code)

    def send_inbound(self, url: str, from_: str, body: str, to: str = DEFAULT_FROM, **extra: str) -> int:
        """Post a signed inbound SMS webhook (e.g. OptOutType="STOP"); returns the HTTP status."""
        params = inbound_params(self.account_sid, from_, body, to, extra)
        return post_signed(url, params, self.auth_token)

    # --- WhatsApp ----------------------------------------------------------------------------------

    @property
    def whatsapp(self) -> list[dict[str, Any]]:
        """Accepted WhatsApp messages, oldest first; "body" is the approved text with its variables filled."""
        return [m for m in self.twilio.public() if m["channel"] == "whatsapp"]

    def whatsapp_env(self) -> dict[str, str]:
        """WhatsApp settings that point the service at this sandbox (the example template mapping)."""
        return {"WHATSAPP_FROM": PREFIX + DEFAULT_FROM, "WHATSAPP_TEMPLATES": str(EXAMPLE_MAPPING)}

    def mark_whatsapp(self, number: str, state: str) -> None:
        """How sends to a number go: "reachable", "unreachable" (63003), "blocked" (63014) or "silent"."""
        self.whatsapp_book.mark(number, state)

    def register_whatsapp_template(self, content_sid: str, locale: str, status: str) -> None:
        """Accept a ContentSid, rendered with templates/<locale>/<status>/whatsapp.txt."""
        self.whatsapp_book.register(content_sid, locale, status)

    def set_whatsapp_approval(self, content_sid: str, status: str) -> None:
        """What the Content API reports as the template's WhatsApp approval, e.g. "rejected" or "pending"."""
        self.whatsapp_book.set_approval(content_sid, status)

    def open_whatsapp_session(self, number: str) -> None:
        """The person wrote in the last 24 hours: a free-form Body to them is accepted instead of 63016."""
        self.whatsapp_book.open_session(number)

    def send_whatsapp_inbound(self, url: str, number: str, body: str, **extra: str) -> int:
        """Post a signed inbound WhatsApp message (e.g. "STOP"); like a real reply, it opens a 24-hour session."""
        self.open_whatsapp_session(number)
        sender = number if number.startswith(PREFIX) else PREFIX + number
        params = inbound_params(
            self.account_sid, sender, body, PREFIX + DEFAULT_FROM, {"ChannelPrefix": "whatsapp", **extra}
        )
        return post_signed(url, params, self.auth_token)

    # --- SMTP --------------------------------------------------------------------------------------

    @property
    def emails(self) -> list[Received]:
        """Accepted emails, oldest first: .message (parsed EmailMessage), .mail_from, .rcpt_tos."""
        return self.inbox.received

    # --- faults and latency ---------------------------------------------------------------------------

    def fail(
        self,
        service: str,
        *,
        status: int | None = None,
        code: int | None = None,
        times: int = 1,
        hang: float | None = None,
        accept: bool = False,
        stage: str = "data",
        message: str | None = None,
        drop: bool = False,
    ) -> None:
        """Make the next `times` calls of a service misbehave (consumed in order).

        SMTP at the DATA stage without a code: the message is received in full and kept when `accept` (a relay that
        took it although the client never heard so), then the server waits `hang` seconds before its reply, or
        with `drop` closes the connection without one."""
        if stage not in ("data", "rcpt"):
            raise ValueError("stage must be 'data' or 'rcpt'")
        fault = Fault(service, status, code, hang, accept, stage, message, bool(drop))
        self.conditions.add(fault, int(times))

    def pending_faults(self) -> list[Fault]:
        """Faults queued and not yet consumed."""
        return self.conditions.pending()

    @property
    def latency(self) -> dict[str, float]:
        """Seconds added to every call, per service (the live dict: item assignment works)."""
        return self.conditions.latency

    @latency.setter
    def latency(self, values: dict[str, float]) -> None:
        self.conditions.set_latency({**dict.fromkeys(LATENCY_SERVICES, 0.0), **values})

    def set_latency(self, **values: float) -> None:
        """Change some services' latency, leaving the others as they are."""
        self.conditions.set_latency(values)

    def reset(self) -> None:
        """Forget messages, emails, calls, deliveries, opt-outs, faults, latency and WhatsApp marks and sessions."""
        self.conditions.clear()
        self.shippify.clear()
        self.twilio.clear()
        self.whatsapp_book.clear()
        self.inbox.clear()
