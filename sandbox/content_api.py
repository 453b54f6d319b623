"""Fake Twilio Content API (content.twilio.com/v1): whether a ContentSid exists and is approved for WhatsApp."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

from sandbox.twilio_api import auth_error, twilio_error
from sandbox.twilio_messages import TwilioStore
from sandbox.whatsapp import WhatsAppBook


def content_resource(store: TwilioStore, book: WhatsAppBook, sid: str) -> dict[str, Any] | None:
    """GET /v1/Content/{sid} in Twilio's shape (a twilio/text template), or None when unknown."""
    found, text = book.template(sid), book.text(sid)
    if found is None or text is None:
        return None
    locale, status = found
    return {
        "sid": sid,
        "account_sid": store.account_sid,
        "friendly_name": f"{status}_{locale}",
        "language": locale,
        "variables": {},
        "types": {"twilio/text": {"body": text}},
        "url": f"https://content.twilio.com/v1/Content/{sid}",
        "links": {"approval_fetch": f"https://content.twilio.com/v1/Content/{sid}/ApprovalRequests"},
    }


def approval_resource(store: TwilioStore, book: WhatsAppBook, sid: str) -> dict[str, Any] | None:
    """GET /v1/Content/{sid}/ApprovalRequests: the WhatsApp approval of a known template, or None."""
    found = book.template(sid)
    if found is None:
        return None
    status = book.approval(sid)
    whatsapp = {
        "type": "whatsapp",
        "name": f"{found[1]}_{found[0]}",
        "category": "UTILITY",
        "content_type": "twilio/text",
        "status": status,
        "rejection_reason": "Sandbox: marked rejected" if status == "rejected" else "",
        "allow_category_change": False,
    }
    url = f"https://content.twilio.com/v1/Content/{sid}/ApprovalRequests"
    return {"sid": sid, "account_sid": store.account_sid, "whatsapp": whatsapp, "url": url}


def content_blueprint(store: TwilioStore, book: WhatsAppBook) -> Blueprint:
    """Routes under /v1/Content, authenticated like the Messages API."""
    bp = Blueprint("twilio_content", __name__)

    def answer(resource: dict[str, Any] | None) -> Any:
        """The resource, or Twilio's 404."""
        refused = auth_error(store, store.account_sid)
        if refused is not None:
            return refused
        if resource is None:
            return twilio_error(404, 20404, f"The requested resource {request.path} was not found")
        return jsonify(resource)

    @bp.get("/v1/Content/<sid>")
    def fetch(sid: str) -> Any:
        """One Content template."""
        return answer(content_resource(store, book, sid))

    @bp.get("/v1/Content/<sid>/ApprovalRequests")
    def approval(sid: str) -> Any:
        """Its WhatsApp approval."""
        return answer(approval_resource(store, book, sid))

    return bp
