"""One JSON object per log line, with personal data and tracking tokens scrubbed from every message."""

import json
import logging
import re
import sys
import time

EXTRA_FIELDS = ("delivery_id", "event_id", "notification_id", "job_id", "request_id", "to", "state", "reason")
_TOKEN = re.compile(r"(token=)[^&\s\"'<>]+", re.IGNORECASE)
_TRACK_PATH = re.compile(r"(/track/[^\s\"'<>?]*\?)[^\s\"'<>]+")
_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
_PHONE = re.compile(r"(?<![\w+])\+?\d[\d ().-]{6,}\d(?!\w)")


def scrub(text: str) -> str:
    """Remove tracking tokens and mask emails and phone numbers in free text."""
    text = _TRACK_PATH.sub(r"\1[redacted]", text)
    text = _TOKEN.sub(r"\1[redacted]", text)
    text = _EMAIL.sub(r"\1…@\2", text)
    return _PHONE.sub("[phone]", text)


class JsonFormatter(logging.Formatter):
    """Structured lines for the PaaS log drain; exceptions are scrubbed too."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": scrub(record.getMessage()),
        }
        for field in EXTRA_FIELDS:  # ids and already-masked values, set by our own code
            value = getattr(record, field, None)
            if value not in (None, ""):
                entry[field] = str(value)
        if record.exc_info:
            entry["exception"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure(level: str = "INFO", stream=None) -> None:
    """Send every logger (ours, RQ's, gunicorn's) through the JSON formatter."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("urllib3", "twilio", "werkzeug"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
