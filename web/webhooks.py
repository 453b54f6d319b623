"""`POST /webhooks/shippify[/<status>]`: authenticate, parse, then record and queue in one step."""

import contextlib
import logging
from collections.abc import Mapping

import redis
from flask import Blueprint, Response, current_app, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from web.errors import error
from web.secret_match import matching
from worker.intake import InvalidWebhook, accept, parse
from worker.services import Services

bp = Blueprint("webhooks", __name__)
log = logging.getLogger(__name__)


def authorised(provided: str | None, accepted: tuple[bytes, ...]) -> bool:
    """One of the accepted secrets (several while rotating), compared in constant time."""
    return matching(provided, enumerate(accepted)) is not None


@bp.post("/webhooks/shippify")
@bp.post("/webhooks/shippify/<status>")
def shippify(status: str | None = None) -> Response:
    """Answer 202 once the event is safely queued; nothing here calls an outside service."""
    services: Services = current_app.extensions["notifier"]
    settings = services.settings
    if not authorised(request.headers.get(settings.webhook_token_header), settings.webhook_tokens):
        _count("webhooks_unauthorised")
        return error(401, "unauthorised", f"send the shared secret in the {settings.webhook_token_header} header")
    try:
        event = parse(_body(), status)
    except InvalidWebhook as exc:
        _count("webhooks_invalid")
        return error(400, exc.error, exc.detail)
    result = accept(services.store, settings, event)
    # A queued event is traced by the access line (request id) and the worker's lines (delivery and event ids); at
    # INFO only the decisions nothing else records: duplicates and ignored events.
    level = logging.DEBUG if result.outcome == "queued" else logging.INFO
    log.log(level, "webhook %s", result.outcome, extra={"delivery_id": result.delivery_id, "event_id": result.event_id})
    body = {
        "status": result.outcome,
        "event_id": result.event_id,
        "delivery_id": result.delivery_id,
        "delivery_status": result.status,
    }
    if result.outcome == "duplicate":
        return _json(200, {**body, "duplicate": True})
    if result.outcome == "ignored":
        return _json(202, {**body, "ignored": True, "detail": result.detail})
    return _json(202, body)


def _body() -> bytes:
    """The request body. With a declared length it is checked against WEBHOOK_MAX_MB (413) and read straight from
    the server's input, which stops at that length: a 2 MB body of base64 images costs one copy, not werkzeug's
    thirty 64 KB steps and two more copies. A chunked body is read by werkzeug up to the limit; one that reaches
    it is refused (413) rather than parsed cut short."""
    length, limit = request.content_length, request.max_content_length
    if length is None:
        body = request.get_data(cache=False)  # werkzeug stops reading at the limit, silently
        if limit is not None and len(body) >= limit:
            raise RequestEntityTooLarge()
        return body
    if limit is not None and length > limit:
        raise RequestEntityTooLarge()
    stream = request.environ["wsgi.input"]
    chunks, remaining = [], length
    while remaining > 0:
        chunk = stream.read(remaining)
        if not chunk:
            break  # the client sent less than it declared: parsing says what is wrong with it
        chunks.append(chunk)
        remaining -= len(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _json(code: int, body: Mapping[str, object]) -> Response:
    response = jsonify(body)
    response.status_code = code
    return response


def _count(name: str) -> None:
    """Count a refused webhook; a Redis outage must not turn a 401/400 into a 503."""
    services: Services = current_app.extensions["notifier"]
    with contextlib.suppress(redis.RedisError):
        services.store.count(name)
