"""Phone numbers as merchants type them, turned into E.164 for Twilio, or a reason why not."""

from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType, timezone

# Types that can receive SMS. Chilean and Mexican mobiles are FIXED_LINE_OR_MOBILE, so MOBILE alone is too strict.
SMS_CAPABLE = frozenset(
    {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE, PhoneNumberType.PAGER, PhoneNumberType.UNKNOWN}
)
MAX_RAW_LENGTH = 40


@dataclass(frozen=True)
class PhoneCheck:
    """Either an E.164 number or the reason SMS must be skipped."""

    e164: str | None
    reason: str | None = None


def normalise(raw: object, default_region: str) -> PhoneCheck:
    """E.164 form of `raw`, read with `default_region` when it has no country code."""
    if not isinstance(raw, str) or not raw.strip():
        return PhoneCheck(None, "no_phone")
    if len(raw) > MAX_RAW_LENGTH:
        return PhoneCheck(None, "invalid_phone")
    try:
        number = phonenumbers.parse(raw, default_region)
    except NumberParseException:
        return PhoneCheck(None, "invalid_phone")
    if not phonenumbers.is_valid_number(number):
        return PhoneCheck(None, "invalid_phone")
    if phonenumbers.number_type(number) not in SMS_CAPABLE:
        return PhoneCheck(None, "not_mobile")
    return PhoneCheck(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def time_zone(raw: object, default_region: str) -> str:
    """The recipient's time zone: from their number when it names one, else the default country's main zone."""
    try:
        number = phonenumbers.parse(raw, default_region) if isinstance(raw, str) and raw.strip() else None
    except NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        number = phonenumbers.example_number(default_region)
    zones = timezone.time_zones_for_number(number) if number is not None else ()
    return next((z for z in zones if z != "Etc/Unknown"), "UTC")


def region(raw: str) -> str | None:
    """The country (ISO 3166 alpha-2) of a number in international form, None when it is not one."""
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(raw, None)) or None
    except NumberParseException:
        return None


def mask(e164: str | None) -> str:
    """A number safe for logs and the console list: country code and last two digits."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
        prefix = f"+{number.country_code}"
    except NumberParseException:
        prefix = "+"
    return f"{prefix}…{e164[-2:]}"


def mask_email(address: str | None) -> str:
    """An address safe for logs: first letter and the domain."""
    if not address or "@" not in address:
        return ""
    local, _, domain = address.rpartition("@")
    return f"{local[:1]}…@{domain}"
