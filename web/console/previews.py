"""The message preview in the console: every template with sample data, what each SMS costs, each email as sent."""

from flask import Response, abort, render_template
from flask.typing import ResponseReturnValue

from web.console.base import bp, services
from worker import preview, whatsapp_preview
from worker.locales import LOCALES

# The rendered email is shown in a sandboxed iframe of our own pages: still no script, no outside resource, no form,
# but its inline styles (an email has no other kind) and framing by the console itself.
EMAIL_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        "frame-ancestors 'self'; form-action 'none'; base-uri 'none'; sandbox"
    ),
    "X-Frame-Options": "SAMEORIGIN",
}


@bp.get("/messages")
def messages() -> ResponseReturnValue:
    """Every SMS (text, length, encoding, segments), every email's subject and every WhatsApp template as the
    recipient sees it, grouped by status."""
    settings = services().settings
    folded = settings.sms_fold_locales
    link = preview.sample_link(settings.short_links, settings.public_base_url)
    rows = preview.preview(services().renderer, fold_locales=folded, link=link)
    chats, example = whatsapp_preview.preview_for(settings, link=link, templates_dir=services().renderer.templates_dir)
    statuses = list(dict.fromkeys([*(row.status for row in rows), *(chat.status for chat in chats)]))
    context = {
        "groups": [
            (status, [row for row in rows if row.status == status], [chat for chat in chats if chat.status == status])
            for status in statuses
        ],
        "link_length": len(link),
        "folded": ", ".join(sorted(folded)),
        "whatsapp_example": example,
    }
    return render_template("console/messages.html", **context)


@bp.get("/messages/<locale>/<status>/email")
def message_email(locale: str, status: str) -> ResponseReturnValue:
    """One email: subject, plain text, and the HTML in a sandboxed iframe."""
    row = _email_row(locale, status)
    return render_template("console/message_email.html", row=row)


@bp.get("/messages/<locale>/<status>/email.html")
def message_email_html(locale: str, status: str) -> ResponseReturnValue:
    """The email's HTML alone, for the iframe; served so that nothing in it can run."""
    row = _email_row(locale, status)
    assert row.email is not None
    return Response(row.email.html, mimetype="text/html", headers=EMAIL_HEADERS)


def _email_row(locale: str, status: str) -> preview.Row:
    """The rendered email of an existing template, else 404 (a broken template: 500 with its error in the log)."""
    renderer = services().renderer
    if locale not in LOCALES or status not in preview.template_statuses(renderer):
        abort(404)
    if renderer.missing(status, locale, "email"):
        abort(404)
    return preview.message(renderer, status, locale, "email")
