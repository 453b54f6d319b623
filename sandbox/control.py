"""HTTP control endpoints under /_sandbox/, for processes that do not hold the Sandbox object."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import requests
from flask import Blueprint, Response, jsonify, request

from sandbox.outbox_page import EMAIL_CSP, PAGE_CSP, STYLE, email_summary, outbox, outbox_page

if TYPE_CHECKING:
    from sandbox.core import Sandbox

FAULT_KEYS = ("status", "code", "times", "hang", "accept", "stage", "message", "drop")


def json_object() -> dict[str, Any]:
    """The request's JSON body, which must be an object."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object body")
    return data


def bad_request(exc: Exception) -> tuple[Response, int]:
    """A 400 naming what was wrong."""
    return jsonify({"error": str(exc)}), 400


def control_blueprint(sb: Sandbox) -> Blueprint:
    """Outbox views and setup calls (deliveries, faults, latency, reset)."""
    bp = Blueprint("sandbox_control", __name__, url_prefix="/_sandbox")

    @bp.get("/health")
    def health() -> Any:
        """Readiness probe used by start()."""
        return jsonify({"ok": True})

    @bp.get("/")
    def page() -> Any:
        """Human-readable outbox."""
        page = outbox_page(sb.sms, sb.emails, sb.whatsapp)
        return Response(page, mimetype="text/html", headers={"Content-Security-Policy": PAGE_CSP})

    @bp.get("/outbox.css")
    def page_style() -> Any:
        """The outbox page's look (WhatsApp's chat bubbles and ticks included), allowed by its CSP."""
        return Response(STYLE, mimetype="text/css")

    @bp.get("/emails/<int:index>.html")
    def email_html(index: int) -> Any:
        """One received email's HTML part, for the outbox page's frame; nothing in it can run."""
        emails = sb.emails
        html = email_summary(emails[index])["html"] if 0 <= index < len(emails) else None
        if html is None:
            return Response("no such email", status=404, mimetype="text/plain")
        headers = {"Content-Security-Policy": EMAIL_CSP, "X-Frame-Options": "SAMEORIGIN"}
        return Response(html, mimetype="text/html", headers=headers)

    @bp.get("/outbox")
    def outbox_json() -> Any:
        """Machine-readable outbox."""
        return jsonify(outbox(sb.sms, sb.emails, sb.whatsapp))

    @bp.post("/deliveries")
    def add_delivery() -> Any:
        """Store a delivery: {"id": ..., plus add_delivery's overrides}."""
        try:
            data = json_object()
            delivery_id = data.pop("id")
            if not isinstance(delivery_id, str) or not delivery_id:
                raise ValueError("id must be a non-empty string")
            return jsonify(sb.add_delivery(delivery_id, **data)), 201
        except (KeyError, TypeError, ValueError) as exc:
            return bad_request(exc)

    @bp.post("/faults")
    def add_fault() -> Any:
        """Queue a fault: {"service": ..., "status": ..., "times": ..., ...}."""
        try:
            data = json_object()
            unknown = set(data) - {"service", *FAULT_KEYS}
            if unknown:
                raise ValueError(f"unknown fault field(s) {sorted(unknown)}")
            sb.fail(data.pop("service"), **data)
        except (KeyError, TypeError, ValueError) as exc:
            return bad_request(exc)
        return jsonify({"pending": [f.as_dict() for f in sb.pending_faults()]}), 201

    @bp.post("/latency")
    def set_latency() -> Any:
        """Change some services' added delay: {"shippify": 0.05, ...}."""
        try:
            sb.set_latency(**json_object())
        except (TypeError, ValueError) as exc:
            return bad_request(exc)
        return jsonify(sb.latency)

    @bp.post("/status")
    def send_status() -> Any:
        """Post a status callback for a message: {"sid": ..., "status": ..., "error_code": ...}."""
        try:
            data = json_object()
            code = sb.send_status(data["sid"], data["status"], data.get("error_code"))
        except (KeyError, TypeError, ValueError) as exc:
            return bad_request(exc)
        except requests.RequestException as exc:
            return jsonify({"error": type(exc).__name__}), 502
        return jsonify({"callback_status": code})

    @bp.get("/whatsapp")
    def whatsapp_state() -> Any:
        """Known templates, marked numbers and open sessions."""
        return jsonify(sb.whatsapp_book.snapshot())

    @bp.post("/whatsapp/numbers")
    def mark_number() -> Any:
        """Mark a number: {"number": "+593...", "state": "unreachable" | "blocked" | "silent" | "reachable"}."""
        try:
            data = json_object()
            sb.mark_whatsapp(str(data["number"]), str(data["state"]))
        except (KeyError, TypeError, ValueError) as exc:
            return bad_request(exc)
        return jsonify(sb.whatsapp_book.snapshot()), 201

    @bp.post("/whatsapp/templates")
    def register_template() -> Any:
        """Accept a ContentSid: {"content_sid": "HX...", "locale": "es", "status": "going_to_dropoff", "approval"?}."""
        try:
            data = json_object()
            sb.register_whatsapp_template(str(data["content_sid"]), str(data["locale"]), str(data["status"]))
            if "approval" in data:
                sb.set_whatsapp_approval(str(data["content_sid"]), str(data["approval"]))
        except (KeyError, TypeError, ValueError) as exc:
            return bad_request(exc)
        return jsonify(sb.whatsapp_book.snapshot()), 201

    @bp.post("/whatsapp/sessions")
    def open_session() -> Any:
        """Open a 24-hour session for a number, so a free-form Body is accepted: {"number": "+593..."}."""
        try:
            sb.open_whatsapp_session(str(json_object()["number"]))
        except (KeyError, TypeError, ValueError) as exc:
            return bad_request(exc)
        return jsonify(sb.whatsapp_book.snapshot()), 201

    @bp.post("/reset")
    def reset() -> Any:
        """Forget everything (see Sandbox.reset)."""
        sb.reset()
        return jsonify({"ok": True})

    return bp
