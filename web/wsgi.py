"""The WSGI entry point gunicorn loads (`web.wsgi:app`): settings problems stop the process with one message."""

import logging
import sys

import redis

from web import create_app
from worker.connection import check_eviction_policy
from worker.settings import SettingsError

try:
    app = create_app()
except SettingsError as exc:
    print(exc, file=sys.stderr)
    sys.exit(4)  # gunicorn: a worker that cannot boot stops the whole server

try:
    _warning = check_eviction_policy(app.extensions["notifier"].redis)
except redis.RedisError:
    _warning = None  # Redis down at boot: webhooks answer 503 until it is back
if _warning:
    logging.getLogger("web").warning(_warning)
