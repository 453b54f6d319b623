"""Email through an SMTP relay: `smtp://` (STARTTLS when offered or required) or `smtps://` (implicit TLS)."""

import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import parseaddr
from urllib.parse import parse_qs, unquote, urlsplit

from worker.errors import ConfigurationError, PermanentError, RecipientRejected, TransientError


@dataclass(frozen=True)
class SmtpTarget:
    """Where and how to connect, parsed from SMTP_URL."""

    host: str
    port: int
    implicit_tls: bool
    require_starttls: bool
    username: str
    password: str

    @classmethod
    def parse(cls, url: str) -> "SmtpTarget":
        """`smtp://user:pass@host:587[?starttls=require]` or `smtps://user:pass@host:465`."""
        parts = urlsplit(url)
        implicit = parts.scheme == "smtps"
        query = parse_qs(parts.query)
        return cls(
            host=parts.hostname or "localhost",
            port=parts.port or (465 if implicit else 587),
            implicit_tls=implicit,
            require_starttls=query.get("starttls", [""])[0] == "require",
            username=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
        )


class SmtpMailer:
    """Sends one message per connection; 4xx and disconnects are transient, 5xx permanent."""

    def __init__(self, url: str, timeout: float = 10.0, local_hostname: str = "localhost") -> None:
        self.target = SmtpTarget.parse(url)
        self.timeout = timeout
        self.local_hostname = local_hostname  # given, so smtplib does not look up this host's name in DNS
        self._tls: ssl.SSLContext | None = None

    def send(self, message: EmailMessage, before_data: Callable[[], None] | None = None) -> None:
        """Deliver `message` to the relay, or raise one of our errors.

        `before_data` runs once the relay has accepted sender and recipient, just before the message itself is
        transmitted: up to then an interrupted send surely delivered nothing."""
        try:
            with self._connect() as smtp:
                _transmit(smtp, message, before_data)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise _by_code(codes[0] if codes else 550, "recipient refused") from None
        except smtplib.SMTPAuthenticationError as exc:
            raise ConfigurationError(
                f"SMTP login refused ({exc.smtp_code}): check the user and password in SMTP_URL"
            ) from None
        except smtplib.SMTPResponseException as exc:
            raise _by_code(exc.smtp_code, "message refused") from None
        except smtplib.SMTPNotSupportedError:
            raise ConfigurationError("the SMTP server does not offer STARTTLS, which SMTP_URL requires") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise TransientError(f"SMTP relay unreachable or disconnected ({type(exc).__name__})") from None

    def check_login(self) -> None:
        """Connect and log in without sending anything."""
        try:
            with self._connect():
                pass
        except smtplib.SMTPAuthenticationError as exc:
            raise ConfigurationError(f"SMTP login refused ({exc.smtp_code}): check SMTP_URL") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise TransientError(f"SMTP relay unreachable ({type(exc).__name__})") from None

    def _context(self) -> ssl.SSLContext:
        """One TLS context per mailer: loading the CA bundle costs tens of milliseconds."""
        if self._tls is None:
            self._tls = ssl.create_default_context()
        return self._tls

    def _connect(self) -> smtplib.SMTP:
        """An open, secured (when possible) and logged-in connection."""
        t = self.target
        if t.implicit_tls:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                t.host, t.port, local_hostname=self.local_hostname, timeout=self.timeout, context=self._context()
            )
        else:
            smtp = smtplib.SMTP(t.host, t.port, local_hostname=self.local_hostname, timeout=self.timeout)
            try:
                smtp.ehlo()
                if smtp.has_extn("starttls"):
                    smtp.starttls(context=self._context())
                    smtp.ehlo()
                elif t.require_starttls:
                    raise smtplib.SMTPNotSupportedError("STARTTLS not offered")
            except BaseException:
                smtp.close()
                raise
        if t.username:
            try:
                smtp.login(t.username, t.password)
            except BaseException:
                smtp.close()
                raise
        return smtp


def _transmit(smtp: smtplib.SMTP, message: EmailMessage, before_data: Callable[[], None] | None) -> None:
    """MAIL, RCPT, then DATA: what `send_message` does, with a hook before the point of no return."""
    sender = parseaddr(str(message["From"]))[1]
    recipients = [parseaddr(str(message["To"]))[1]]
    utf8 = not all(address.isascii() for address in (sender, *recipients)) and smtp.has_extn("smtputf8")
    code, response = smtp.mail(sender, ["SMTPUTF8"] if utf8 else [])
    if code != 250:
        smtp.rset()
        raise smtplib.SMTPSenderRefused(code, response, sender)
    for recipient in recipients:
        code, response = smtp.rcpt(recipient)
        if code not in (250, 251):
            smtp.rset()
            raise smtplib.SMTPRecipientsRefused({recipient: (code, response)})
    if before_data is not None:
        before_data()
    code, response = smtp.data(message.as_bytes(policy=SMTP_POLICY))
    if code != 250:
        raise smtplib.SMTPDataError(code, response)


def _by_code(code: int, what: str) -> Exception:
    """4xx: try again later; 5xx: the relay will never take it."""
    if 400 <= code < 500:
        return TransientError(f"SMTP {what} temporarily ({code})")
    if code in (550, 551, 553, 501):
        return RecipientRejected(f"SMTP {what} ({code})", code=code)
    return PermanentError(f"SMTP {what} ({code})")
