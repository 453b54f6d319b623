"""`GET /t/<code>`: a short tracking link. 302 to the delivery's secure tracking link, fetched fresh from Shippify
(a few seconds' cache per process: link_cache.py), the visit recorded as a click or a link preview; otherwise a
page (short_link_pages.py): 404 for any unknown or expired code, 503 while Shippify is unreachable, 429 past the
per-address throttle. The tracking link goes in the Location header and nowhere else."""

import logging
import re

from flask import Blueprint, Flask, Response, current_app, request
from limits import parse

from web.link_cache import LinkCache
from web.short_link_pages import HEADERS, page
from worker import store
from worker.errors import PermanentError, TransientError, UnknownDelivery
from worker.services import Services
from worker.short_link_visits import visit_kind
from worker.store import short_links

log = logging.getLogger(__name__)
bp = Blueprint("short_links", __name__)

ADDRESS_LIMIT = parse("30/minute")  # link opens per client address: a person needs a few, enumeration millions
CODE = re.compile(r"[A-Za-z0-9_-]{8,32}")


@bp.get("/t/<code>")
def follow(code: str) -> Response:
    """Redirect to the tracking link of the code's delivery, or say why not."""
    services: Services = current_app.extensions["notifier"]
    default = services.settings.default_locale
    limiter = current_app.extensions["short_link_limiter"]
    if not limiter.hit(ADDRESS_LIMIT, "address", request.remote_addr or "unknown"):
        return page("busy", default)
    target = short_links.find(services.store.redis, code) if CODE.fullmatch(code) else None
    if target is None:
        return page("expired", default)
    locale = target.locale or default
    try:
        link = current_app.extensions["short_link_cache"].get(target.delivery_id, services.shippify.get_tracking_link)
    except UnknownDelivery:
        return page("expired", locale)
    except (TransientError, PermanentError) as exc:
        log.warning(
            "short link: no tracking link from Shippify (%s)",
            type(exc).__name__,
            extra={"delivery_id": target.delivery_id},
        )
        return page("unavailable", locale)
    kind = visit_kind(request.method, request.user_agent.string, target.sent_at)
    short_links.record_visit(services.store.redis, target, kind, services.store.ttl)
    return Response(status=302, headers={**HEADERS, "Location": link.url})


def init_app(app: Flask) -> None:
    """The blueprint, its per-process link cache and its throttle (counts in Redis, shared by every process)."""
    services: Services = app.extensions["notifier"]
    app.extensions["short_link_cache"] = LinkCache()
    app.extensions["short_link_limiter"] = store.limiter(services.store.redis, "short-link")
    app.register_blueprint(bp)
