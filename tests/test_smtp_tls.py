"""Email over a secured relay: STARTTLS, implicit TLS (smtps://) and AUTH against a real aiosmtpd server with a
certificate from a test CA (trusted through OpenSSL's SSL_CERT_FILE, as a system CA bundle would be)."""

import ssl
from email.message import EmailMessage

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.conftest import free_port
from worker.clients.smtp_mailer import SmtpMailer
from worker.errors import ConfigurationError, TransientError

USER, PASSWORD = "notifier", "relay-password-0123"


class Relay:
    """Keeps how each message arrived: over TLS or not, logged in or not."""

    def __init__(self) -> None:
        self.received: list[dict] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        tls = server.transport.get_extra_info("ssl_object") is not None
        self.received.append({"tls": tls, "authenticated": session.authenticated})
        return "250 OK"


def authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)  # not handled: aiosmtpd answers 535 itself


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def trusted(ca, tmp_path, monkeypatch):
    """The test CA in the place OpenSSL looks for trusted roots."""
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))


@pytest.fixture
def relay(ca):
    """relay(implicit_tls) starts a relay with the CA's certificate for 127.0.0.1 that takes USER's login."""
    started = []

    def start(implicit_tls: bool) -> tuple[Relay, str]:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1").configure_cert(context)
        handler, port = Relay(), free_port()
        if implicit_tls:  # aiosmtpd cannot tell implicit TLS from none: it offers AUTH without requiring it then
            options = {"ssl_context": context, "authenticator": authenticate, "auth_require_tls": False}
        else:
            options = {"tls_context": context, "require_starttls": True, "authenticator": authenticate}
            options.update(auth_required=True, auth_require_tls=True)
        controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
        controller.start()
        started.append(controller)
        return handler, port

    yield start
    for controller in started:
        controller.stop()


def message() -> EmailMessage:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "notifier@example.com", "ana@example.org", "Tu pedido"
    mail.set_content("hola")
    return mail


@pytest.mark.parametrize(("scheme", "implicit_tls"), [("smtp", False), ("smtps", True)], ids=["starttls", "smtps"])
def test_mail_goes_over_tls_and_logged_in(relay, trusted, scheme, implicit_tls):
    handler, port = relay(implicit_tls)
    SmtpMailer(f"{scheme}://{USER}:{PASSWORD}@127.0.0.1:{port}", timeout=5).send(message())
    assert handler.received == [{"tls": True, "authenticated": True}]


@pytest.mark.parametrize(("scheme", "implicit_tls"), [("smtp", False), ("smtps", True)], ids=["starttls", "smtps"])
def test_a_refused_login_is_a_configuration_error_naming_smtp_url(relay, trusted, scheme, implicit_tls):
    handler, port = relay(implicit_tls)
    mailer = SmtpMailer(f"{scheme}://{USER}:wrong-password@127.0.0.1:{port}", timeout=5)
    with pytest.raises(ConfigurationError, match="SMTP login refused \\(535\\).*SMTP_URL"):
        mailer.send(message())
    with pytest.raises(ConfigurationError, match="SMTP_URL"):
        mailer.check_login()
    assert handler.received == []


@pytest.mark.parametrize(("scheme", "implicit_tls"), [("smtp", False), ("smtps", True)], ids=["starttls", "smtps"])
def test_a_certificate_from_an_unknown_ca_is_refused(relay, scheme, implicit_tls):
    handler, port = relay(implicit_tls)  # no SSL_CERT_FILE: the test CA is not trusted
    with pytest.raises(TransientError, match="SSLCertVerificationError"):
        SmtpMailer(f"{scheme}://{USER}:{PASSWORD}@127.0.0.1:{port}", timeout=5).send(message())
    assert handler.received == []
