"""SMS segment counting, so the fake Twilio reports costs the way the real one would."""

from __future__ import annotations

import math

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")


def is_gsm7(body: str) -> bool:
    """True when every character fits the GSM-7 alphabet (one outside switches the SMS to UCS-2)."""
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in body)


def gsm7_units(body: str) -> int:
    """Septets used: extension characters take an escape plus the character."""
    return sum(2 if ch in GSM7_EXTENDED else 1 for ch in body)


def ucs2_units(body: str) -> int:
    """UTF-16 code units: characters outside the BMP (emoji) take two."""
    return len(body.encode("utf-16-le")) // 2


def count_segments(body: str) -> int:
    """Parts Twilio would bill: GSM-7 160 single / 153 per part, else UCS-2 70 / 67."""
    if is_gsm7(body):
        units, single, part = gsm7_units(body), 160, 153
    else:
        units, single, part = ucs2_units(body), 70, 67
    if units <= single:
        return 1
    return math.ceil(units / part)
