"""The console's pages: find, the delivery page and its timeline, resend, failed jobs, translations."""

from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

DELIVERY = "t-shiinc-27946"
TRANSLATIONS = Path(__file__).resolve().parent.parent / "web" / "translations"


@pytest.fixture
def staff_client(client, sign_in, sandbox):
    sandbox.add_delivery(DELIVERY, reference="PO-7781", name="Iliana Bolaños")
    return sign_in(client)


def resend_form(staff_client, csrf_token, **fields):
    """POST the resend form of the delivery page."""
    form = {"csrf_token": csrf_token(staff_client, f"/console/deliveries/{DELIVERY}"), "channels": ["sms"], **fields}
    return staff_client.post(f"/console/deliveries/{DELIVERY}/resend", data=form)


@pytest.mark.parametrize("query", [DELIVERY, "PO-7781", "  PO-7781 "])
def test_find_by_id_or_merchant_reference(staff_client, query):
    response = staff_client.get("/console/find", query_string={"q": query})
    assert response.status_code == 302 and response.headers["Location"] == f"/console/deliveries/{DELIVERY}"


def test_find_unknown(staff_client):
    response = staff_client.get("/console/find", query_string={"q": "PO-0000"})
    assert response.status_code == 404 and "No delivery has that id or merchant reference." in response.text


def test_home_lists_recent_activity(staff_client, post_webhook, work):
    post_webhook({"id": DELIVERY}, status="going_to_dropoff")
    work()
    page = staff_client.get("/console/").text
    assert f'href="/console/deliveries/{DELIVERY}"' in page and "going_to_dropoff" in page
    assert "998976565" not in page


def test_delivery_page_shows_timeline_link_and_masked_destinations(staff_client, post_webhook, work, sandbox):
    post_webhook({"id": DELIVERY}, status="going_to_dropoff")
    work()
    page = staff_client.get(f"/console/deliveries/{DELIVERY}").text
    assert sandbox.tracking_url(DELIVERY).replace("&", "&amp;") in page
    assert "Iliana Bolaños" in page and "PO-7781" in page
    assert "+593…65" in page and "t…@example.com" in page and "998976565" not in page
    assert 'class="badge ok">sent<' in page  # the email
    assert 'class="badge wait">queued at the provider<' in page  # the SMS, until Twilio reports on it
    assert "es/going_to_dropoff/sms" in page and "es/going_to_dropoff/email" in page


def test_unknown_delivery_page_is_404(staff_client):
    assert staff_client.get("/console/deliveries/t-nobody").status_code == 404


def test_resend_to_a_corrected_number_appears_in_the_timeline(staff_client, csrf_token, work, sandbox, services):
    response = resend_form(staff_client, csrf_token, phone="099 111 2233", reason="changed number")
    assert response.status_code == 302 and response.headers["Location"].endswith("#timeline")
    work()
    (sms,) = sandbox.sms
    assert sms["to"] == "+593991112233" and sms["body"].endswith(sandbox.tracking_url(DELIVERY))
    page = staff_client.get(f"/console/deliveries/{DELIVERY}").text
    assert "SMS to +593…33 queued." in page
    assert "resent by ana" in page and "changed number" in page and "corrected destination" in page
    (record,) = services.store.notifications(DELIVERY)
    assert (record.kind, record.actor, record.destination) == ("resend", "ana", "+593…33")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"phone": "12345"}, "Enter a mobile number in international form"),
        ({"channels": ["email"], "email": "ana@"}, "Enter an email address such as name@example.com."),
        ({"channels": []}, "Choose at least one channel."),
        (
            {"channels": ["email"], "phone": "+593991112233"},
            "A corrected phone is only used when SMS or WhatsApp is chosen.",
        ),
    ],
)
def test_invalid_fields_are_shown_next_to_them(staff_client, csrf_token, sandbox, services, fields, message):
    response = resend_form(staff_client, csrf_token, **fields)
    assert response.status_code == 400
    assert '<small class="error"' in response.text and message in response.text
    assert not services.store.notifications(DELIVERY)


def test_delivery_without_phone_asks_for_a_corrected_one(staff_client, csrf_token, sandbox):
    sandbox.add_delivery(DELIVERY, phone=None)
    response = resend_form(staff_client, csrf_token)
    assert response.status_code == 400 and "no usable phone number" in response.text


def test_cap_is_explained(staff_client, csrf_token, work, sandbox):
    for _ in range(5):
        assert resend_form(staff_client, csrf_token).status_code == 302
    refused = resend_form(staff_client, csrf_token)
    assert refused.status_code == 429
    assert "already resent 5 times in the last hour" in refused.text
    work()
    assert len(sandbox.sms) == 5


def test_opted_out_number_is_reported(staff_client, csrf_token, services, work, sandbox):
    services.store.opt_out("+593998976565")
    resend_form(staff_client, csrf_token)
    work()
    assert not sandbox.sms
    page = staff_client.get(f"/console/deliveries/{DELIVERY}").text
    assert "not sent: the recipient replied STOP." in page and "suppressed" in page


def test_spanish_console(staff_client, csrf_token):
    token = csrf_token(staff_client, "/console/")
    staff_client.post("/console/language", data={"lang": "es", "next": "/console/", "csrf_token": token})
    page = staff_client.get(f"/console/deliveries/{DELIVERY}").text
    assert '<html lang="es">' in page and "Reenviar ahora" in page and "Enlace de seguimiento actual" in page


def test_admin_requeues_and_discards_failed_jobs(client, sign_in, csrf_token, sandbox, post_webhook, work, services):
    sandbox.add_delivery("t-1", email=None)
    post_webhook({"id": "t-1"}, status="going_to_dropoff")
    sandbox.fail("twilio", status=401, code=20003, times=1)
    work()
    sign_in(client, role="admin")
    page = client.get("/console/admin/failed").text
    assert "send sms for delivery t-1" in page and "ConfigurationError" in page
    (job_id,) = services.queue.failed_job_registry.get_job_ids()
    token = csrf_token(client, "/console/admin/failed")
    assert client.post(f"/console/admin/failed/{job_id}/requeue", data={"csrf_token": token}).status_code == 302
    work()
    assert len(sandbox.sms) == 1
    assert client.post("/console/admin/failed/discard-all", data={"csrf_token": token}).status_code == 302
    assert "No failed jobs." in client.get("/console/admin/failed").text


@pytest.mark.parametrize("locale", ["es", "pt"])
def test_translations_are_complete_and_compiled(locale):
    folder = TRANSLATIONS / locale / "LC_MESSAGES"
    with (TRANSLATIONS / "messages.pot").open("rb") as pot, (folder / "messages.po").open("rb") as p:
        template, po = read_po(pot), read_po(p)
    with (folder / "messages.mo").open("rb") as m:
        mo = read_mo(m)
    wanted = {m.id for m in template if m.id}
    assert wanted <= {m.id for m in po if m.id and m.string}, "translate the new messages (see babel.cfg)"
    assert {m.id: m.string for m in po if m.id} == {m.id: m.string for m in mo if m.id}, "run pybabel compile"


SAMPLE_SMS = "Farmacias del Puerto: Guadalupe-Concepcion, tu pedido va en camino. Siguelo: https://api.shippify.co/"


@pytest.mark.parametrize("role", ["support", "admin"])
def test_messages_page_shows_every_sms_and_email(client, sign_in, role):
    page = sign_in(client, role=role).get("/console/messages").text
    assert 'href="/console/messages">Messages</a>' in page
    assert f'<p class="sms-text">{SAMPLE_SMS}track/t-demo-00127?token=ThegDpp8VhtbAVw1y7NjSZ&amp;ref=server</p>' in page
    assert "159 characters<br>GSM-7<br>" in page and "Segments: 2" in page
    assert "Subject: <strong>Padaria São Benedito: seu pedido foi entregue</strong>" in page
    assert page.count('/email">View email</a>') == 18 and 'class="over"' not in page


def test_messages_page_marks_an_sms_over_budget(staff_client, tmp_path):
    from worker.rendering import Renderer

    (tmp_path / "en" / "at_dropoff").mkdir(parents=True)
    (tmp_path / "en" / "at_dropoff" / "sms.txt").write_text("{{ merchant }}: " + "x" * 60 + " {{ tracking_url }}")
    staff_client.application.extensions["notifier"].renderer = Renderer(tmp_path)
    page = staff_client.get("/console/messages").text
    assert '<tr class="over">' in page and "Over budget (max. 1)" in page


def test_email_preview_is_a_sandboxed_iframe_of_a_page_that_cannot_run_anything(staff_client):
    page = staff_client.get("/console/messages/pt/going_to_dropoff/email").text
    assert '<iframe class="email-preview" sandbox src="/console/messages/pt/going_to_dropoff/email.html"' in page
    assert "<h1>Padaria São Benedito: seu pedido está a caminho</h1>" in page and "Olá, Maria-José-Conceição," in page
    html = staff_client.get("/console/messages/pt/going_to_dropoff/email.html")
    policy = html.headers["Content-Security-Policy"]
    assert html.mimetype == "text/html" and '<html lang="pt">' in html.text
    assert policy.startswith("default-src 'none';") and policy.endswith("; sandbox")
    assert "script" not in policy and "frame-ancestors 'self'" in policy
    assert html.headers["X-Frame-Options"] == "SAMEORIGIN" and html.headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize(
    "path",
    ["/console/messages/fr/completed/email", "/console/messages/es/deleted/email.html", "/console/messages/es/x"],
)
def test_unknown_message_preview_is_404(staff_client, path):
    assert staff_client.get(path).status_code == 404


@pytest.mark.parametrize("path", ["/console/messages", "/console/messages/es/completed/email.html"])
def test_message_preview_needs_sign_in(client, path):
    assert client.get(path).status_code == 302


def test_spanish_messages_page(staff_client, csrf_token):
    token = csrf_token(staff_client, "/console/")
    staff_client.post("/console/language", data={"lang": "es", "next": "/console/", "csrf_token": token})
    page = staff_client.get("/console/messages").text
    assert "<h1>Mensajes</h1>" in page and "159 caracteres" in page and "Ver email" in page


WHATSAPP_ES = (
    "Hola Guadalupe-Concepción, tu pedido de Farmacias del Puerto va en camino.\n"
    "Síguelo aquí: https://api.shippify.co/track/t-demo-00127?token=ThegDpp8VhtbAVw1y7NjSZ&amp;ref=server\n"
    "Te avisaremos cuando llegue."
)


def test_messages_page_shows_each_whatsapp_template_as_the_recipient_reads_it(client, sign_in):
    page = sign_in(client).get("/console/messages").text
    assert f'<div class="wa-chat"><p class="wa-bubble">{WHATSAPP_ES}</p></div>' in page
    assert page.count('<span class="badge ok">Billed per message</span>') == 18  # the example mapping, 6 × 3
    assert "WHATSAPP_TEMPLATES is not set: these are the example templates" in page
    assert "<li><code>{{3}}</code> tracking_url</li>" in page
    assert 'class="whatsapp over"' not in page


def test_messages_page_marks_a_whatsapp_template_out_of_step_with_its_text(make_app, sign_in, tmp_path):
    example = (Path(__file__).resolve().parent.parent / "whatsapp_templates.example.toml").read_text()
    mapping = tmp_path / "whatsapp.toml"
    mapping.write_text(example.replace(', "3" = "tracking_url" }', " }", 1))  # [going_to_dropoff.es] loses {{3}}
    client = make_app(WHATSAPP_TEMPLATES=str(mapping)).test_client()
    page = sign_in(client).get("/console/messages").text
    assert page.count('<tr class="whatsapp over">') == 1
    assert "The approved text: uses variables [&#39;1&#39;, &#39;2&#39;, &#39;3&#39;] but the mapping gives" in page
    assert "WHATSAPP_TEMPLATES is not set" not in page
