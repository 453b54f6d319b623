"""Shippify's delivery statuses, keyed on the `_status` string (several strings share one number)."""

KNOWN = frozenset(
    {
        "deleted",
        "canceled",
        "returned",
        "not_picked_up_payable",
        "pending_to_review",
        "processing",
        "not_picked_up",
        "broadcasting",
        "assigned",
        "confirmed_to_pickup",
        "going_to_pickup",
        "at_pickup",
        "on_delivery",
        "going_to_dropoff",
        "at_dropoff",
        "hold_by_courier",
        "dropped_off",
        "going_to_return",
        "at_return_point",
        "completed",
        # legacy strings still seen in old integrations
        "scheduled",
        "returning",
        "draft",
    }
)

# Once a delivery is here, messages about earlier stages are stale and must not go out.
FINAL = frozenset({"completed", "canceled", "returned", "deleted", "not_picked_up_payable"})

MAX_LENGTH = 64


def normalise(value: object) -> str | None:
    """The status string in the form Shippify uses, or None when `value` is not a plausible status string."""
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    if not text or len(text) > MAX_LENGTH or not text.replace("_", "").isalnum() or not text.isascii():
        return None
    return text


def is_known(status: str | None) -> bool:
    """Whether Shippify documents this status."""
    return status in KNOWN


def is_stale(event_status: str, current_status: str | None) -> bool:
    """An event about an earlier stage arriving after the delivery already ended."""
    return event_status not in FINAL and current_status in FINAL
