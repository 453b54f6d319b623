"""Realistic Shippify delivery bodies, so clients are exercised against the documented shape."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

# `_status` string -> numeric `status`, from Shippify's documentation (several strings share a number).
STATUS_NUMBERS: dict[str, int] = {
    "deleted": -2,
    "canceled": -1,
    "returned": 0,
    "not_picked_up_payable": 0,
    "pending_to_review": 1,
    "processing": 1,
    "not_picked_up": 1,
    "broadcasting": 2,
    "assigned": 3,
    "confirmed_to_pickup": 4,
    "going_to_pickup": 5,
    "at_pickup": 5,
    "on_delivery": 5,
    "going_to_dropoff": 6,
    "at_dropoff": 6,
    "hold_by_courier": 6,
    "dropped_off": 6,
    "going_to_return": 6,
    "at_return_point": 6,
    "completed": 7,
}

STATUS_LANG: dict[str, str] = {
    "canceled": "Cancelado",
    "processing": "Procesando",
    "assigned": "Asignado",
    "on_delivery": "En tránsito",
    "going_to_dropoff": "En camino",
    "at_dropoff": "En el destino",
    "hold_by_courier": "Retenido por el courier",
    "completed": "Entregado",
    "returned": "Devuelto",
}

CONVENIENCE_KEYS = ("phone", "email", "name", "status", "reference", "company", "reason")

# (name, phone, cityName, cityLang, company) per sample country, plus the awkward cases.
SAMPLES: list[dict[str, Any]] = [
    {
        "name": "Iliana Bolaños",
        "phone": "0998976565",
        "cityName": "Guayaquil",
        "cityLang": "es",
        "company": "Tienda Demo",
    },
    {
        "name": "João Conceição",
        "phone": "+55 11 98765-4321",
        "cityName": "São Paulo",
        "cityLang": "pt",
        "company": "Loja Demo",
    },
    {
        "name": "Martina Muñoz",
        "phone": "+56 9 8765 4321",
        "cityName": "Santiago",
        "cityLang": "es",
        "company": "Tienda Demo Chile",
    },
    {
        "name": "José Hernández",
        "phone": "+52 55 1234 5678",
        "cityName": "Ciudad de México",
        "cityLang": "es",
        "company": "Tienda Demo México",
    },
    {"name": "Sin Teléfono", "phone": None, "cityName": "Quito", "cityLang": "es", "company": "Tienda Demo"},
    {"name": "Número Inválido", "phone": "777", "cityName": "Cuenca", "cityLang": "es", "company": "Tienda Demo"},
]


def iso(moment: datetime) -> str:
    """Format like Shippify does: ISO-8601 UTC with milliseconds and a Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def default_email(delivery_id: str) -> str:
    """A valid address derived from the id, whatever characters the id holds."""
    local = re.sub(r"[^a-z0-9._-]+", "-", delivery_id.lower()).strip(".-") or "recipient"
    return f"{local}@example.com"


def status_number(status: str) -> int | None:
    """Numeric status for a `_status` string; None for legacy or unknown strings."""
    return STATUS_NUMBERS.get(status)


def base_delivery(delivery_id: str, now: datetime) -> dict[str, Any]:
    """The documented GET /v1/deliveries/{id}/complete example, with defaults filled in."""
    return {
        "id": delivery_id,
        "route": {"id": f"r-{delivery_id}", "order": 2},
        "recipient": {"name": "Iliana Bolaños", "email": default_email(delivery_id), "phonenumber": "0998976565"},
        "pickup": {"date": iso(now - timedelta(hours=3))},
        "dropoff": {
            "location": {
                "address": "Av. 9 de Octubre 100, Guayaquil",
                "instructions": "Casa esquinera",
                "lat": -2.19,
                "lng": -79.88,
            },
            "date": iso(now + timedelta(hours=1)),
        },
        "courier": {
            "info": {
                "shipperId": 531597,
                "shipperName": "Juan Maroto",
                "vehicleLicensePlate": "PO-1234",
                "vehicleType": "Suzuki",
                "vehicleModel": "Vitara",
            },
            "location": {"lat": -2.19, "lng": -79.88},
        },
        "items": [[{"id": "Product-001", "name": "Color box", "qty": 4, "weight": 5.3, "size": "slot", "price": 5.3}]],
        "status": 6,
        "_status": "going_to_dropoff",
        "status_lang": STATUS_LANG["going_to_dropoff"],
        "distance": 10.4,
        "company": "Tienda Demo",
        "referenceId": f"REF-{delivery_id}",
        "reasonId": None,
        "reasonText": None,
        "problem_note": None,
        "lastStatusDate": iso(now - timedelta(minutes=30)),
        "tags": ["Fragile"],
    }


def apply_status(delivery: dict[str, Any], status: str | int, now: datetime) -> None:
    """Set `_status` and the matching numeric `status` (an int sets only the number)."""
    if isinstance(status, int):
        delivery["status"] = status
    else:
        delivery["_status"] = status
        delivery["status"] = status_number(status)
        delivery["status_lang"] = STATUS_LANG.get(status, status)
    delivery["lastStatusDate"] = iso(now)


def set_recipient_field(delivery: dict[str, Any], key: str, value: str | None) -> None:
    """Set or remove one recipient field; None means the merchant gave none."""
    recipient = dict(delivery.get("recipient") or {})
    if value is None:
        recipient.pop(key, None)
    else:
        recipient[key] = value
    delivery["recipient"] = recipient


def apply_conveniences(delivery: dict[str, Any], conveniences: dict[str, Any], now: datetime) -> None:
    """Translate the short keyword arguments into their places in the body."""
    for key, field in (("phone", "phonenumber"), ("email", "email"), ("name", "name")):
        if key in conveniences:
            set_recipient_field(delivery, field, conveniences[key])
    if "status" in conveniences:
        apply_status(delivery, conveniences["status"], now)
    if "reference" in conveniences:
        delivery["referenceId"] = conveniences["reference"]
    if "company" in conveniences:
        delivery["company"] = conveniences["company"]
    if "reason" in conveniences:
        delivery["reasonText"] = conveniences["reason"]


def build_delivery(delivery_id: str, **overrides: Any) -> dict[str, Any]:
    """A delivery body: defaults, then raw top-level overrides, then the convenience keys."""
    now = datetime.now(UTC)
    delivery = base_delivery(delivery_id, now)
    conveniences = {key: overrides.pop(key) for key in CONVENIENCE_KEYS if key in overrides}
    delivery.update(overrides)
    if "_status" in overrides and "status" not in conveniences:
        apply_status(delivery, overrides["_status"], now)
    apply_conveniences(delivery, conveniences, now)
    return delivery


def sample_overrides(index: int) -> tuple[str, dict[str, Any]]:
    """Id and add_delivery overrides for the index-th sample (cycling through the countries)."""
    sample = SAMPLES[index % len(SAMPLES)]
    delivery_id = f"t-demo-{index + 1:04d}"
    return delivery_id, {
        "name": sample["name"],
        "phone": sample["phone"],
        "company": sample["company"],
        "cityName": sample["cityName"],
        "cityLang": sample["cityLang"],
    }
