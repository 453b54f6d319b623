"""The bearer-token API's operations in the OpenAPI description: resend a delivery's message, read its record."""

from typing import Any

from web.openapi_blocks import ERROR, EXAMPLE_DELIVERY, JSON, TEXT, UNAVAILABLE, error_answer, json_body
from worker import channels
from worker.store import states

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


def _delivery_id(description: str, **limits: int) -> dict[str, Any]:
    """The `delivery_id` path parameter."""
    schema = {"type": "string", "minLength": 1, **limits}
    return {
        "name": "delivery_id",
        "in": "path",
        "required": True,
        "description": description,
        "schema": schema,
        "example": EXAMPLE_DELIVERY,
    }


RESEND = {
    "post": {
        "operationId": "resendDelivery",
        "summary": "Resend the delivery's message with a fresh tracking link (the console's rules and audit)",
        "tags": ["api"],
        "security": [{"bearerToken": []}],
        "parameters": [_delivery_id("a Shippify delivery id or the merchant's reference")],
        "requestBody": {
            "required": False,
            "content": {JSON: {"schema": RESEND_BODY, "example": {"channels": ["sms"], "reason": "ticket 4411"}}},
        },
        "responses": {
            "202": {"description": "Queued", "content": json_body(RESEND_ANSWER)},
            "400": error_answer("Invalid fields", INVALID_FIELDS),
            "401": error_answer("Missing or wrong token, or the API is off", headers={"WWW-Authenticate": "Bearer"}),
            "404": error_answer("Shippify does not know the delivery (or no such path)"),
            "429": error_answer("The resend cap is reached", headers={"Retry-After": "seconds"}),
            "502": error_answer("Shippify refused the request for good"),
            "503": error_answer(
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
        "parameters": [_delivery_id("a Shippify delivery id (printable, up to 128 characters)", maxLength=128)],
        "responses": {
            "200": {"description": "The delivery's record", "content": json_body(DELIVERY_ANSWER)},
            "400": error_answer("Not a delivery id (empty, over 128 characters, not printable, or . or ..)"),
            "401": error_answer("Missing or wrong token, or the API is off", headers={"WWW-Authenticate": "Bearer"}),
            "404": error_answer("Nothing is recorded for this delivery (or its records expired), or no such path"),
            "503": UNAVAILABLE,
        },
    }
}
