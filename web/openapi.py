"""`GET /openapi.json`: the OpenAPI 3.1 description of every machine-facing endpoint, kept true by tests/security."""

from typing import Any

from flask import Blueprint, Response, current_app, jsonify

from worker import channels
from worker.services import Services
from worker.store import states

bp = Blueprint("openapi", __name__)

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
ERROR = {"$ref": "#/components/schemas/Error"}
TEXT = {"type": "string"}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON body with this schema."""
    return {JSON: {"schema": schema}}


def _error(description: str, schema: dict[str, Any] = ERROR, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """A documented error answer: always JSON {"error": ..., "detail": ...}."""
    answer: dict[str, Any] = {"description": description, "content": _json(schema)}
    if headers:
        answer["headers"] = {name: {"description": text, "schema": TEXT} for name, text in headers.items()}
    return answer


UNAVAILABLE = _error("Redis is unreachable: nothing was recorded; try again later", headers={"Retry-After": "seconds"})
TOO_LARGE = _error("The body is over the size limit (WEBHOOK_MAX_MB)")
NOT_FOUND = _error("No such path (for example, a path segment that is empty or holds a slash)")

WEBHOOK_BODY = {
    "type": "object",
    "description": "Shippify's delivery webhook; only these fields are read, everything else is ignored",
    "properties": {
        "id": {"type": ["string", "integer"], "description": "the delivery id (printable, up to 128 characters)"},
        "orderId": {"type": ["string", "integer"], "description": "legacy bodies: the delivery id"},
        "_status": {"type": "string", "description": "status name, used when the URL has none"},
        "status": {"description": "a string status name is used when the URL and _status give none"},
        "cityLang": {"type": "string", "description": "the recipient's language: es, pt (or pr), en"},
        "companyName": {"type": "string", "description": "the merchant's name"},
        "trackingUrl": {"type": "string", "description": "the recipient's https tracking link, when included"},
    },
    "additionalProperties": True,
}

EXAMPLE_DELIVERY = "t-shiinc-27946"
WEBHOOK_EXAMPLE = {"id": EXAMPLE_DELIVERY, "cityLang": "es", "companyName": "Farmacias del Puerto"}


def _answer(status: str, **extra: dict[str, Any]) -> dict[str, Any]:
    """The webhook's answer for one outcome; nothing else in it."""
    fields = {
        "status": {"const": status},
        "event_id": TEXT,
        "delivery_id": TEXT,
        "delivery_status": {"type": ["string", "null"], "description": "null: the worker asks Shippify"},
    }
    return {
        "type": "object",
        "required": [*fields, *extra],
        "properties": {**fields, **extra},
        "additionalProperties": False,
    }


QUEUED = _answer("queued")
IGNORED = _answer("ignored", ignored={"const": True}, detail={"type": "string", "description": "why"})
DUPLICATE = _answer("duplicate", duplicate={"const": True})
ACCEPTED = {"oneOf": [QUEUED, IGNORED]}


def _webhook(summary: str, parameters: list[dict[str, Any]]) -> dict[str, Any]:
    """One of the two Shippify receivers."""
    return {
        "post": {
            "operationId": "shippifyWebhook" + ("WithStatus" if parameters else ""),
            "summary": summary,
            "tags": ["webhooks"],
            "security": [{"webhookToken": []}],
            "parameters": parameters,
            "requestBody": {"required": True, "content": {JSON: {"schema": WEBHOOK_BODY, "example": WEBHOOK_EXAMPLE}}},
            "responses": {
                "202": {"description": "Recorded and queued, or recorded as ignored", "content": _json(ACCEPTED)},
                "200": {"description": "Received before: nothing queued", "content": _json(DUPLICATE)},
                "400": _error("Not a JSON object with an id, or a malformed status in the URL"),
                "401": _error("Missing or wrong shared secret"),
                "404": NOT_FOUND,
                "413": TOO_LARGE,
                "503": UNAVAILABLE,
            },
        }
    }


STATUS_PARAMETER = {
    "name": "status",
    "in": "path",
    "required": True,
    "description": "the status the automation reports, such as going_to_dropoff",
    "schema": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[A-Za-z0-9_]+$"},
    "example": "going_to_dropoff",
}

TWILIO_FORM = {
    "type": "object",
    "description": "Twilio's form fields (only these are read)",
    "properties": {
        name: TEXT
        for name in ("MessageSid", "MessageStatus", "ErrorCode", "AccountSid", "To", "From", "Body", "OptOutType")
    },
    "additionalProperties": TEXT,
}


def _twilio(operation_id: str, summary: str, ok: dict[str, Any]) -> dict[str, Any]:
    """One of Twilio's callbacks; an unsigned or wrongly signed request is refused and changes nothing."""
    return {
        "post": {
            "operationId": operation_id,
            "summary": summary,
            "tags": ["twilio"],
            "security": [{"twilioSignature": []}],
            "requestBody": {"required": True, "content": {FORM: {"schema": TWILIO_FORM}}},
            "responses": {
                **ok,
                "403": _error("The X-Twilio-Signature header does not match this request"),
                "413": TOO_LARGE,
                "503": UNAVAILABLE,
            },
        }
    }


RESEND_BODY = {
    "type": "object",
    "description": "Every field optional; an empty body resends the current message on its rule's channels",
    "properties": {
        "channels": {"type": "array", "items": {"enum": list(channels.names())}},
        "phone": {"type": "string", "description": "a corrected mobile number, for this send only"},
        "email": {"type": "string", "description": "a corrected email address, for this send only"},
        "reason": {"type": "string", "maxLength": 500, "description": "recorded in the audit trail"},
    },
    "additionalProperties": True,
}

RESEND_ANSWER = {
    "type": "object",
    "required": ["delivery_id", "status", "notifications"],
    "properties": {
        "delivery_id": TEXT,
        "status": TEXT,
        "notifications": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["notification_id", "channel", "destination", "state", "template", "detail"],
                "properties": {
                    "notification_id": TEXT,
                    "channel": {"enum": list(channels.names())},
                    "destination": {"type": "string", "description": "masked"},
                    "state": TEXT,
                    "template": TEXT,
                    "detail": TEXT,
                },
            },
        },
    },
}

INVALID_FIELDS = {
    "allOf": [ERROR],
    "properties": {"fields": {"type": "object", "additionalProperties": TEXT}},
    "required": ["fields"],
}

RESEND = {
    "post": {
        "operationId": "resendDelivery",
        "summary": "Resend the delivery's message with a fresh tracking link (the console's rules and audit)",
        "tags": ["api"],
        "security": [{"bearerToken": []}],
        "parameters": [
            {
                "name": "delivery_id",
                "in": "path",
                "required": True,
                "description": "a Shippify delivery id or the merchant's reference",
                "schema": {"type": "string", "minLength": 1},
                "example": EXAMPLE_DELIVERY,
            }
        ],
        "requestBody": {
            "required": False,
            "content": {JSON: {"schema": RESEND_BODY, "example": {"channels": ["sms"], "reason": "ticket 4411"}}},
        },
        "responses": {
            "202": {"description": "Queued", "content": _json(RESEND_ANSWER)},
            "400": _error("Invalid fields", INVALID_FIELDS),
            "401": _error("Missing or wrong token, or the API is off", headers={"WWW-Authenticate": "Bearer"}),
            "404": _error("Shippify does not know the delivery (or no such path)"),
            "429": _error("The resend cap is reached", headers={"Retry-After": "seconds"}),
            "502": _error("Shippify refused the request for good"),
            "503": _error(
                "Shippify or Redis did not answer: nothing was sent, try again", headers={"Retry-After": "seconds"}
            ),
        },
    }
}

TIME = {"type": ["string", "null"], "format": "date-time", "description": "ISO 8601, UTC; null when unknown"}
MAYBE_TEXT = {"type": ["string", "null"]}


def _record(properties: dict[str, Any]) -> dict[str, Any]:
    """An object with exactly these fields, every one present (null when unknown)."""
    return {"type": "object", "required": list(properties), "properties": properties, "additionalProperties": False}


DELIVERY_EVENT = _record(
    {"status": {**MAYBE_TEXT, "description": "null: not known yet"}, "received_at": TIME, "outcome": TEXT}
)
DELIVERY_NOTIFICATION = _record(
    {
        "id": TEXT,
        "channel": {"enum": list(channels.names())},
        "status": {"type": "string", "description": "the delivery status the message is about"},
        "state": {"enum": list(states.PUBLIC)},
        "destination": {**MAYBE_TEXT, "description": "masked: country code and last two digits, or a…@domain"},
        **{name: TIME for name in ("created_at", "sent_at", "delivered_at", "read_at", "clicked_at")},
        "segments": {"type": ["integer", "null"], "minimum": 0, "description": "SMS segments billed"},
        "error_code": {**MAYBE_TEXT, "description": "the provider's error code"},
        "fallback_for": {**MAYBE_TEXT, "description": "the notification this one replaced"},
        "resent_by": {**MAYBE_TEXT, "description": "who asked for the resend (API token name, staff member)"},
    }
)
DELIVERY_ANSWER = _record(
    {
        "delivery_id": TEXT,
        "events": {"type": "array", "items": DELIVERY_EVENT, "description": "oldest first"},
        "notifications": {"type": "array", "items": DELIVERY_NOTIFICATION, "description": "oldest first"},
    }
)

DELIVERY = {
    "get": {
        "operationId": "getDelivery",
        "summary": "What is known of a delivery: the status events received and the notifications sent",
        "tags": ["api"],
        "security": [{"bearerToken": []}],
        "parameters": [
            {
                "name": "delivery_id",
                "in": "path",
                "required": True,
                "description": "a Shippify delivery id (printable, up to 128 characters)",
                "schema": {"type": "string", "minLength": 1, "maxLength": 128},
                "example": EXAMPLE_DELIVERY,
            }
        ],
        "responses": {
            "200": {"description": "The delivery's record", "content": _json(DELIVERY_ANSWER)},
            "400": _error("Not a delivery id (empty, over 128 characters, not printable, or . or ..)"),
            "401": _error("Missing or wrong token, or the API is off", headers={"WWW-Authenticate": "Bearer"}),
            "404": _error("Nothing is recorded for this delivery (or its records expired), or no such path"),
            "503": UNAVAILABLE,
        },
    }
}

READY = {
    "type": "object",
    "required": ["status", "checks"],
    "properties": {
        "status": {"enum": ["ready", "not_ready"]},
        "checks": {"type": "object", "additionalProperties": TEXT},
    },
}


def _get(operation_id: str, summary: str, responses: dict[str, Any]) -> dict[str, Any]:
    """An unauthenticated GET (health, metrics, this description)."""
    return {"get": {"operationId": operation_id, "summary": summary, "tags": ["operations"], "responses": responses}}


def spec(token_header: str) -> dict[str, Any]:
    """The description, with the webhook secret's header as configured (WEBHOOK_TOKEN_HEADER)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Shippify tracking-link notifier",
            "version": "1",
            "description": 'Machine-facing endpoints. Every error body is JSON: {"error": ..., "detail": ...}.',
        },
        "paths": {
            "/webhooks/shippify": _webhook("Shippify delivery webhook (status from the body)", []),
            "/webhooks/shippify/{status}": _webhook("Shippify delivery webhook for one status", [STATUS_PARAMETER]),
            "/webhooks/twilio/status": _twilio(
                "twilioStatus", "Twilio delivery report", {"204": {"description": "Acknowledged"}}
            ),
            "/webhooks/twilio/inbound": _twilio(
                "twilioInbound",
                "A recipient's reply (STOP/START)",
                {"200": {"description": "Empty TwiML", "content": {"text/xml": {"schema": TEXT}}}},
            ),
            "/api/deliveries/{delivery_id}/resend": RESEND,
            "/api/deliveries/{delivery_id}": DELIVERY,
            "/healthz": _get(
                "healthz",
                "The process answers",
                {"200": {"description": "Alive", "content": _json({"const": {"status": "ok"}})}},
            ),
            "/readyz": _get(
                "readyz",
                "Redis reachable, a worker seen in the last 2 minutes, the queue moving",
                {
                    "200": {"description": "Ready", "content": _json(READY)},
                    "503": {"description": "Not ready; checks say why", "content": _json(READY)},
                },
            ),
            "/metrics": _get(
                "metrics",
                "Prometheus text, figures from Redis",
                {
                    "200": {"description": "Prometheus exposition", "content": {"text/plain": {"schema": TEXT}}},
                    "503": UNAVAILABLE,
                },
            ),
            "/t/{code}": {
                "get": {
                    "operationId": "shortLink",
                    "summary": "A short tracking link (SHORT_LINKS): the recipient's secure tracking page, taken fresh"
                    " from Shippify; the visit is recorded (a click, or a link preview)",
                    "tags": ["recipients"],
                    "parameters": [
                        {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}},
                    ],
                    "responses": {
                        "302": {
                            "description": "To the delivery's secure tracking link (Location); never cached",
                            "headers": {"Location": {"schema": {"type": "string", "format": "uri"}}},
                        },
                        "404": {
                            "description": "An unknown or expired code: a page saying so (the same for every code)",
                            "content": {"text/html": {"schema": TEXT}},
                        },
                        "429": {
                            "description": "Too many links opened from this address: a page asking to wait a minute",
                            "content": {"text/html": {"schema": TEXT}},
                        },
                        "503": {
                            "description": "Shippify (or Redis) unreachable: a page asking to try again in a minute",
                            "content": {"text/html": {"schema": TEXT}, "application/json": {"schema": ERROR}},
                        },
                    },
                }
            },
            "/openapi.json": _get(
                "openapi",
                "This description",
                {"200": {"description": "OpenAPI 3.1", "content": _json({"type": "object"})}},
            ),
        },
        "components": {
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error", "detail"],
                    "properties": {"error": TEXT, "detail": TEXT},
                }
            },
            "securitySchemes": {
                "webhookToken": {
                    "type": "apiKey",
                    "in": "header",
                    "name": token_header,
                    "description": "one of WEBHOOK_TOKENS (several while rotating), compared in constant time",
                },
                "twilioSignature": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-Twilio-Signature",
                    "description": "Twilio's HMAC-SHA1 of PUBLIC_BASE_URL + path and the form, with TWILIO_AUTH_TOKEN",
                },
                "bearerToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "a token of API_TOKENS; its name is the audit actor",
                },
            },
        },
    }


@bp.get("/openapi.json")
def openapi() -> Response:
    """The description as this deployment is configured."""
    services: Services = current_app.extensions["notifier"]
    return jsonify(spec(services.settings.webhook_token_header))
