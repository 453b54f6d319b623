"""Twilio's Content API through the official SDK: whether a ContentSid exists in this account and is approved for
WhatsApp, so `doctor` finds a wrong or unapproved template before a recipient misses a message."""

import logging

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from worker.settings import TWILIO_API_URL

CONTENT_API_URL = "https://content.twilio.com"
APPROVED = "approved"

# The SDK logs request URLs at INFO: keep it quiet, as for SMS.
_http_log = logging.getLogger("worker.whatsapp_content.http")
_http_log.setLevel(logging.WARNING)


class ContentApiUnreachable(Exception):
    """The Content API did not answer (or answered with a server error): nothing is known about the templates."""


def content_api_url(twilio_api_url: str) -> str:
    """Twilio's Content API, or the stand-in that TWILIO_API_URL points at (the sandbox serves both)."""
    if twilio_api_url.rstrip("/") == TWILIO_API_URL:
        return CONTENT_API_URL
    return twilio_api_url.rstrip("/")


class ContentApi:
    """GET /v1/Content/{sid} and /v1/Content/{sid}/ApprovalRequests, each with a timeout."""

    def __init__(self, account_sid: str, auth_token: str, base_url: str = CONTENT_API_URL, timeout: float = 10.0):
        self._http = TwilioHttpClient(timeout=timeout, logger=_http_log)
        self.client = Client(account_sid, auth_token, http_client=self._http)
        self.client.content.base_url = base_url.rstrip("/")

    def approval(self, content_sid: str) -> str | None:
        """The template's WhatsApp approval status ("approved", "pending", "rejected"...), None when the account has
        no such template; raises ContentApiUnreachable when the API cannot tell, ValueError for refused credentials."""
        content = self.client.content.v1.contents(content_sid)
        try:
            content.fetch()
            whatsapp = content.approval_fetch().fetch().whatsapp or {}
        except TwilioRestException as exc:
            if exc.status == 404:
                return None
            if exc.status in (401, 403):
                raise ValueError(f"Twilio {exc.code}: check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN") from None
            raise ContentApiUnreachable(f"HTTP {exc.status}") from None
        except (requests.RequestException, TwilioException) as exc:
            raise ContentApiUnreachable(type(exc).__name__) from None
        return str(whatsapp.get("status") or "unsubmitted")

    def close(self) -> None:
        """Release the pooled HTTP connections."""
        if self._http.session is not None:
            self._http.session.close()
