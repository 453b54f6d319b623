"""The console finds a recipient's deliveries by phone (any national format) or email, and admins export or erase a
person's data on the "Recipients" page; the index holds no raw contact."""

import json
import re

import pytest

from tests.recipient_data import FIRST, OTHER, PHONE_E164, SECOND, mentions, reply, the_person_and_another
from worker import recipients
from worker.store import erasure

BAD_TERM = "No delivery has that id or merchant reference. It is not a phone number or an email address either"


@pytest.fixture
def sent(sandbox, post_webhook, work) -> None:
    """The person's two deliveries and another recipient's, every message handed to its provider."""
    the_person_and_another(sandbox, post_webhook, work, fail_second=False)


@pytest.fixture
def staff_client(client, sign_in, sent):
    return sign_in(client)


def found(page: str) -> list[str]:
    """The delivery ids a results page links to, in order."""
    return re.findall(r'href="/console/deliveries/([^"]+)"', page)


@pytest.mark.parametrize("term", ["099 123 4567", "0991234567", "(099) 123-4567", "+593991234567", "+593 99 123 4567"])
def test_search_by_phone_in_any_format_finds_the_recipients_deliveries_newest_first(staff_client, term):
    response = staff_client.get("/console/find", query_string={"q": term})
    assert response.status_code == 200, response.text
    assert found(response.text) == [SECOND, FIRST]


def test_search_by_email_in_another_case(staff_client):
    response = staff_client.get("/console/find", query_string={"q": " Anacleta.PEREZ@example.com "})
    assert response.status_code == 200 and found(response.text) == [SECOND, FIRST]


def test_a_term_that_is_no_id_reference_phone_or_email_gets_a_clear_message(staff_client):
    response = staff_client.get("/console/find", query_string={"q": "hello there"})
    assert response.status_code == 404 and BAD_TERM in response.text
    spanish = staff_client.get("/console/find", query_string={"q": "hello there"}, headers={"Accept-Language": "es"})
    assert "Tampoco es un teléfono ni un email" in spanish.text


def test_a_contact_nothing_was_sent_to_says_so(staff_client):
    response = staff_client.get("/console/find", query_string={"q": "0987000111"})
    assert response.status_code == 404 and "Nothing was sent to that phone number or email" in response.text


def test_the_index_holds_no_raw_contact(sent, redis_client, services):
    assert redis_client.keys("ntf:contact:*")  # the index is there...
    assert recipients.deliveries(services.store, PHONE_E164) == [SECOND, FIRST]
    assert mentions(redis_client) == []  # ...and no key or value anywhere names the person


def test_a_rotated_key_still_finds_what_the_old_one_wrote(sent, make_app):
    rotated = make_app(CONTACT_INDEX_KEY="a-brand-new-index-key-0123,development-only-contact-index-key")
    store = rotated.extensions["notifier"].store
    assert recipients.deliveries(store, PHONE_E164) == [SECOND, FIRST]
    alone = make_app(CONTACT_INDEX_KEY="a-brand-new-index-key-0123").extensions["notifier"].store
    assert recipients.deliveries(alone, PHONE_E164) == []  # the key matters: the digest is keyed


# --- the admin page ------------------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, sign_in, sent, sandbox):
    reply(client, sandbox, PHONE_E164, "STOP", "SM" + "b" * 32)
    return sign_in(client, "boss", "admin")


def token(test_client) -> str:
    page = test_client.get("/console/admin/recipients").text
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_support_staff_are_refused(staff_client):
    assert staff_client.get("/console/admin/recipients").status_code == 403
    assert staff_client.post("/console/admin/recipients/forget", data={"contact": PHONE_E164}).status_code in (400, 403)
    assert recipients.deliveries(staff_client.application.extensions["notifier"].store, PHONE_E164)


def test_admin_sees_and_downloads_what_is_kept(admin_client):
    page = admin_client.post(
        "/console/admin/recipients", data={"contact": "099 123 4567", "csrf_token": token(admin_client)}
    )
    assert page.status_code == 200 and PHONE_E164 in page.text and found(page.text) == [SECOND, FIRST]
    assert "Opted out of SMS" in page.text
    data = {"contact": "0991234567", "csrf_token": token(admin_client)}
    download = admin_client.post("/console/admin/recipients/export", data=data)
    assert download.status_code == 200 and download.mimetype == "application/json"
    assert download.headers["Content-Disposition"] == 'attachment; filename="recipient-export.json"'
    document = json.loads(download.text)
    assert [d["delivery_id"] for d in document["deliveries"]] == [SECOND, FIRST] and document["opt_outs"]


def test_admin_erases_after_confirming(admin_client, redis_client):
    data = {"contact": "anacleta.perez@example.com", "csrf_token": token(admin_client)}
    unconfirmed = admin_client.post("/console/admin/recipients/forget", data=data)
    assert unconfirmed.status_code == 400 and "Tick the confirmation" in unconfirmed.text
    assert (
        admin_client.post(
            "/console/admin/recipients/forget", data={**data, "confirm": "y", "csrf_token": ""}
        ).status_code
        == 400
    )
    assert mentions(redis_client) == [] and redis_client.exists(f"ntf:delivery:{FIRST}")  # still there
    done = admin_client.post("/console/admin/recipients/forget", data={**data, "confirm": "y"}, follow_redirects=True)
    assert done.status_code == 200 and "Deliveries erased: 2" in done.text
    assert not redis_client.exists(f"ntf:delivery:{FIRST}", f"ntf:delivery:{SECOND}")
    assert redis_client.exists(f"ntf:delivery:{OTHER}")
    (entry,) = erasure.erasures(redis_client)
    assert entry["actor"] == "boss" and entry["deliveries"] == 2 and "anacleta" not in json.dumps(entry).lower()
    assert '<td data-label="Who">boss</td>' in done.text


def test_not_a_contact_is_named_on_the_field(admin_client):
    page = admin_client.post(
        "/console/admin/recipients", data={"contact": "PO-7781", "csrf_token": token(admin_client)}
    )
    assert page.status_code == 400 and "neither a phone number nor an email address" in page.text
