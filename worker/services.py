"""The collaborators a job needs, built from settings once per process."""

from dataclasses import dataclass
from email.utils import parseaddr

from redis import Redis
from rq import Queue

from worker import links, queueing
from worker.clients.shippify import ShippifyClient
from worker.clients.smtp_mailer import SmtpMailer
from worker.clients.twilio_sms import TwilioSms
from worker.connection import connect
from worker.rendering import Renderer
from worker.settings import Settings
from worker.store import Store


@dataclass
class Services:
    """Everything the pipeline talks to; tests build one against the sandbox."""

    settings: Settings
    redis: Redis
    store: Store
    queue: Queue
    shippify: ShippifyClient
    sms: TwilioSms | None
    mailer: SmtpMailer | None
    renderer: Renderer

    @classmethod
    def from_settings(cls, settings: Settings, client: Redis | None = None) -> "Services":
        """Build every client; a channel no rule uses gets no provider."""
        client = client or connect(settings.redis_url)
        return cls(
            settings=settings,
            redis=client,
            store=Store(client, settings.retention_seconds, settings.contact_index_keys),
            queue=queueing.queue(client),
            shippify=ShippifyClient(
                settings.shippify_api_url,
                settings.shippify_app_id,
                settings.shippify_app_secret,
                timeout=settings.http_timeout,
                plain_http_origin=links.development_origin(settings.shippify_api_url, settings.is_development),
            ),
            sms=_sms(settings),
            mailer=_mailer(settings),
            renderer=Renderer(),
        )

    def close(self) -> None:
        """Release Redis and HTTP connections (a process that is done with them, or a test's teardown)."""
        self.shippify.close()
        if self.sms is not None:
            self.sms.close()
        self.redis.close()


def _sms(settings: Settings) -> TwilioSms | None:
    """The Twilio sender, when configured."""
    if not settings.twilio_account_sid:
        return None
    return TwilioSms(
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        from_=settings.twilio_from,
        messaging_service_sid=settings.twilio_messaging_service_sid,
        api_url=settings.twilio_api_url,
        timeout=settings.http_timeout,
        shorten_urls=settings.twilio_shorten_urls,
    )


def _mailer(settings: Settings) -> SmtpMailer | None:
    """The SMTP sender, greeting the relay with the domain of MAIL_FROM."""
    if not settings.smtp_url:
        return None
    domain = parseaddr(settings.mail_from)[1].rpartition("@")[2] or "localhost"
    return SmtpMailer(settings.smtp_url, timeout=settings.http_timeout, local_hostname=domain)
