"""The webhook traffic both load generators send: realistic Shippify bodies, ~10 % repeats, a few 2 MB bodies.

Request k of a connection (wrk: of a thread) is, by the same rule in Python and in wrk's Lua:
  k % LARGE_EVERY == LARGE_EVERY - 1  → a new delivery with base64 proof-of-delivery images (~2 MB)
  k % DUP_EVERY == DUP_EVERY - 1      → a repeat of the delivery sent DUP_LAG new ones earlier (maybe in flight)
  otherwise                           → a new delivery (~1.5 KB)
"""

import base64
import json
import random

STATUS = "going_to_dropoff"
PATH = f"/webhooks/shippify/{STATUS}"
TOKEN_HEADER = "X-Webhook-Token"
TOKEN = "bench-webhook-secret-0123456789"
LARGE_EVERY = 200
DUP_EVERY = 10
DUP_LAG = 5
IMAGE_BYTES = 1_100_000  # raw bytes per image; two images → ~2 MB of base64 in the body
PLACEHOLDER = "@@DELIVERY-ID@@"


def shippify_body(large: bool = False) -> dict:
    """A webhook body shaped like Shippify's documented delivery object, with a placeholder id."""
    place = {"lat": -2.19, "lng": -79.88, "address": "Av. 9 de Octubre 100 y Malecón, Guayaquil"}
    body = {
        "id": PLACEHOLDER,
        "routeId": "r-bench-2183891",
        "networkId": 225,
        "networkName": "Default-company test",
        "jobId": None,
        "blocked": False,
        "cityId": 2,
        "cityName": "Guayaquil",
        "cityLang": "es",
        "companyId": 1,
        "companyName": "Tienda Demo",
        "companyPlanType": "enterprise",
        "companyParentId": None,
        "companyMode": "marketplace",
        "shipperId": 531597,
        "type": "flex",
        "vehicleCapacity": 2,
        "price": 2.75,
        "scheduledStartPickingDate": "2023-10-27T18:00:00.000Z",
        "scheduledEndPickingDate": "2023-10-27T19:00:00.000Z",
        "scheduledStartDroppingDate": "2023-10-27T20:00:00.000Z",
        "deliveryDueDate": "2023-10-27T22:00:00.000Z",
        "pickingPlace": place,
        "droppingPlace": {**place, "address": "Cdla. Kennedy Norte, Mz. 104, Guayaquil"},
        "items": [{"name": "Color box", "qty": 4, "size": "slot", "price": 5.3, "weight": 5.3, "fragile": True}] * 3,
        "recipientInfo": {"name": "Iliana Bolaños", "email": "iliana@example.com"},
        "senderInfo": {"name": "Bodega Central Tienda Demo"},
    }
    if large:
        rng = random.Random(7)
        body["images"] = [base64.b64encode(rng.randbytes(IMAGE_BYTES)).decode() for _ in range(2)]
        body["signature"] = base64.b64encode(rng.randbytes(20_000)).decode()
    return body


def template(large: bool = False) -> tuple[bytes, bytes]:
    """(prefix, suffix): a body is prefix + delivery id + suffix."""
    text = json.dumps(shippify_body(large), ensure_ascii=False, separators=(",", ":"))
    prefix, suffix = text.split(PLACEHOLDER)
    return prefix.encode(), suffix.encode()


def fresh_only() -> None:
    """Switch the traffic to new ~1.5 KB bodies only (no repeats, no images), for both load generators."""
    global LARGE_EVERY, DUP_EVERY
    LARGE_EVERY = DUP_EVERY = 10**9


class Sequence:
    """Python side of the rule above, for one connection: next() gives (delivery id, is_large)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.count = 0
        self.new = 0
        self.recent: list[str] = []

    def next(self) -> tuple[str, bool]:
        k = self.count
        self.count += 1
        large = k % LARGE_EVERY == LARGE_EVERY - 1
        if not large and k % DUP_EVERY == DUP_EVERY - 1 and len(self.recent) >= DUP_LAG:
            return self.recent[-DUP_LAG], False
        self.new += 1
        delivery_id = f"{self.label}-{self.new}"
        self.recent = [*self.recent[-(DUP_LAG - 1) :], delivery_id]
        return delivery_id, large
