"""One JSON object per log line, with personal data and tracking tokens scrubbed from every message."""

import json
import logging
import re
import sys
import time
from collections.abc import Callable
from typing import Any

EXTRA_FIELDS = ("delivery_id", "event_id", "notification_id", "job_id", "request_id", "to", "state", "reason")
_TOKEN = re.compile(r"(token=)[^&\s\"'<>]+", re.IGNORECASE)
_TRACK_PATH = re.compile(r"(/track/[^\s\"'<>?]*\?)[^\s\"'<>]+")
_SHORT_LINK = re.compile(r"(/t/)[A-Za-z0-9_-]+")  # a short link's code opens the tracking page: the access log too
# Any character RFC 5322 allows in an address's local part ("*@x.ec" and "a/b=c@x.ec" are addresses too).
_EMAIL = re.compile(r"([\w.!#$%&'*+/=?^`{|}~-])[\w.!#$%&'*+/=?^`{|}~-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
# Numbers that are not phone numbers, matched first so that their digits stay readable: UUIDs, ISO timestamps,
# IP addresses with their port, durations ("12.5 ms", "0.25s") and a process id in parentheses ("(1234)").
_KEEP = (
    r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}"
    r"|\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
    r"|\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?"
    r"|\d+(?:\.\d+)?\s?(?:ns|µs|us|ms|s|secs?|seconds?|min|minutes?|h|hours?)(?!\w)"
    r"|\(\d+\)(?!\s?\d)"
)
# A phone number: maybe "+" (or "%2B", URL-encoded in Twilio's ?To=%2B593...), a country code, an area code in
# parentheses, then digit groups split by single spaces, dots or dashes; not part of a word, an id or a host:port.
_PHONE = r"(?:\+|%2[Bb])?(?:\d{1,4}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d+(?:[ .-](?!\d{4}-\d\d-\d\d)\d+)*(?!\w|[.:]\d)"
_NUMBERS = re.compile(rf"(?<![\w+%:.-])(?:(?P<keep>{_KEEP})|{_PHONE})")
_PHONE_DIGITS = 7  # fewer digits: a count, a port, a status code, an id's number
_MAYBE_PERSONAL = re.compile(r"[0-9@]|token=|/track/|/t/", re.IGNORECASE)  # what every pattern above needs


def scrub(text: str) -> str:
    """Remove tracking tokens and mask emails and phone numbers in free text."""
    if not _MAYBE_PERSONAL.search(text):
        return text  # most lines ("webhook queued"): one scan instead of four
    text = _TRACK_PATH.sub(r"\1[redacted]", text)
    text = _SHORT_LINK.sub(r"\1[redacted]", text)
    text = _TOKEN.sub(r"\1[redacted]", text)
    text = _EMAIL.sub(r"\1…@\2", text)
    return _NUMBERS.sub(_mask_phone, text)


def _mask_phone(match: re.Match[str]) -> str:
    """A phone number becomes "[phone]"; anything else the pattern met is left as it was."""
    found = match.group()
    if match.group("keep") or sum(c.isdigit() for c in found) < _PHONE_DIGITS:
        return found
    return "[phone]"


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


_context_providers: list[Callable[[], dict[str, str]]] = []
_base_factory = logging.getLogRecordFactory()


def add_context(provider: Callable[[], dict[str, str]]) -> None:
    """Have every log record carry the fields `provider` returns (request id, job id), whoever logs it."""
    if provider not in _context_providers:
        _context_providers.append(provider)
    logging.setLogRecordFactory(_record_with_context)


def _record_with_context(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record = _base_factory(*args, **kwargs)
    for provider in _context_providers:
        for key, value in provider().items():
            setattr(record, key, value)
    return record


def current_job_id() -> dict[str, str]:
    """The id of the RQ job being run, so that a job's lines can be found together."""
    from rq import get_current_job

    job = get_current_job()
    return {"job_id": job.id} if job is not None else {}


def configure(level: str = "INFO", stream=None) -> None:
    """Send every logger (ours, RQ's, gunicorn's) through the JSON formatter."""
    # The JSON lines use none of the caller's file and line, thread, process or task: not collecting them makes
    # every record cheaper (the logging HOWTO's "Optimization" section names these switches).
    logging._srcfile = None  # type: ignore[attr-defined]
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    logging.logAsyncioTasks = False  # type: ignore[attr-defined]  # Python 3.12+; a harmless attribute before
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    add_context(current_job_id)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("urllib3", "twilio", "werkzeug"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
