"""Sign in and out, throttled per account and per address; the language choice."""

from flask import abort, flash, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from limits import parse
from werkzeug.wrappers import Response

from web.console.base import bp, keep_only_language, safe_next, services, session_policy
from web.console.forms import LanguageForm, LoginForm
from worker import store
from worker.store import sessions, staff

ACCOUNT_LIMIT = "5/minute"  # sign-in attempts per username since its last success, wherever they come from
ADDRESS_LIMIT = "20/minute"  # sign-in attempts per client address, whatever the username


ACCOUNT = parse(ACCOUNT_LIMIT)
ADDRESS = parse(ADDRESS_LIMIT)


class LoginThrottle:
    """Sign-in attempts counted in Redis (the `limits` library, moving window), shared by every web process; only
    the login form pays for it, not the webhooks. Each attempt is counted before its password is checked, in one
    atomic step per limit, so parallel attempts cannot all pass the check before any of them is counted."""

    def __init__(self, client) -> None:
        self.limiter = store.limiter(client, "login")

    def attempt(self, username: str, address: str) -> bool:
        """Count an attempt against the account, then the address; False when either limit is used up (a throttled
        account is refused even with the right password)."""
        return self.limiter.hit(ACCOUNT, "account", username) and self.limiter.hit(ADDRESS, "address", address)

    def succeeded(self, username: str) -> None:
        """A right password: the account's count starts again (the address keeps counting every attempt)."""
        self.limiter.clear(ACCOUNT, "account", username)


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """A fresh session for the staff member once the password matches."""
    form = LoginForm(next=request.args.get("next", ""))
    if g.staff is not None and request.method == "GET":
        return redirect(safe_next(form.next.data))
    error = None
    if form.validate_on_submit():
        username = staff.normalise_username(form.username.data or "")[:64]
        address = request.remote_addr or "unknown"
        throttle = LoginThrottle(services().redis)
        if not throttle.attempt(username, address):
            abort(429)
        account = staff.authenticate(services().redis, username, form.password.data or "")
        if account is not None:
            throttle.succeeded(username)
            _start_session(account)
            return redirect(safe_next(form.next.data))
        error = _("Wrong username or password.")
    return render_template("console/login.html", form=form, error=error)


def _start_session(account: staff.Staff) -> None:
    """A new session record and id (no fixation: whatever the cookie held before ends), keeping the language."""
    if "sid" in session:
        sessions.end(services().redis, session["sid"])
    keep_only_language()
    session.permanent = True
    session["sid"] = sessions.start(services().redis, account.username, session_policy())


@bp.post("/logout")
def logout() -> Response:
    """End the session: its record goes, so a copy of the cookie no longer signs anyone in."""
    if "sid" in session:
        sessions.end(services().redis, session["sid"], g.staff.username if g.staff else None)
    keep_only_language()
    flash(_("You are signed out."), "info")
    return redirect(url_for("console.login"))


@bp.post("/language")
def language() -> Response:
    """Remember the chosen language for this browser."""
    form = LanguageForm()
    if form.validate_on_submit():
        session["lang"] = form.lang.data
    return redirect(safe_next(form.next.data))
