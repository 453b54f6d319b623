"""`GET /openapi.json`: the OpenAPI 3.1 description of every machine-facing endpoint, kept true by tests/security."""

from typing import Any

from flask import Blueprint, Response, current_app, jsonify

from web.openapi_api import DELIVERY, RESEND
from web.openapi_blocks import (
    ERROR,
    EXAMPLE_DELIVERY,
    FORM,
    JSON,
    NOT_FOUND,
    TEXT,
    TOO_LARGE,
    UNAVAILABLE,
    error_answer,
    json_body,
)
from worker.services import Services

bp = Blueprint("openapi", __name__)


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
                "202": {"description": "Recorded and queued, or recorded as ignored", "content": json_body(ACCEPTED)},
                "200": {"description": "Received before: nothing queued", "content": json_body(DUPLICATE)},
                "400": error_answer("Not a JSON object with an id, or a malformed status in the URL"),
                "401": error_answer("Missing or wrong shared secret"),
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
                "403": error_answer("The X-Twilio-Signature header does not match this request"),
                "413": TOO_LARGE,
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
                {"200": {"description": "Alive", "content": json_body({"const": {"status": "ok"}})}},
            ),
            "/readyz": _get(
                "readyz",
                "Redis reachable, a worker seen in the last 2 minutes, the queue moving, each received event queued",
                {
                    "200": {"description": "Ready", "content": json_body(READY)},
                    "503": {"description": "Not ready; checks say why", "content": json_body(READY)},
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
                {"200": {"description": "OpenAPI 3.1", "content": json_body({"type": "object"})}},
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
