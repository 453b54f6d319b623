"""Request ids in every log line of a request, and optional error reporting with personal data scrubbed."""

import re
import secrets

from flask import Flask, Response, g, has_request_context, request

from worker import logs, reporting

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def current_request_id() -> dict[str, str]:
    """The id of the request being handled, for every line logged while handling it."""
    return {"request_id": g.get("request_id", "")} if has_request_context() else {}


def init_app(app: Flask, sentry_dsn: str, environment: str) -> None:
    """Request ids for logs and responses; Sentry when a DSN is configured."""

    @app.before_request
    def assign_request_id() -> None:
        incoming = request.environ.get("HTTP_X_REQUEST_ID", "")  # not request.headers: a miss there raises
        # A caller's id is kept only if it is plain and holds nothing the log scrubber would mask (log fields
        # are not scrubbed: a phone number chosen as an id would reach every line of the request).
        plain = _VALID_ID.match(incoming) and logs.scrub(incoming) == incoming
        g.request_id = incoming if plain else secrets.token_hex(16)

    @app.after_request
    def echo_request_id(response: Response) -> Response:
        response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
        return response

    logs.add_context(current_request_id)
    reporting.init(sentry_dsn, environment)
