"""The WSGI entry point gunicorn loads (`web.wsgi:app`): settings problems stop the process with one message."""

import sys

from web import create_app
from worker.settings import SettingsError

try:
    app = create_app()
except SettingsError as exc:
    print(exc, file=sys.stderr)
    sys.exit(4)  # gunicorn: a worker that cannot boot stops the whole server
