"""Clients of the sandbox's stand-ins as the notifier's providers talk to them: the real Twilio SDK and smtplib."""

import smtplib
from email.message import EmailMessage

from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from sandbox import Sandbox


def make_client(sb: Sandbox, token: str | None = None, timeout: float = 5) -> Client:
    """The Twilio SDK pointed at the sandbox."""
    client = Client(sb.account_sid, token or sb.auth_token, http_client=TwilioHttpClient(timeout=timeout))
    client.api.base_url = sb.api_url
    return client


def close(client: Client) -> None:
    client.http_client.session.close()


def make_email(subject: str = "Tu pedido está en camino") -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Tracking <tracking@sandbox.test>"
    message["To"] = "iliana@example.com"
    message["Subject"] = subject
    message.set_content("Sigue tu pedido: https://track.sandbox.test/track/t-1")
    message.add_alternative("<p>Sigue <a href='https://track.sandbox.test/track/t-1'>tu pedido</a></p>", subtype="html")
    return message


def smtp_send(sb: Sandbox, message: EmailMessage) -> None:
    host, port = sb.smtp_url.removeprefix("smtp://").rsplit(":", 1)
    with smtplib.SMTP(host, int(port), timeout=5) as client:
        client.send_message(message)
