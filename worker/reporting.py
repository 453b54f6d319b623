"""Optional error reporting (Sentry, when SENTRY_DSN is set) that never carries personal data or tokens."""

import logging
from typing import Any

from worker.logs import scrub

log = logging.getLogger(__name__)


def init(dsn: str, environment: str) -> bool:
    """Start Sentry with personal data off and every event scrubbed; False when no DSN is configured."""
    if not dsn:
        return False
    import sentry_sdk

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        send_default_pii=False,
        include_local_variables=False,  # locals hold phone numbers, message text and links
        max_request_body_size="never",
        before_send=scrub_event,  # type: ignore[arg-type]
        before_breadcrumb=scrub_breadcrumb,
    )
    return True


def scrub_event(event: dict[str, Any], hint: object = None) -> dict[str, Any]:
    """Remove request bodies, cookies and headers; scrub every remaining string."""
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("data", "cookies", "headers", "query_string", "env"):
            request.pop(key, None)
    event.pop("user", None)
    extra = event.get("extra")
    if isinstance(extra, dict):
        extra.pop("rq-job", None)  # job arguments and description
    return _scrub_tree(event)


def scrub_breadcrumb(crumb: dict[str, Any], hint: object = None) -> dict[str, Any]:
    """Breadcrumbs (log lines, HTTP calls) go through the same scrubbing; an outside call's query string (Twilio's
    message lookup names the recipient there) is dropped whole."""
    data = crumb.get("data")
    if isinstance(data, dict):
        data.pop("http.query", None)
    return _scrub_tree(crumb)


def _scrub_tree(value: Any) -> Any:
    """Scrub strings anywhere in a JSON-like structure."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: _scrub_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub_tree(v) for v in value]
    return value
