"""The sandbox's stand-in for Shippify's public tracking page, so a recipient's link leads somewhere in `make run`."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, request
from markupsafe import escape

from sandbox.shippify_api import ShippifyStore

PAGE = """<!doctype html>
<html lang="es"><head><meta charset="utf-8"><title>Seguimiento · {merchant}</title></head>
<body><h1>{merchant}</h1><p>Hola {first_name}, tu pedido {delivery_id}: <strong>{status}</strong></p>
<p><small>Sandbox tracking page (stand-in for Shippify's)</small></p></body></html>"""


def tracking_blueprint(store: ShippifyStore) -> Blueprint:
    """`GET /track/<delivery_id>?token=...`: the delivery's status, recipient's first name and merchant."""
    bp = Blueprint("sandbox_tracking", __name__)

    @bp.get("/track/<delivery_id>")
    def track(delivery_id: str) -> Any:
        """404 unless the token is the delivery's own, as a real tracking page would refuse a guessed one."""
        delivery = store.tracked(delivery_id, request.args.get("token", ""))
        if delivery is None:
            abort(404)
        body = PAGE.format(**{key: escape(value) for key, value in page_fields(delivery).items()})
        return body, 200, {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}

    return bp


def page_fields(delivery: dict[str, Any]) -> dict[str, str]:
    """What the page shows of a delivery."""
    recipient = delivery.get("recipient") or {}
    name = str(recipient.get("name") or "").strip()
    return {
        "merchant": str(delivery.get("company") or ""),
        "first_name": name.split()[0] if name else "",
        "delivery_id": str(delivery["id"]),
        "status": str(delivery.get("status_lang") or delivery.get("_status") or delivery.get("status") or ""),
    }
