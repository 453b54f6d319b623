"""Find a delivery, see its timeline and tracking link, resend: the pages support staff use all day."""

from functools import partial
from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from web import resend_answers
from web.console import labels
from web.console.base import bp, services
from web.console.forms import FindForm, ResendForm
from web.console.timeline import activity, moment, recent_activity, timeline
from worker import phones, recipients, resend
from worker.errors import NotifierError, UnknownDelivery
from worker.events import recipient_of

# Template filters that name a code in the staff member's language: {{ n.state|state }}, {{ e.outcome|outcome }}...
for _name, _table in {
    "state": labels.STATES,
    "outcome": labels.OUTCOMES,
    "why": labels.REASONS,
    "channel": labels.CHANNELS,
    "wa_note": labels.WHATSAPP_NOTES,
}.items():
    bp.add_app_template_filter(partial(labels.label, _table), _name)
bp.add_app_template_filter(moment, "moment")  # a stored time (seconds since the epoch) for the `when` macro
NOT_FOUND_TEXT = _l(
    "No delivery has that id or merchant reference. It is not a phone number or an email address either: "
    "type a phone as the recipient gave it, with or without the country code, or a whole email address."
)


@bp.get("/")
def home() -> ResponseReturnValue:
    """The search box and what happened lately."""
    return _home(FindForm())


def _home(form: FindForm, error: str | None = None, status: int = 200) -> ResponseReturnValue:
    rows = recent_activity(services().store)
    return render_template("console/home.html", form=form, rows=rows, error=error), status


@bp.get("/find")
def find() -> ResponseReturnValue:
    """A phone or email: the deliveries that messaged it (our index, newest first). Anything else: ask Shippify,
    which accepts a delivery id or a merchant reference, then show the delivery by its id."""
    form = FindForm(request.args)
    if not form.validate():
        return _home(form, status=400)
    key = (form.q.data or "").strip()
    contact = recipients.contact(key, services().settings)
    if contact:  # never sent to Shippify as if it were an id: a recipient's contact stays here
        return _recipient_results(form, contact)
    try:
        delivery = services().shippify.get_delivery(key)
    except UnknownDelivery:
        if any(services().store.timelines([key])[0]):  # known here, though Shippify no longer knows it
            return redirect(url_for("console.delivery", delivery_id=key))
        return _home(form, str(NOT_FOUND_TEXT), 404)
    except NotifierError:
        return _home(form, _("Shippify did not answer. Try again in a moment."), 503)
    return redirect(url_for("console.delivery", delivery_id=str(delivery.get("id") or key)))


def _recipient_results(form: FindForm, contact: str) -> ResponseReturnValue:
    """The deliveries that messaged a phone or email, newest first, or why there are none."""
    found = recipients.deliveries(services().store, contact)
    if not found:
        days = services().settings.retention_days
        return _home(
            form, _("Nothing was sent to that phone number or email in the last %(days)d days.", days=days), 404
        )
    return render_template("console/home.html", form=form, results=activity(services().store, found), error=None)


@bp.get("/deliveries/<delivery_id>")
def delivery(delivery_id: str) -> ResponseReturnValue:
    """Timeline, current tracking link and the resend form."""
    return _delivery_page(delivery_id, ResendForm(channels=list(resend.default_channels(services()))))


@bp.post("/deliveries/<delivery_id>/resend")
def resend_delivery(delivery_id: str) -> ResponseReturnValue:
    """Resend through the same function as the CLI and the API, as the signed-in staff member."""
    form = ResendForm()
    if not form.validate() or not form.channels.data:
        if not form.channels.data:
            form.channels.errors = [*form.channels.errors, str(labels.PROBLEMS[resend.CHOOSE_CHANNELS])]
        return _delivery_page(delivery_id, form, status=400)
    asked = resend.ResendRequest(
        channels=tuple(form.channels.data),
        phone=form.phone.data or "",
        email=form.email.data or "",
        reason=form.reason.data or "",
    )
    try:
        result = resend.resend(services(), delivery_id, asked, actor=g.staff.username)
    except resend_answers.REFUSALS as exc:
        return _refused(delivery_id, form, exc, resend_answers.answer(exc, delivery_id))
    _flash_result(result)
    return redirect(url_for("console.delivery", delivery_id=result.delivery_id) + "#timeline")


def _refused(delivery_id: str, form: ResendForm, exc: Exception, answer: resend_answers.Answer) -> ResponseReturnValue:
    """The delivery page again, saying why nothing was sent (web/resend_answers.py decides the status)."""
    if answer.kind == "unknown_delivery":
        abort(404)
    for name, problem in answer.problems.items():
        form[name].errors = [*form[name].errors, labels.label(labels.PROBLEMS, problem)]
    return _delivery_page(delivery_id, form, status=answer.page, form_error=_refusal_text(exc, answer))


def _refusal_text(exc: Exception, answer: resend_answers.Answer) -> str | None:
    """The translated sentence above the form (field problems show at their fields instead)."""
    count = getattr(exc, "count", 0)
    if answer.kind == "actor_limit":
        return _(
            "You reached your resend limit (%(count)d an hour for this kind of destination). "
            "Try again in %(minutes)d minutes.",
            count=count,
            minutes=max(1, -(-(answer.retry_after or 0) // 60)),
        )
    if answer.kind == "delivery_limit":
        return _(
            "This delivery was already resent %(count)d times in the last hour. Try again in %(minutes)d minutes.",
            count=count,
            minutes=max(1, (answer.retry_after or 0) // 60),
        )
    return None if answer.kind == "invalid" else _("Shippify did not answer; nothing was sent.")


def _flash_result(result: resend.ResendResult) -> None:
    """One line per channel, with the masked destination."""
    for sent in result.notifications:
        names = {"channel": labels.label(labels.CHANNELS, sent.channel), "to": sent.destination}
        if sent.state == "suppressed":
            flash(_("%(channel)s to %(to)s not sent: the recipient replied STOP.", **names), "warning")
        else:
            flash(_("%(channel)s to %(to)s queued.", **names), "success")


def _delivery_page(delivery_id: str, form: ResendForm, status: int = 200, form_error: str | None = None) -> Any:
    """The delivery as Shippify has it now (with a fresh link) and as our record has it."""
    shippify = services().shippify
    delivery: dict[str, Any] | None = None
    link = None
    notice = None
    entries = timeline(services().store, delivery_id)
    try:
        delivery = shippify.get_delivery(delivery_id)
        link = shippify.get_tracking_link(delivery_id).url
    except UnknownDelivery:
        if not entries:
            abort(404)
        notice = _("Shippify does not know this delivery (any more): only our record is shown.")
    except NotifierError:
        notice = _("Shippify did not answer: the tracking link and recipient are not shown. Reload to try again.")
    context = {
        "delivery_id": delivery_id,
        "delivery": delivery or {},
        "recipient": _masked_recipient(delivery or {}),
        "link": link,
        "notice": notice,
        "entries": entries,
        "form": form,
        "form_error": form_error,
    }
    return render_template("console/delivery.html", **context), status


def _masked_recipient(delivery: dict[str, Any]) -> dict[str, str]:
    """Name in full (staff greet the caller by it), phone and email masked as everywhere else."""
    recipient = recipient_of(delivery)
    number = phones.normalise(recipient.get("phonenumber"), services().settings.default_country).e164
    email = recipient.get("email") if isinstance(recipient.get("email"), str) else None
    name = str(recipient.get("name") or "")
    return {"name": name, "phone": phones.mask(number), "email": phones.mask_email(email)}
