"""Words the console shows for stored codes (states, outcomes, reasons, resend problems), in the staff's language."""

from flask_babel import lazy_gettext as _l

from worker import resend
from worker.store import states

# Labels of the notification states: worker/store/states.py marks them for translation (babel extracts `N_`).
STATES = {state.name: _l(state.label) for state in states.STATES}

OUTCOMES = {
    "queued": _l("waiting to be processed"),
    "processed": _l("processed"),
    "duplicate": _l("duplicate"),
    "ignored": _l("ignored"),
    "stale": _l("stale"),
    "failed": _l("failed"),
}

REASONS = {
    "no_phone": _l("no phone number"),
    "invalid_phone": _l("invalid phone number"),
    "not_mobile": _l("not a mobile number"),
    "no_email": _l("no email address"),
    "invalid_email": _l("invalid email address"),
    "opted_out": _l("the recipient replied STOP"),
}

CHANNELS = {"sms": _l("SMS"), "email": _l("Email"), "whatsapp": _l("WhatsApp")}

# What a WhatsApp preview's variable needed (worker/whatsapp_preview.py NOTES).
WHATSAPP_NOTES = {
    "empty": _l("empty: a placeholder is sent"),
    "breaks": _l("held a newline or tab: cleaned"),
    "spaces": _l("held too many spaces in a row: cleaned"),
    "cut": _l("too long: cut"),
}

PROBLEMS = {
    resend.CHOOSE_CHANNELS: _l("Choose at least one channel."),
    resend.NOT_CONFIGURED: _l("This channel is not configured on this service."),
    resend.PHONE_INVALID: _l("Enter a mobile number in international form, such as +593 99 123 4567."),
    resend.EMAIL_INVALID: _l("Enter an email address such as name@example.com."),
    resend.PHONE_WITHOUT_SMS: _l("A corrected phone is only used when SMS or WhatsApp is chosen."),
    resend.EMAIL_WITHOUT_EMAIL: _l("A corrected email is only used when email is chosen."),
    resend.REASON_TOO_LONG: _l("Keep the reason under 500 characters."),
    resend.NO_PHONE: _l("This delivery has no usable phone number: enter a corrected one."),
    resend.NO_EMAIL: _l("This delivery has no usable email address: enter a corrected one."),
}


def label(table: dict, code: str | None) -> str:
    """The translated word for a code, or the code itself when there is none."""
    found = table.get(code or "")
    return str(found) if found is not None else (code or "")
