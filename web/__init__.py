"""The web process: Shippify webhooks, Twilio callbacks, health and metrics (a Flask app factory)."""

import os
from collections.abc import Mapping
from urllib.parse import urlsplit, urlunsplit

from dotenv import load_dotenv
from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

from worker import logs
from worker.services import Services
from worker.settings import Settings


def create_app(config: Settings | Mapping[str, str] | None = None) -> Flask:
    """Build the app from `config` (Settings, or a mapping read instead of the environment)."""
    settings = _settings(config)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.webhook_max_bytes,
        JSON_SORT_KEYS=False,
    )
    # The router's client address and scheme are trusted; its X-Forwarded-Host is not: no URL we build names a host
    # taken from the request (redirects are relative, Twilio signatures use PUBLIC_BASE_URL).
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)  # type: ignore[method-assign]
    app.extensions["notifier"] = Services.from_settings(settings)

    from web import errors, health, metrics, observability, openapi, short_links, twilio_hooks, webhooks

    observability.init_app(app, settings.sentry_dsn, settings.app_env)
    errors.register(app)
    app.register_blueprint(webhooks.bp)
    app.register_blueprint(twilio_hooks.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(metrics.bp)
    short_links.init_app(app)

    from web import api, console

    app.register_blueprint(api.bp)
    console.init_app(app)
    app.register_blueprint(openapi.bp)
    app.after_request(relative_redirects)
    return app


def relative_redirects(response: Response) -> Response:
    """Our own redirects as paths: Werkzeug builds its trailing-slash redirects from the request's Host header,
    which the client chooses; a path keeps the browser on the host it asked for, whatever that header said."""
    if not 300 <= response.status_code < 400:
        return response  # most answers: no Location to look up (a miss in Headers costs an exception)
    parts = urlsplit(response.headers.get("Location", ""))
    if parts.scheme and parts.netloc.lower() == request.host.lower():
        path = "/" + parts.path.lstrip("/")  # never "//host/...", which a browser reads as another host
        response.headers["Location"] = urlunsplit(("", "", path, parts.query, parts.fragment))
    return response


def _settings(config: Settings | Mapping[str, str] | None) -> Settings:
    """Settings as given, or read from the environment (and `.env`), configuring JSON logs on the way."""
    if isinstance(config, Settings):
        return config
    if config is None:
        load_dotenv()
        settings = Settings.from_env(os.environ)
        logs.configure(settings.log_level)
        return settings
    return Settings.from_env(config)
