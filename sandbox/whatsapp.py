"""WhatsApp through the fake Twilio: Content template sends, their approved text, and recipients who cannot be reached.

Deliberately independent of worker/: the stand-in reads the same approved texts and example mapping from disk but
renders and checks them with its own code, so a bug in the service's WhatsApp code is not mirrored here.
"""

from __future__ import annotations

import json
import re
import threading
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = ROOT / "templates"
EXAMPLE_MAPPING = ROOT / "whatsapp_templates.example.toml"
PREFIX = "whatsapp:"
CONTENT_SID = re.compile(r"^HX[0-9a-fA-F]{32}$")
PLACEHOLDER = re.compile(r"\{\{\s*(\d+)\s*\}\}")
MAX_BODY = 1024
MAX_SPACES = 4
# What a marked number does after Twilio answered 201 queued: the reports it then gets, in order.
STATES: dict[str, tuple[tuple[str, int | None], ...]] = {
    "reachable": (("sent", None), ("delivered", None), ("read", None)),
    "unreachable": (("failed", 63003),),  # Meta 1006/1013/1021: not a WhatsApp user
    "blocked": (("failed", 63014),),  # the recipient blocked the business
    "silent": (("sent", None),),  # accepted, never delivered nor read
}
REPORT_DELAY = 0.05


def is_whatsapp(form: dict[str, str]) -> bool:
    """Whether a create request goes to WhatsApp (To=whatsapp:+...)."""
    return form.get("To", "").startswith(PREFIX)


def number_of(address: str) -> str:
    """The E.164 number of a 'whatsapp:+...' address."""
    return address[len(PREFIX) :] if address.startswith(PREFIX) else address


def mapping_from(path: Path) -> dict[str, tuple[str, str]]:
    """content_sid -> (locale, status) from a WHATSAPP_TEMPLATES file, e.g. the repository's example."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    found = {}
    for status, by_locale in data.items():
        for locale, table in by_locale.items():
            found[str(table["content_sid"])] = (str(locale), str(status))
    return found


def bad_variable(value: Any) -> bool:
    """Whether WhatsApp refuses this as a template variable (63013): newline, tab, over 4 spaces in a row."""
    return not isinstance(value, str) or bool(re.search(r"[\r\n\t]", value)) or " " * (MAX_SPACES + 1) in value


class WhatsAppBook:
    """Approved templates, number states and open sessions, shared by handler threads under one lock."""

    def __init__(self, templates_dir: Path = TEMPLATES_DIR, mapping: Path | None = EXAMPLE_MAPPING) -> None:
        self.templates_dir = templates_dir
        self.default_mapping = mapping
        self._lock = threading.Lock()
        self._templates: dict[str, tuple[str, str]] = {}
        self._states: dict[str, str] = {}
        self._sessions: set[str] = set()
        self._approvals: dict[str, str] = {}
        self.clear()

    def clear(self) -> None:
        """Back to the example mapping, every number reachable, no open session."""
        loaded = mapping_from(self.default_mapping) if self.default_mapping and self.default_mapping.exists() else {}
        with self._lock:
            self._templates = loaded
            self._states.clear()
            self._sessions.clear()
            self._approvals.clear()

    def register(self, content_sid: str, locale: str, status: str) -> None:
        """Make a ContentSid known, rendered with templates/<locale>/<status>/whatsapp.txt."""
        if not CONTENT_SID.match(content_sid):
            raise ValueError("content_sid must be HX followed by 32 hex digits")
        with self._lock:
            self._templates[content_sid] = (locale, status)

    def set_approval(self, content_sid: str, status: str) -> None:
        """What the Content API says of a template's WhatsApp approval (known templates are "approved")."""
        with self._lock:
            self._approvals[content_sid] = status

    def approval(self, content_sid: str) -> str:
        """The WhatsApp approval status the Content API reports for a known template."""
        with self._lock:
            return self._approvals.get(content_sid, "approved")

    def mark(self, number: str, state: str) -> None:
        """Set how a number behaves: reachable, unreachable (63003), blocked (63014) or silent."""
        if state not in STATES:
            raise ValueError(f"state must be one of {', '.join(STATES)}")
        with self._lock:
            self._states[number_of(number)] = state

    def state(self, address: str) -> str:
        """How the number of an address behaves (reachable unless marked)."""
        with self._lock:
            return self._states.get(number_of(address), "reachable")

    def open_session(self, number: str) -> None:
        """The person wrote in the last 24 hours: a free-form Body may go to them."""
        with self._lock:
            self._sessions.add(number_of(number))

    def in_session(self, address: str) -> bool:
        """Whether a free-form Body may go to this address."""
        with self._lock:
            return number_of(address) in self._sessions

    def template(self, content_sid: str) -> tuple[str, str] | None:
        """(locale, status) of a known ContentSid."""
        with self._lock:
            return self._templates.get(content_sid)

    def snapshot(self) -> dict[str, Any]:
        """Templates, number states and sessions, for the control endpoint."""
        with self._lock:
            templates = {sid: {"locale": loc, "status": st} for sid, (loc, st) in self._templates.items()}
            return {
                "templates": templates,
                "numbers": dict(self._states),
                "sessions": sorted(self._sessions),
                "approvals": dict(self._approvals),
            }

    def text(self, content_sid: str) -> str | None:
        """The approved body of a known ContentSid, or None."""
        found = self.template(content_sid)
        if found is None:
            return None
        path = self.templates_dir / found[0] / found[1] / "whatsapp.txt"
        return path.read_text(encoding="utf-8").rstrip("\n") if path.exists() else None


def render(text: str, variables: dict[str, str]) -> str:
    """The approved text with {{n}} replaced; a variable not given keeps its placeholder, as Twilio's default."""
    return PLACEHOLDER.sub(lambda m: variables.get(m.group(1), m.group(0)), text)


def parse_variables(raw: str) -> dict[str, str] | None:
    """ContentVariables as a dict of strings, or None when it is not a JSON object of non-empty strings (21656)."""
    try:
        data = json.loads(raw) if raw else {}
    except ValueError:
        return None
    if not isinstance(data, dict) or any(not isinstance(v, str) or not v.strip() for v in data.values()):
        return None
    return {str(k): v for k, v in data.items()}


def whatsapp_error(form: dict[str, str], book: WhatsAppBook, e164: re.Pattern[str]) -> int | None:
    """The Twilio error code for a WhatsApp send Twilio would refuse, or None."""
    sender = form.get("From", "")
    if not e164.match(number_of(form.get("To", ""))):
        return 21211
    if not sender and not form.get("MessagingServiceSid"):
        return 21603
    if sender and not (sender.startswith(PREFIX) and e164.match(number_of(sender))):
        return 63007
    sid = form.get("ContentSid", "")
    if not sid:
        return None if book.in_session(form["To"]) and form.get("Body") else 63016
    return content_error(sid, form.get("ContentVariables", ""), book)


def content_error(sid: str, raw_variables: str, book: WhatsAppBook) -> int | None:
    """Errors of a Content send: unknown sid (21655), bad variables (21656, 63013), too long (63021)."""
    text = book.text(sid) if CONTENT_SID.match(sid) else None
    if text is None:
        return 21655
    variables = parse_variables(raw_variables)
    if variables is None:
        return 21656
    if any(bad_variable(v) for v in variables.values()):
        return 63013
    return 63021 if len(render(text, variables)) > MAX_BODY else None


def rendered_body(form: dict[str, str], book: WhatsAppBook) -> str:
    """What the recipient sees: the approved text with its variables, or the session Body."""
    sid = form.get("ContentSid", "")
    if not sid:
        return form.get("Body", "")
    return render(book.text(sid) or "", parse_variables(form.get("ContentVariables", "")) or {})


class WhatsAppReporter:
    """After a WhatsApp send is accepted, posts the reports its number's state calls for, in the background."""

    def __init__(
        self, book: WhatsAppBook, stopping: threading.Event, post: Callable[[str, str, int | None], object]
    ) -> None:
        self.book = book
        self.stopping = stopping
        self.post = post
        self.auto = False

    def __call__(self, sid: str, to: str) -> None:
        """Start the reports for one accepted message (reachable numbers only when auto-reporting)."""
        state = self.book.state(to)
        if state == "reachable" and not self.auto:
            return
        threading.Thread(
            target=self._report, args=(sid, STATES[state]), daemon=True, name=f"sandbox-wa-{sid[:8]}"
        ).start()

    def _report(self, sid: str, steps: tuple[tuple[str, int | None], ...]) -> None:
        """Post each step after a short delay, as Twilio reports after answering queued."""
        for status, code in steps:
            if self.stopping.wait(REPORT_DELAY):
                return
            try:
                self.post(sid, status, code)
            except (requests.RequestException, KeyError, ValueError):
                return  # a receiver that is down, or a reset store, ends the reports
