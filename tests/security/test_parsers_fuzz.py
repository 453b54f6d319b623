"""Hypothesis on the pure functions hostile input reaches first: the webhook parser, status resolution, phone
numbers, log scrubbing and template rendering. They either refuse with their own error or return safe values."""

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import escape

from tests.security.conftest import FIXED
from worker import intake, logs, phones, statuses
from worker.locales import LOCALES
from worker.rendering import Renderer
from worker.rules import DEFAULT_RULES

PURE = settings(FIXED, max_examples=300)  # pure functions: many examples cost little
STATUS_FORM = re.compile(r"[a-z0-9_]{1,64}")
LONE_SURROGATES = st.text(st.characters(categories=["Cs"]), min_size=1, max_size=3)  # JSON can say "\ud800"
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text() | LONE_SURROGATES,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)
NAMES = ("id", "orderId", "_status", "status", "cityLang", "companyName", "trackingUrl")
ANY_FIELDS = st.fixed_dictionaries({}, optional={name: JSON | st.text(max_size=300) for name in NAMES})
WITH_AN_ID = st.fixed_dictionaries(  # past the id check, so the other fields are read
    {"id": st.text("abc-0123456789", min_size=1, max_size=10)},
    optional={name: LONE_SURROGATES | st.text(max_size=300) | JSON for name in NAMES[2:]},
)


def utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def assert_safe(event: intake.IncomingEvent) -> None:
    """What the parser lets through is fit for Redis, logs and Shippify's URL paths."""
    assert event.delivery_id == event.delivery_id.strip() and 0 < len(event.delivery_id) <= intake.MAX_ID_LENGTH
    assert event.delivery_id.isprintable() and event.delivery_id not in (".", "..")
    assert event.status is None or STATUS_FORM.fullmatch(event.status)
    assert event.status_source in ("url", "body", "api")
    for hint in (event.locale_hint, event.merchant_hint):
        assert len(hint) <= intake.MAX_HINT_LENGTH and utf8(hint)
    assert event.tracking_url == "" or (event.tracking_url.startswith("https://") and event.tracking_url.isprintable())


@PURE
@given(
    body=st.binary(max_size=300) | (ANY_FIELDS | WITH_AN_ID).map(lambda d: json.dumps(d).encode()),
    url_status=st.none() | st.just("going_to_dropoff") | st.text(),
)
def test_parser_refuses_with_its_own_error_or_returns_safe_values(body, url_status):
    try:
        event = intake.parse(body, url_status)
    except intake.InvalidWebhook as exc:
        assert exc.error and exc.detail
        return
    assert_safe(event)


@pytest.mark.parametrize(
    ("body", "url_status"),
    [
        (b'{"id": " t-1 ", "cityLang": "es", "companyName": "Tienda"}', "going_to_dropoff"),
        (b'{"orderId": 42, "trackingUrl": "https://x.test/track/42?token=a", "status": "completed"}', None),
    ],
)
def test_parser_accepts_real_bodies_with_the_same_safe_values(body, url_status):
    """The checks the fuzzing applies to whatever gets through, on bodies that must get through."""
    assert_safe(intake.parse(body, url_status))


@FIXED
@given(
    url_status=st.text(max_size=80),
    body_status=JSON | st.text(max_size=80),
    field=st.sampled_from(["_status", "status"]),
)
def test_status_comes_from_the_url_else_the_body_else_shippify(url_status, body_status, field):
    body = json.dumps({"id": "t-1", field: body_status}).encode()
    try:
        from_url = intake.parse(body, url_status)
    except intake.InvalidWebhook as exc:
        assert exc.error == "invalid_status" and statuses.normalise(url_status) is None
    else:
        assert (from_url.status, from_url.status_source) == (url_status.strip().lower(), "url")
    from_body = intake.parse(body, None)
    usable = statuses.normalise(body_status)
    if usable and (field == "_status" or statuses.is_known(usable)):
        assert (from_body.status, from_body.status_source) == (usable, "body")
    else:
        assert (from_body.status, from_body.status_source) == (None, "api")


@FIXED
@given(value=JSON | st.text())
def test_status_normalisation_is_a_safe_idempotent_form(value):
    status = statuses.normalise(value)
    assert status is None or (STATUS_FORM.fullmatch(status) and statuses.normalise(status) == status)


PHONE_LIKE = st.from_regex(r"\A[+]?[0-9 ().-]{0,25}\Z") | st.text(max_size=60) | JSON
REGIONS = st.sampled_from(["EC", "BR", "CL", "MX", "US", "ZZ", "", "xx"])
E164 = re.compile(r"\+[1-9][0-9]{6,14}")


@FIXED
@given(raw=PHONE_LIKE, region=REGIONS)
def test_phone_normalisation_gives_e164_or_a_reason(raw, region):
    check = phones.normalise(raw, region)
    if check.e164 is None:
        assert check.reason in ("no_phone", "invalid_phone", "not_mobile")
        return
    assert check.reason is None and E164.fullmatch(check.e164)
    assert phones.normalise(check.e164, region).e164 == check.e164
    masked = phones.mask(check.e164)
    assert masked.endswith(check.e164[-2:]) and len(re.sub(r"\D", "", masked)) <= 5


TOKEN = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", min_size=8, max_size=40)


@FIXED
@given(
    token=TOKEN, before=st.sampled_from(["", "link:", "GET", "'"]), after=st.sampled_from(["", "&ref=server", " ", '"'])
)
def test_log_scrubbing_removes_any_tracking_token(token, before, after):
    line = f"{before} https://api.shippify.co/track/t-1?token={token}{after} /x?token={token}"
    assert token not in logs.scrub(line)


PHONE_FORMS = [
    "+593 99 897 6565",
    "0998976565",
    "(02) 123-4567",
    "+55 11 91234-5678",
    "%2B593998976565",
    "+593998976565",
    "+1 (415) 555-0100",
    "099-897-6565",
]
KEPT = [
    "[2026-11-29 07:23:24 +0000] [1234] [INFO] Listening at: http://0.0.0.0:8000 (1234)",
    "Listening at: http://127.0.0.1:8070 (98765)",
    "Booting worker with pid: 4567",
    "redis 10.0.12.34:6379 connected",
    "GET /healthz 200 in 12.5 ms",
    "job finished in 0.25s",
    "retry in 900 s, attempt 3 of 5",
    "at 2026-11-29T07:23:24.123Z",
    "delivery t-shiinc-27946 sent",
    "job 3f2a1b4c-1234-5678-9abc-def012345678 started",
    "request 0123456789abcdef0123456789abcdef",
    "event 1234567890abcdef12345678 queued",
]
LOG_CONTEXT = st.sampled_from(KEPT)


@pytest.mark.parametrize("line", KEPT)
def test_log_scrubbing_leaves_addresses_ports_pids_durations_times_and_ids_readable(line):
    assert logs.scrub(line) == line


@pytest.mark.parametrize("phone", PHONE_FORMS)
def test_log_scrubbing_masks_every_phone_form(phone):
    assert logs.scrub(f"SMS to {phone} sent") == "SMS to [phone] sent"


@FIXED
@given(phone=st.sampled_from(PHONE_FORMS), before=LOG_CONTEXT, after=LOG_CONTEXT, email=st.emails())
def test_log_scrubbing_masks_personal_data_and_keeps_what_surrounds_it(phone, before, after, email):
    """Phone numbers and emails amid gunicorn, RQ and request lines: they go, every other figure stays."""
    scrubbed = logs.scrub(f"{before} | to {phone} / {email} | {after}")
    assert scrubbed.startswith(f"{logs.scrub(before)} | to [phone] / ") and scrubbed.endswith(f" | {after}")
    assert email not in scrubbed and re.sub(r"\D", "", phone) not in re.sub(r"\D", "", scrubbed)


INJECTIONS = st.sampled_from(
    [
        "{{ 7*7 }}",
        "{% for x in range(3) %}x{% endfor %}",
        "<script>alert(1)</script>",
        "{{ config }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "\"'><img src=x onerror=alert(1)>",
        "{# c #}",
        "&amp;",
    ]
)
VALUE = st.lists(INJECTIONS | st.text(min_size=1, max_size=10), min_size=1, max_size=3).map("".join)
SHOWN = ("first_name", "recipient_name", "merchant", "reference", "reason")
CASES = [(status, locale) for status in DEFAULT_RULES for locale in LOCALES]
RENDERER = Renderer()


def stable(value: str) -> bool:
    """Templates trim the reason (spaces and a final dot); keep values that trimming leaves alone."""
    return value == value.strip().strip(".").strip()


def render_all(status: str, locale: str, context: dict) -> dict[str, str]:
    email = RENDERER.email(status, locale, context)
    parts = {"sms": RENDERER.sms(status, locale, context), "subject": email.subject, "text": email.text}
    return {**{k: " ".join(v.split()) for k, v in parts.items()}, "html": " ".join(email.html.split())}


@pytest.mark.parametrize(("status", "locale"), CASES)
@FIXED
@given(values=st.fixed_dictionaries({name: VALUE.filter(stable) for name in SHOWN}))
def test_values_are_rendered_as_text_and_escaped_in_html(status, locale, values):
    """Rendering with hostile values gives exactly what rendering with markers gives, the markers replaced by the
    values: nothing in a value is ever evaluated; in HTML, the values appear escaped."""
    link = "https://api.shippify.co/track/t-1?token=Tok3n&ref=server"
    markers = {name: f"MARKER{i}X" for i, name in enumerate(SHOWN)}
    base = {"tracking_url": link, "delivery_id": "t-1"}
    expected = render_all(status, locale, {**base, **markers})
    assert markers["merchant"] in expected["sms"] and markers["merchant"] in expected["html"]
    actual = render_all(status, locale, {**base, **values})
    for part, text in expected.items():
        for name, marker in markers.items():
            shown = str(escape(values[name])) if part == "html" else values[name]
            text = text.replace(marker, " ".join(shown.split()))
        assert actual[part] == text, part
