"""Fake Twilio Messages API, close enough that the real twilio SDK works against it unchanged."""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, request

from sandbox.faults import Conditions, Fault
from sandbox.twilio_messages import API_VERSION, Message, TwilioStore
from sandbox.whatsapp import WhatsAppBook, is_whatsapp, rendered_body, whatsapp_error

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
MAX_BODY = 1600
MESSAGES = {
    20001: "Invalid parameter",
    20003: "Authenticate",
    20404: "The requested resource was not found",
    20429: "Too Many Requests",
    20500: "Internal Server Error",
    20503: "Service Unavailable",
    21211: "The 'To' number is not a valid phone number.",
    21602: "Message body is required.",
    21603: "A 'From' or 'MessagingServiceSid' parameter is required to send a message.",
    21604: "A 'To' phone number is required.",
    21610: "Attempt to send to unsubscribed recipient",
    21617: "The concatenated message body exceeds the 1600 character limit.",
    21654: "A ContentSid must be specified if ContentVariables are provided in the request.",
    21655: "The ContentSid is Invalid",
    21656: "The ContentVariables Parameter is invalid",
    63007: "Twilio could not find a Channel with the specified From address",
    63013: "Channel policy violation",
    63016: "Failed to send freeform message because you are outside the allowed window. Please use a Template.",
    63021: "Channel invalid content error",
}
STATUS_FOR_CODE = {20003: 401, 20404: 404, 20429: 429, 20500: 500, 20503: 503}
CODE_FOR_STATUS = {401: 20003, 404: 20404, 429: 20429, 500: 20500, 503: 20503}
FILTER_KEYS = ("To", "From")

Answer = tuple[Response, int]


def twilio_error(status: int, code: int, message: str | None = None) -> Answer:
    """An error body in Twilio's shape, which the SDK turns into TwilioRestException."""
    body = {
        "code": code,
        "message": message or MESSAGES.get(code, f"Sandbox fault: HTTP {status}"),
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    response = jsonify(body)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
    return response, status


def fault_status_and_code(fault: Fault) -> tuple[int, int]:
    """Fill whichever of HTTP status / Twilio code the fault left out."""
    if fault.status is not None:
        return fault.status, fault.code or CODE_FOR_STATUS.get(fault.status, fault.status)
    if fault.code is not None:
        return STATUS_FOR_CODE.get(fault.code, 400), fault.code
    return (500, 20500) if fault.hang is None else (503, 20503)


def auth_error(store: TwilioStore, account_sid: str) -> Answer | None:
    """Basic auth with the account sid and token; the sid in the path must be the same account."""
    auth = request.authorization
    ok = (
        auth is not None
        and auth.type == "basic"
        and hmac.compare_digest((auth.username or "").encode(), store.account_sid.encode())
        and hmac.compare_digest((auth.password or "").encode(), store.auth_token.encode())
        and account_sid == store.account_sid
    )
    return None if ok else twilio_error(401, 20003)


def validation_error(form: dict[str, str], opted_out: set[str]) -> Answer | None:
    """The checks Twilio makes before taking a message, with its error codes."""
    to, body = form.get("To", ""), form.get("Body", "")
    if not to:
        return twilio_error(400, 21604)
    if not E164.match(to):
        return twilio_error(400, 21211)
    if not form.get("From") and not form.get("MessagingServiceSid"):
        return twilio_error(400, 21603)
    if not body:
        return twilio_error(400, 21602)
    if len(body) > MAX_BODY:
        return twilio_error(400, 21617)
    if to in opted_out:
        return twilio_error(400, 21610)
    return None


def parse_when(value: str) -> tuple[datetime, bool]:
    """A DateSent filter value: a date (YYYY-MM-DD) or an ISO-8601 datetime; flag says date-only."""
    if len(value) == 10:
        return datetime.fromisoformat(value).replace(tzinfo=UTC), True
    moment = datetime.fromisoformat(value)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)), False


def date_ok(when: datetime, operator: str, value: str) -> bool:
    """Apply one DateSent (same day), DateSent>(=) or DateSent<(=) filter; bounds are inclusive like Twilio's."""
    bound, date_only = parse_when(value)
    end = bound + timedelta(days=1) if date_only else bound
    if operator in (">", ">="):
        return when >= bound
    if operator in ("<", "<="):
        return when < end if date_only else when <= end
    return when.date() == bound.date()


def matches(message: Message, args: dict[str, str]) -> bool:
    """Whether a message passes the list filters (To, From, DateSent...)."""
    if "To" in args and message.to != args["To"]:
        return False
    if "From" in args and message.from_ != args["From"]:
        return False
    when = datetime.fromtimestamp(message.date_sent or message.created_at, UTC)
    dates = {key[len("DateSent") :]: value for key, value in args.items() if key.startswith("DateSent")}
    return all(date_ok(when, operator, value) for operator, value in dates.items())


def page_uri(base: str, args: dict[str, str], page: int, size: int) -> str:
    """A list page's URI with the caller's filters kept."""
    query = {k: v for k, v in args.items() if k in FILTER_KEYS or k.startswith("DateSent")}
    query.update({"PageSize": str(size), "Page": str(page)})
    return f"{base}?{urlencode(query)}"


def list_page(account_sid: str, messages: list[Message], args: dict[str, str]) -> dict[str, Any]:
    """One page of the list in Twilio's shape, newest first."""
    size = min(max(int(args.get("PageSize", 50)), 1), 1000)
    page = max(int(args.get("Page", 0)), 0)
    start = page * size
    chunk = messages[start : start + size]
    base = f"/{API_VERSION}/Accounts/{account_sid}/Messages.json"
    has_next = start + size < len(messages)
    return {
        "messages": [m.resource() for m in chunk],
        "end": max(start + len(chunk) - 1, 0),
        "first_page_uri": page_uri(base, args, 0, size),
        "next_page_uri": page_uri(base, args, page + 1, size) if has_next else None,
        "page": page,
        "page_size": size,
        "previous_page_uri": page_uri(base, args, page - 1, size) if page > 0 else None,
        "start": start,
        "uri": page_uri(base, args, page, size),
    }


def accept_whatsapp(store: TwilioStore, book: WhatsAppBook, form: dict[str, str]) -> Message | Answer:
    """Take a WhatsApp send with its rendered text, or Twilio's refusal."""
    code = whatsapp_error(form, book, E164)
    if code is not None:
        return twilio_error(400, code)
    return store.accept(form, body=rendered_body(form, book))


def twilio_blueprint(
    store: TwilioStore,
    conditions: Conditions,
    on_accept: Callable[[Message], None],
    whatsapp: WhatsAppBook | None = None,
) -> Blueprint:
    """Routes under /2010-04-01 for creating, fetching and listing messages (SMS, and WhatsApp when given a book)."""
    bp = Blueprint("twilio", __name__)
    prefix = f"/{API_VERSION}/Accounts/<account_sid>"

    def created(message: Message) -> Answer:
        """Tell the owner about the new message, then answer 201 with it."""
        on_accept(message)
        return jsonify(message.resource()), 201

    def play_fault(fault: Fault, form: dict[str, str]) -> Answer:
        """Act out a queued fault; with accept=True the message is taken before the delay."""
        rendered = rendered_body(form, whatsapp) if whatsapp is not None and is_whatsapp(form) else None
        taken = store.accept(form, body=rendered) if fault.accept else None
        if taken is not None:
            on_accept(taken)
        conditions.sleep(fault.hang)
        if taken is not None and fault.status is None and fault.code is None:
            return jsonify(taken.resource()), 201
        status, code = fault_status_and_code(fault)
        return twilio_error(status, code, fault.message)

    @bp.post(f"{prefix}/Messages.json")
    def create(account_sid: str) -> Any:
        """POST a message: auth, latency, faults, validation, then 201."""
        store.count_request()
        conditions.pause("twilio")
        refused = auth_error(store, account_sid)
        if refused is not None:
            return refused
        form = request.form.to_dict()
        fault = conditions.take("twilio")
        if fault is not None:
            return play_fault(fault, form)
        if form.get("ContentVariables") and not form.get("ContentSid"):
            return twilio_error(400, 21654)
        if whatsapp is not None and is_whatsapp(form):
            taken = accept_whatsapp(store, whatsapp, form)
            return created(taken) if isinstance(taken, Message) else taken
        invalid = validation_error(form, store.opted_out)
        return invalid if invalid is not None else created(store.accept(form))

    @bp.get(f"{prefix}/Messages/<sid>.json")
    def fetch(account_sid: str, sid: str) -> Any:
        """GET one message, or Twilio's 404."""
        conditions.pause("twilio")
        refused = auth_error(store, account_sid)
        if refused is not None:
            return refused
        message = store.get(sid)
        if message is None:
            return twilio_error(404, 20404, f"The requested resource {request.path} was not found")
        return jsonify(message.resource())

    @bp.get(f"{prefix}/Messages.json")
    def read(account_sid: str) -> Any:
        """GET the filtered list, newest first."""
        conditions.pause("twilio")
        refused = auth_error(store, account_sid)
        if refused is not None:
            return refused
        args = request.args.to_dict()
        try:
            found = [m for m in reversed(store.messages()) if matches(m, args)]
            return jsonify(list_page(account_sid, found, args))
        except ValueError:
            return twilio_error(400, 20001)

    return bp
