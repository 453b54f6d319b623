"""gunicorn settings for a PaaS: bind $PORT, size from WEB_CONCURRENCY, trust the platform's router."""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"  # the platform's contract; `make run` binds 127.0.0.1 instead
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# gevent: each connection is a greenlet, so a client that sends its request slowly (or never finishes it) holds a
# greenlet, not the worker. With sync workers two such clients stopped the web process; with gthread, as many as
# its threads (bench/slow_clients.py). redis-py, requests and the Twilio SDK go through the patched socket module.
worker_class = "gevent"
worker_connections = 500  # connections per worker at once (slow ones included); fds stay well under ulimit -n 1024
timeout = 30  # a worker whose event loop is blocked this long (CPU-bound code, not a slow client) is restarted
graceful_timeout = 20  # below the platform's 30 s SIGTERM→SIGKILL window
keepalive = 5  # idle kept-alive connections close after 5 s and give their greenlet back
# Request size limits, chosen: our longest request line is a console page with filters (well under 2 KB); browsers
# and the router add about 25 headers; a console cookie is under 1 KB. Anything beyond answers 400 before the app.
limit_request_line = 4094
limit_request_fields = 64
limit_request_field_size = 8190
forwarded_allow_ips = "*"  # the PaaS router is the only way in; ProxyFix in the app reads X-Forwarded-*
accesslog = "-"
# Access lines carry no query strings, bodies or client addresses: method, path, status, size, time, request id.
access_log_format = "%(m)s %(U)s status=%(s)s bytes=%(B)s ms=%(M)s request_id=%({x-request-id}o)s"
# gunicorn's own lines (start, stop, worker timeouts, access) as JSON objects too, like the app's, scrubbed alike.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "worker.logs.JsonFormatter"}},
    "handlers": {
        "error": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"},
        "access": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"},
    },
    "root": {"level": "INFO", "handlers": ["error"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["error"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["access"], "propagate": False},
    },
}
preload_app = False
