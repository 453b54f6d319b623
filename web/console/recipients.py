"""Admin page "Recipients": what is kept about a person, found by phone or email; download it as JSON, or erase it
(the rights of access and erasure of LGPD, LOPDP and their kin). Contacts travel in POST bodies only, never URLs."""

import json
from typing import Any

from flask import Response, abort, flash, g, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from web import delivery_answer
from web.console.admin import bp
from web.console.base import services
from web.console.forms import ForgetForm, RecipientForm
from worker import recipients
from worker.store import erasure

EXPORT_NAME = "recipient-export.json"  # never the contact: downloads folders are shared and synced


@bp.get("/recipients")
def recipients_page() -> ResponseReturnValue:
    """The search form and the audit list of erasures."""
    return _page(RecipientForm())


@bp.post("/recipients")
def recipient_look() -> ResponseReturnValue:
    """What is kept about the person: their deliveries, opt-out and replies; with the export and erase forms."""
    form = RecipientForm()
    person = _find(form)
    if person is None:
        return _page(form, status=400)
    return _page(form, person, ForgetForm(formdata=None, contact=form.contact.data))


@bp.post("/recipients/export")
def recipient_export() -> Response:
    """Everything kept about the person, as the CLI's `recipient export` prints it, as a download."""
    person = _find(RecipientForm())
    if person is None:
        abort(400)
    body = json.dumps(delivery_answer.person(services().store, person), indent=2, ensure_ascii=False)
    disposition = f'attachment; filename="{EXPORT_NAME}"'
    return Response(body, mimetype="application/json", headers={"Content-Disposition": disposition})


@bp.post("/recipients/forget")
def recipient_forget() -> ResponseReturnValue:
    """Erase the person (once the admin ticked the confirmation), as the signed-in admin; the opt-out stays."""
    form = ForgetForm()
    person = _find(form)
    if person is None or not form.confirm.data:
        if person is not None:
            form.confirm.errors = [_("Tick the confirmation to erase: it cannot be undone.")]
        return _page(RecipientForm(formdata=None, contact=form.contact.data), person, form, status=400)
    erased = recipients.forget(services(), form.contact.data or "", actor=g.staff.username)
    flash(
        _(
            "Deliveries erased: %(deliveries)d (records: %(records)d).",
            deliveries=erased.deliveries,
            records=erased.records,
        ),
        "success",
    )
    if person.opt_outs:
        flash(
            _("Their opt-outs are kept, so that nothing goes to them again on those channels until they reply START."),
            "warning",
        )
    return redirect(url_for("console.admin.recipients_page"))


def _find(form: RecipientForm) -> recipients.Person | None:
    """The person behind the form's contact, or None with the reason on the field."""
    if not form.validate():
        return None
    try:
        return recipients.find(services(), form.contact.data or "")
    except recipients.NotAContact:
        form.contact.errors = [_("That is neither a phone number nor an email address.")]
        return None


def _page(form: RecipientForm, person: Any = None, forget: ForgetForm | None = None, status: int = 200) -> Any:
    """The page, with the person's summary when there is one."""
    entries = erasure.erasures(services().redis, 20)
    context = {"form": form, "person": person, "forget_form": forget, "erasures": entries}
    return render_template("console/recipients.html", **context), status
