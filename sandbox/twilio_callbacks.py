"""Signed webhooks from the fake Twilio (status callbacks, inbound SMS), as the real one would post them."""

from __future__ import annotations

import threading

import requests
from twilio.request_validator import RequestValidator

from sandbox.twilio_messages import API_VERSION, DEFAULT_FROM, Message, TwilioStore, new_sid

TIMEOUT = 5.0
AUTO_STEPS = ("sent", "delivered")
AUTO_STEP_DELAY = 0.05


def post_signed(url: str, params: dict[str, str], auth_token: str) -> int:
    """POST a form with a valid X-Twilio-Signature; returns the HTTP status received."""
    signature = RequestValidator(auth_token).compute_signature(url, params)
    headers = {"X-Twilio-Signature": signature, "User-Agent": "TwilioProxy/1.1"}
    response = requests.post(url, data=params, headers=headers, timeout=TIMEOUT)
    response.close()
    return response.status_code


def status_params(message: Message, status: str, error_code: int | None) -> dict[str, str]:
    """The form fields of a Twilio message status callback."""
    params = {
        "MessageSid": message.sid,
        "SmsSid": message.sid,
        "MessageStatus": status,
        "SmsStatus": status,
        "AccountSid": message.account_sid,
        "To": message.to,
        "From": message.from_ or DEFAULT_FROM,
        "ApiVersion": API_VERSION,
    }
    if message.messaging_service_sid:
        params["MessagingServiceSid"] = message.messaging_service_sid
    if message.channel == "whatsapp":
        params["ChannelPrefix"] = "whatsapp"
        params["From"] = message.from_ or "whatsapp:" + DEFAULT_FROM
    if error_code is not None:
        params["ErrorCode"] = str(error_code)
    return params


def send_status(store: TwilioStore, sid: str, status: str, error_code: int | None = None) -> int:
    """Record a new status for a message and post it to its StatusCallback URL."""
    found = store.get(sid)
    if found is None:
        raise KeyError(sid)
    url = found.status_callback
    if not url:
        raise ValueError(f"message {sid} has no StatusCallback")
    message = store.update_status(sid, status, error_code)
    return post_signed(url, status_params(message, status, error_code), store.auth_token)


def report_status(store: TwilioStore, sid: str, status: str, error_code: int | None = None) -> int | None:
    """Record a new status and post it when the message has a StatusCallback; None when there was none to post."""
    found = store.get(sid)
    if found is not None and not found.status_callback:
        store.update_status(sid, status, error_code)
        return None
    return send_status(store, sid, status, error_code)


def inbound_params(account_sid: str, from_: str, body: str, to: str, extra: dict[str, str]) -> dict[str, str]:
    """The form fields of an inbound SMS webhook."""
    sid = new_sid("SM")
    params = {
        "MessageSid": sid,
        "SmsMessageSid": sid,
        "SmsSid": sid,
        "SmsStatus": "received",
        "AccountSid": account_sid,
        "From": from_,
        "To": to,
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
        "ApiVersion": API_VERSION,
    }
    params.update({key: str(value) for key, value in extra.items()})
    return params


class AutoReporter:
    """Sends 'sent' then 'delivered' callbacks in the background, for the dev runner."""

    def __init__(self, store: TwilioStore, stopping: threading.Event) -> None:
        self.store = store
        self.stopping = stopping
        self.enabled = False

    def __call__(self, message: Message) -> None:
        """Hook run for every accepted message."""
        if self.enabled and message.status_callback:
            threading.Thread(
                target=self._report, args=(message.sid,), daemon=True, name=f"sandbox-report-{message.sid[:8]}"
            ).start()

    def _report(self, sid: str) -> None:
        """Walk one message through the usual statuses, ignoring any error of the receiver."""
        for status in AUTO_STEPS:
            if self.stopping.wait(AUTO_STEP_DELAY):
                return
            try:
                send_status(self.store, sid, status)
            except (requests.RequestException, KeyError, ValueError):
                return
