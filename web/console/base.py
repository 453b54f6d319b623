"""The console blueprint itself: every route needs a signed-in staff member, errors are HTML pages."""

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from web.console.forms import LanguageForm
from worker.services import Services
from worker.store import sessions, staff

bp = Blueprint("console", __name__, url_prefix="/console")
PUBLIC_ENDPOINTS = frozenset({"console.login", "console.language"})


def services() -> Services:
    """The app's collaborators (Redis, Shippify client, queue)."""
    return current_app.extensions["notifier"]


@bp.before_request
def require_login() -> Response | None:
    """Load the staff member of the session; anyone else goes to the login page."""
    g.staff = _session_staff()
    if g.staff is None and request.endpoint not in PUBLIC_ENDPOINTS:
        return redirect(url_for("console.login", next=request.full_path.rstrip("?")))
    return None


def _session_staff() -> staff.Staff | None:
    """The account behind a live session; a session that ended (sign-out, idle, lifetime, password change, removal)
    leaves only the language choice in the cookie."""
    username = sessions.resume(services().redis, session.get("sid"), session_policy())
    account = staff.get(services().redis, username) if username else None
    if account is None and "sid" in session:
        sessions.end(services().redis, session["sid"], username)
        keep_only_language()
    return account


def session_policy() -> sessions.Policy:
    """When console sessions end (set in `init_app`)."""
    return current_app.extensions["console_sessions"]


def keep_only_language() -> None:
    """Forget everything in the cookie but the language choice."""
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language


def admin_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Staff management and failed-job actions are for admins only."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.staff is None or not g.staff.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def safe_next(target: str | None) -> str:
    """Only a path inside the console, so a crafted link cannot send staff elsewhere after login; control characters
    (a newline would split the Location header) and backslashes fall back to the console home."""
    if target and target.startswith("/console") and target.isprintable() and "\\" not in target:
        return target if not urlsplit(target).netloc else url_for("console.home")
    return url_for("console.home")


@bp.app_context_processor
def layout() -> dict[str, Any]:
    """What the base layout needs on every console page."""
    if not request.blueprint or not request.blueprint.startswith("console"):
        return {}
    language = LanguageForm(lang=str(get_locale() or "en"), next=request.full_path.rstrip("?"))
    return {"staff": g.get("staff"), "language_form": language, "locale": str(get_locale() or "en")}


ERROR_TEXT = {
    400: _l("The request could not be understood."),
    403: _l("This page is for admins. Ask an admin if you need it."),
    404: _l("There is nothing here."),
    405: _l("This page does not accept that."),
}


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException) -> tuple[str, int, dict[str, str]]:
    """Console errors as pages in the staff member's language (the rest of the service answers JSON)."""
    code = exc.code or 500
    headers = {}
    if isinstance(exc, CSRFError):
        text = _("The form expired or did not come from this console. Reload the page and try again.")
    elif code == 429:
        text = _("Too many sign-in attempts for this account or from this address. Wait a minute and try again.")
        headers["Retry-After"] = "60"
    else:
        text = str(ERROR_TEXT.get(code) or _("Something went wrong."))
    return render_template("console/error.html", code=code, text=text), code, headers
