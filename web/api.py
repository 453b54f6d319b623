"""The API for support tools, with a bearer token (API_TOKENS): `GET /api/deliveries/<id>`, what is known of a
delivery; `POST /api/deliveries/<id>/resend`, the console's resend."""

import json
import logging
from typing import Any, TypeGuard

from flask import Blueprint, Response, current_app, g, jsonify, request

from web import delivery_answer, resend_answers
from web.errors import error
from web.secret_match import matching
from worker import intake, resend
from worker.services import Services

bp = Blueprint("api", __name__, url_prefix="/api")
log = logging.getLogger(__name__)
MAX_BODY_BYTES = 16 * 1024


def token_name(header: str | None, tokens: dict[str, str]) -> str | None:
    """The name of the token in `Authorization: Bearer <token>`, compared in constant time with every token."""
    scheme, _, provided = (header or "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return matching(provided.strip(), ((name, token.encode()) for name, token in tokens.items()))


@bp.before_request
def authenticate() -> Response | None:
    """401 without a valid token; the token's name is the audit actor."""
    services: Services = current_app.extensions["notifier"]
    tokens = dict(services.settings.api_tokens)
    if not tokens:
        return error(401, "api_off", "the API is off: set API_TOKENS to name:token pairs")
    g.api_actor = token_name(request.headers.get("Authorization"), tokens)
    if g.api_actor is None:
        detail = "send Authorization: Bearer <token>, a token from API_TOKENS"
        return error(401, "unauthorised", detail, **{"WWW-Authenticate": 'Bearer realm="notifier"'})
    return None


@bp.get("/deliveries/<delivery_id>")
def delivery(delivery_id: str) -> Response:
    """200 with the delivery's events and notifications (destinations masked); 404 when nothing is recorded."""
    services: Services = current_app.extensions["notifier"]
    cleaned = intake.clean_delivery_id(delivery_id)
    if cleaned is None:
        detail = f'use a printable delivery id of at most {intake.MAX_ID_LENGTH} characters, not "." or ".."'
        return error(400, "invalid_id", detail)
    body = delivery_answer.describe(services.store, cleaned)
    if body is None:
        detail = f"nothing is recorded for delivery {cleaned}: check the id (records expire after RETENTION_DAYS)"
        return error(404, "unknown_delivery", detail)
    return jsonify(body)


@bp.post("/deliveries/<delivery_id>/resend")
def resend_delivery(delivery_id: str) -> Response:
    """202 with the queued notifications; 400, 404, 429 as the console would refuse them."""
    services: Services = current_app.extensions["notifier"]
    try:
        asked = _request_body()
        result = resend.resend(services, delivery_id, asked, actor=g.api_actor)
    except resend_answers.REFUSALS as exc:
        return _refusal(resend_answers.answer(exc, delivery_id), delivery_id)
    body = {
        "delivery_id": result.delivery_id,
        "status": result.status,
        "notifications": [n.as_dict() for n in result.notifications],
    }
    response = jsonify(body)
    response.status_code = 202
    return response


def _refusal(answer: resend_answers.Answer, delivery_id: str) -> Response:
    """A refused resend as JSON: each field's problem, or when to try again."""
    headers = {"Retry-After": str(answer.retry_after)} if answer.retry_after else {}
    if answer.kind == "upstream_error":
        log.error("resend failed: %s", answer.detail, extra={"delivery_id": delivery_id})
    response = error(answer.http, answer.code, answer.detail, **headers)
    if answer.problems:
        response.set_data(json.dumps({**response.get_json(), "fields": answer.problems}))
    return response


def _request_body() -> resend.ResendRequest:
    """Every field optional; wrong types are field errors (400)."""
    raw = request.get_data(cache=False)
    if len(raw) > MAX_BODY_BYTES:
        raise resend.InvalidResend({"body": f"keep the body under {MAX_BODY_BYTES // 1024} KB"})
    data: Any = {}
    if raw.strip():
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, ValueError, RecursionError):
            data = None
    if not isinstance(data, dict):
        raise resend.InvalidResend({"body": "send a JSON object (UTF-8), every field optional"})
    return _fields(data)


def _fields(data: dict[str, Any]) -> resend.ResendRequest:
    """Types checked field by field, every problem named at once."""
    problems: dict[str, str] = {}
    channels = data.get("channels", [])
    if isinstance(channels, str):
        channels = [channels]
    if not isinstance(channels, list) or not all(isinstance(c, str) for c in channels):
        problems["channels"] = 'a list such as ["sms", "email"]'
        channels = []
    texts = {}
    for name in ("phone", "email", "reason"):
        value = data.get(name)
        if value is not None and not _is_text(value):
            problems[name] = "a string of Unicode text"
        texts[name] = value if _is_text(value) else ""
    if problems:
        raise resend.InvalidResend(problems)
    return resend.ResendRequest(channels=tuple(channels), **texts)


def _is_text(value: object) -> TypeGuard[str]:
    """A string Redis can store: JSON escapes such as "\\ud800" decode to lone surrogates, which UTF-8 cannot hold."""
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
