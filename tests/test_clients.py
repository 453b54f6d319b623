"""Each outside client maps failures to transient (retry) or permanent (fail now), over real sockets."""

from email.message import EmailMessage

import pytest

from tests.conftest import free_port
from worker.clients.shippify import ShippifyClient
from worker.clients.smtp_mailer import SmtpMailer, SmtpTarget
from worker.clients.twilio_sms import TwilioSms
from worker.errors import (
    AmbiguousSend,
    ConfigurationError,
    PermanentError,
    RecipientRejected,
    TransientError,
    UnknownDelivery,
)


@pytest.fixture
def shippify(sandbox):
    return ShippifyClient(sandbox.api_url, sandbox.app_id, sandbox.app_secret, timeout=1)


@pytest.fixture
def twilio(sandbox):
    return TwilioSms(sandbox.account_sid, sandbox.auth_token, from_="+15005550006", api_url=sandbox.api_url, timeout=1)


def test_shippify_reads_delivery_and_link(sandbox, shippify):
    sandbox.add_delivery("t-1", reference="PO-1")
    assert shippify.get_delivery("PO-1")["id"] == "t-1"
    link = shippify.get_tracking_link("t-1")
    assert "token=" in link.url and "token" not in repr(link)


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (401, ConfigurationError),
        (403, ConfigurationError),
        (429, TransientError),
        (500, TransientError),
        (502, TransientError),
        (503, TransientError),
        (400, PermanentError),
    ],
)
def test_shippify_status_mapping(sandbox, shippify, status, error):
    sandbox.add_delivery("t-1")
    sandbox.fail("shippify", status=status, times=1)
    with pytest.raises(error) as raised:
        shippify.get_delivery("t-1")
    if status in (401, 403):
        assert "SHIPPIFY_APP_ID" in str(raised.value)
    assert type(raised.value) is error


def test_shippify_unknown_delivery(sandbox, shippify):
    with pytest.raises(UnknownDelivery):
        shippify.get_delivery("t-missing")


def test_shippify_wrong_credentials(sandbox):
    client = ShippifyClient(sandbox.api_url, sandbox.app_id, "wrong", timeout=1)
    with pytest.raises(ConfigurationError):
        client.get_delivery("t-1")


def test_shippify_timeout_and_refused_connection_are_transient(sandbox, shippify):
    sandbox.add_delivery("t-1")
    sandbox.latency["shippify"] = 1.5
    with pytest.raises(TransientError, match="did not answer"):
        shippify.get_delivery("t-1")
    sandbox.latency["shippify"] = 0.0
    with pytest.raises(TransientError, match="unreachable"):
        ShippifyClient(f"http://127.0.0.1:{free_port()}", "a", "b", timeout=1).get_delivery("t-1")


def test_twilio_accepts_a_message(sandbox, twilio):
    sent = twilio.send("+593998976565", "hola")
    assert sent.sid.startswith("SM") and sent.status == "queued"
    assert sandbox.sms[0]["to"] == "+593998976565"


@pytest.mark.parametrize(
    ("code", "status", "error"),
    [
        (21211, 400, RecipientRejected),
        (21610, 400, RecipientRejected),
        (21614, 400, RecipientRejected),
        (21612, 400, RecipientRejected),
        (21635, 400, RecipientRejected),
        (21408, 400, ConfigurationError),
        (21606, 400, ConfigurationError),
        (21608, 400, ConfigurationError),
        (20003, 401, ConfigurationError),
        (20429, 429, TransientError),
        (21611, 400, TransientError),
        (20500, 500, TransientError),
        (30001, 503, TransientError),
        (21617, 400, PermanentError),
    ],
)
def test_twilio_error_codes(sandbox, twilio, code, status, error):
    sandbox.fail("twilio", status=status, code=code, times=1)
    with pytest.raises(error) as raised:
        twilio.send("+593998976565", "hola")
    assert type(raised.value) is error
    assert "998976565" not in str(raised.value)
    if code == 21610:
        assert raised.value.opted_out


def test_twilio_refused_connection_is_transient_but_a_read_timeout_is_ambiguous(sandbox, twilio):
    refused = TwilioSms("AC" + "0" * 32, "t", from_="+15005550006", api_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(TransientError):
        refused.send("+593998976565", "hola")
    sandbox.fail("twilio", hang=2.0, accept=True)
    with pytest.raises(AmbiguousSend):
        twilio.send("+593998976565", "hola")


def email(to="ana@example.com") -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "t@sandbox.test", to, "Hola"
    message.set_content("hola")
    return message


def test_smtp_sends(sandbox):
    SmtpMailer(sandbox.smtp_url, timeout=2).send(email())
    assert sandbox.emails[0].message["Subject"] == "Hola"


@pytest.mark.parametrize(
    ("code", "error"), [(451, TransientError), (421, TransientError), (550, RecipientRejected), (554, PermanentError)]
)
def test_smtp_codes(sandbox, code, error):
    sandbox.fail("smtp", code=code, times=1)
    with pytest.raises(error) as raised:
        SmtpMailer(sandbox.smtp_url, timeout=2).send(email())
    assert type(raised.value) is error
    assert not sandbox.emails


def test_smtp_unreachable_is_transient():
    with pytest.raises(TransientError):
        SmtpMailer(f"smtp://127.0.0.1:{free_port()}", timeout=1).send(email())


def test_smtp_require_starttls_refuses_a_server_without_it(sandbox):
    with pytest.raises(ConfigurationError, match="STARTTLS"):
        SmtpMailer(sandbox.smtp_url + "?starttls=require", timeout=2).send(email())
    assert not sandbox.emails


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://apikey:s%40cret@smtp.sendgrid.net:587", ("smtp.sendgrid.net", 587, False, False, "apikey", "s@cret")),
        ("smtps://u:p@smtp.example.com", ("smtp.example.com", 465, True, False, "u", "p")),
        ("smtp://relay.example.com?starttls=require", ("relay.example.com", 587, False, True, "", "")),
    ],
)
def test_smtp_url_forms(url, expected):
    t = SmtpTarget.parse(url)
    assert (t.host, t.port, t.implicit_tls, t.require_starttls, t.username, t.password) == expected


@pytest.mark.parametrize("delivery_id", [".", "..", " .. "])
def test_dot_segments_never_reach_shippify(sandbox, shippify, delivery_id):
    with pytest.raises(UnknownDelivery):
        shippify.get_delivery(delivery_id)
    with pytest.raises(UnknownDelivery):
        shippify.get_tracking_link(delivery_id)
    assert sandbox.shippify_calls == []
