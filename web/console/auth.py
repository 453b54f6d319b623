"""Sign in and out, throttled per account and per address; the language choice."""

from typing import Any

from flask import Flask, flash, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.wrappers import Response

from web.console.base import bp, safe_next, services
from web.console.forms import LanguageForm, LoginForm
from worker import staff

ACCOUNT_LIMIT = "5/minute"  # failed sign-ins per username, wherever they come from
ADDRESS_LIMIT = "20/minute"  # failed sign-ins per client address, whatever the username


def account_key() -> str:
    """The username tried, as accounts are keyed."""
    return "account:" + staff.normalise_username(request.form.get("username", ""))[:64]


def failed(response: Response) -> bool:
    """Only attempts that did not sign in count towards the limits."""
    return response.status_code != 302


def throttle(limiter: Limiter, app: Flask) -> None:
    """Wrap the login view of this app with both limits (counters in Redis, shared by every web process)."""
    view: Any = app.view_functions["console.login"]
    by_account = limiter.limit(ACCOUNT_LIMIT, key_func=account_key, methods=["POST"], deduct_when=failed)
    by_address = limiter.limit(ADDRESS_LIMIT, key_func=get_remote_address, methods=["POST"], deduct_when=failed)
    app.view_functions["console.login"] = by_address(by_account(view))


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """A fresh session for the staff member once the password matches."""
    form = LoginForm(next=request.args.get("next", ""))
    if g.staff is not None and request.method == "GET":
        return redirect(safe_next(form.next.data))
    error = None
    if form.validate_on_submit():
        account = staff.authenticate(services().redis, form.username.data or "", form.password.data or "")
        if account is not None:
            _start_session(account)
            return redirect(safe_next(form.next.data))
        error = _("Wrong username or password.")
    return render_template("console/login.html", form=form, error=error)


def _start_session(account: staff.Staff) -> None:
    """Clear whatever the session held before (no fixation), keep the language."""
    language = session.get("lang")
    session.clear()
    session.permanent = True
    session["staff"] = account.username
    session["since"] = account.created_at
    if language:
        session["lang"] = language


@bp.post("/logout")
def logout() -> Response:
    """End the session."""
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    flash(_("You are signed out."), "info")
    return redirect(url_for("console.login"))


@bp.post("/language")
def language() -> Response:
    """Remember the chosen language for this browser."""
    form = LanguageForm()
    if form.validate_on_submit():
        session["lang"] = form.lang.data
    return redirect(safe_next(form.next.data))
