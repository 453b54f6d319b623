"""The support console: login, find a delivery, its timeline, resend; admins also see failed jobs and staff.

`init_app` wires the extensions it needs: CSRF on every form (Flask-WTF), login throttling in Redis
(the `limits` library), console text in es/pt/en (Flask-Babel), signed session cookies that carry only a session id
(the session itself is a record in Redis: worker/sessions.py) and security headers.
"""

from flask import Flask, Request, Response, request, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect

from worker.locales import LOCALES
from worker.services import Services
from worker.store import sessions

SESSION_LIFETIME = sessions.LIFETIME
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the delivery page shows a tracking link: never leak it, or our URLs
}
# Pages show recipients' names and tracking links: nothing of them stays in a shared support PC's browser cache.
PAGE_HEADERS = {**SECURITY_HEADERS, "Cache-Control": "no-store"}
# Anything but a page (JSON, TwiML, metrics, files) loads nothing and is framed by nobody: the strictest policy,
# and a short one, as machines fetch these by the thousand.
DOCUMENT_HEADERS = {
    **SECURITY_HEADERS,
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
}


def init_app(app: Flask) -> None:
    """Configure sessions and the extensions, then register the console's blueprints."""
    services: Services = app.extensions["notifier"]
    settings = services.settings
    app.config.update(
        SESSION_COOKIE_NAME="notifier_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SECURE=not settings.is_development,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME,
        WTF_CSRF_TIME_LIMIT=int(SESSION_LIFETIME.total_seconds()),
        # Referrer-Policy: no-referrer means browsers send no Referer, which Flask-WTF's HTTPS-only Referer check
        # would refuse; the session-bound token and SameSite=Lax cookies are the protection.
        WTF_CSRF_SSL_STRICT=False,
    )
    app.session_interface = SessionOnlyWithCookie()
    # When sessions end (idle, lifetime); tests replace it, with its clock, to move time without waiting.
    app.extensions["console_sessions"] = sessions.Policy()
    _csrf(app)
    Babel(app, locale_selector=select_locale, default_translation_directories="translations")
    app.after_request(security_headers)

    from web.console import admin, auth, base, dashboard, previews, recipients, views  # noqa: F401 - importing them adds their routes to base.bp

    app.register_blueprint(base.bp)


def _csrf(app: Flask) -> None:
    """Every POST needs a token, except machine endpoints (shared secret, Twilio signature, bearer token)."""
    from web import api, health, twilio_hooks, webhooks

    csrf = CSRFProtect(app)
    for blueprint in (webhooks.bp, twilio_hooks.bp, health.bp, api.bp):
        csrf.exempt(blueprint)
    app.extensions["console_csrf"] = csrf


def select_locale() -> str:
    """The staff member's choice, else the browser's preference, else English."""
    chosen = session.get("lang")
    if chosen in LOCALES:
        return str(chosen)
    return request.accept_languages.best_match(LOCALES) or "en"


def security_headers(response: Response) -> Response:
    """A strict CSP and friends on every answer, unless the view set its own; HTML pages get the console's policy,
    everything else one that allows nothing."""
    headers = PAGE_HEADERS if response.mimetype == "text/html" else DOCUMENT_HEADERS
    present = {name.lower() for name, _ in response.headers}  # one pass: a miss in Headers costs an exception
    response.headers.extend((name, value) for name, value in headers.items() if name.lower() not in present)
    return response


class SessionOnlyWithCookie(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, without building the signer for requests that bring no session cookie
    (webhooks, Twilio callbacks, the API: every machine request); such a request gets an empty session, as before."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)
