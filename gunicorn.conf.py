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
# Access lines carry no query strings or bodies: path, status and timing only.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
preload_app = False
