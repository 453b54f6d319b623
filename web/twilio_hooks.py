"""Twilio's delivery reports and the recipient's replies (STOP/START), signature-checked."""

import logging
import re

from flask import Blueprint, Response, current_app, request
from twilio.request_validator import RequestValidator

from web.errors import error
from worker import channels, fallback, phones
from worker.services import Services

bp = Blueprint("twilio", __name__)
log = logging.getLogger(__name__)

STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
START_WORDS = frozenset({"START", "UNSTOP", "YES"})
OPTED_OUT_CODE = "21610"
MESSAGE_SID = re.compile(r"^[A-Za-z]{2}[0-9a-fA-F]{32}$")  # SM…/MM…: 34 characters
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def _signed() -> bool:
    """X-Twilio-Signature over the public URL Twilio called (the app may sit behind a proxy) and the form."""
    services: Services = current_app.extensions["notifier"]
    settings = services.settings
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature or not settings.twilio_auth_token:
        return False
    base = settings.public_base_url or request.host_url.rstrip("/")
    url = base + request.full_path.rstrip("?")
    return RequestValidator(settings.twilio_auth_token).validate(url, request.form, signature)


@bp.post("/webhooks/twilio/status")
def status() -> Response:
    """Move the notification forward (never back) and keep Twilio's error code."""
    if not _signed():
        return error(403, "invalid_signature", "the X-Twilio-Signature header does not match this request")
    services: Services = current_app.extensions["notifier"]
    sid = request.form.get("MessageSid", "")
    new_state = request.form.get("MessageStatus", "").lower()
    code = request.form.get("ErrorCode") or None
    nid = services.store.by_provider_id(sid) if sid else None
    # Only a report that moves the state acts: a replayed or repeated report (the same MessageSid and status) finds
    # the state already there and changes nothing, not even an opt-out the recipient has since revoked with START.
    if nid and new_state and services.store.advance(nid, new_state, error_code=code):
        if code == OPTED_OUT_CODE and request.form.get("To"):
            _opt_out(services, request.form["To"])
        log.info("delivery report", extra={"notification_id": nid, "state": new_state})
        fallback.after_report(services, nid)
    return Response(status=204)


@bp.post("/webhooks/twilio/inbound")
def inbound() -> Response:
    """STOP-family words (or Twilio's OptOutType) stop the channel they came through (SMS, or WhatsApp for
    From=whatsapp:+...) to that number; START lets it go again."""
    if not _signed():
        return error(403, "invalid_signature", "the X-Twilio-Signature header does not match this request")
    services: Services = current_app.extensions["notifier"]
    sid = request.form.get("MessageSid", "")
    sid = sid if MESSAGE_SID.match(sid) else ""
    if services.store.handled(sid):  # a replay: the STOP or START it carried was acted on once, when it came
        log.info("inbound message replayed: ignored")
        return Response(EMPTY_TWIML, status=200, mimetype="text/xml")
    through, address = channels.replying(request.form.get("From", ""))
    sender = phones.normalise(address, services.settings.default_country).e164
    keyword = (request.form.get("OptOutType") or request.form.get("Body", "")).strip().upper()
    if sender and keyword in STOP_WORDS:
        _opt_out(services, request.form.get("From", ""), sid)
    elif sender and keyword in START_WORDS:
        services.store.opt_in(sender, sid, scope=through.opt_out_scope)
        log.info("recipient opted back in", extra={"to": phones.mask(sender), "channel": through.name})
    return Response(EMPTY_TWIML, status=200, mimetype="text/xml")


def _opt_out(services: Services, address: str, message_sid: str = "") -> None:
    """Remember a STOP, whichever way it reached us, for the channel it came through only (a WhatsApp STOP stops
    WhatsApp, an SMS STOP stops SMS)."""
    through, number = channels.replying(address)
    e164 = phones.normalise(number, services.settings.default_country).e164
    if e164:
        services.store.opt_out(e164, message_sid, scope=through.opt_out_scope)
        log.info("recipient opted out", extra={"to": phones.mask(e164), "channel": through.name})
