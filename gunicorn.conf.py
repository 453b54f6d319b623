"""gunicorn settings for a PaaS: bind $PORT, size from WEB_CONCURRENCY, trust the platform's router."""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "sync"
timeout = 30
graceful_timeout = 20  # below the platform's 30 s SIGTERM→SIGKILL window
keepalive = 5
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
