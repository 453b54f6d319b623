"""The outbox as JSON and as a small HTML page, so people can see what would have been sent."""

from __future__ import annotations

import re
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from markupsafe import Markup, escape

from sandbox.smtp import Received

URL = re.compile(r"https?://[^\s<>\"']+")
TRAILING = ".,;:!?)]}'\""

STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#222}
article{border:1px solid #ccc;border-radius:6px;padding:.6rem .9rem;margin:.6rem 0}
header{font-size:.85rem;color:#555}
pre{white-space:pre-wrap;word-break:break-word;margin:.4rem 0 0}
iframe{width:100%;height:22rem;border:1px solid #ddd}
.wa{background:#efeae2;border:none}
.wa .bubble{background:#d9fdd3;border-radius:8px 0 8px 8px;padding:.5rem .7rem;max-width:32rem;margin-left:auto;
box-shadow:0 1px .5px rgba(0,0,0,.13)}
.wa .ticks{float:right;font-size:.8rem;color:#667781;margin-left:.6rem}
.wa .ticks.read{color:#53bdeb}
.wa .ticks.failed{color:#d93025}
"""
# The page is sent with a strict CSP: no script, styles only from outbox.css, frames only of our own email pages.
PAGE_CSP = (
    "default-src 'none'; style-src 'self'; frame-src 'self'; img-src data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
# An email's HTML (inline styles: an email has no other kind) in its own sandboxed document: nothing in it can run.
EMAIL_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox"
)
# WhatsApp's ticks: one grey when sent, two grey when delivered, two blue when read.
TICKS = {"sent": "✓", "delivered": "✓✓", "read": "✓✓"}


def body_of(message: EmailMessage, subtype: str) -> str | None:
    """The text/plain or text/html body of a message, if it has one."""
    part = message.get_body(preferencelist=(subtype,))
    if part is None:
        return None
    try:
        return str(part.get_content())
    except (KeyError, LookupError, ValueError):
        return None


def header(message: EmailMessage, name: str) -> str | None:
    """A decoded header as a plain string."""
    value = message[name]
    return None if value is None else str(value)


def email_summary(received: Received) -> dict[str, Any]:
    """What the outbox shows of one email."""
    message = received.message
    return {
        "from": header(message, "From"),
        "to": header(message, "To"),
        "rcpt_tos": list(received.rcpt_tos),
        "subject": header(message, "Subject"),
        "text": body_of(message, "plain"),
        "html": body_of(message, "html"),
        "received_at": received.received_at,
    }


def outbox(
    sms: list[dict[str, Any]], emails: list[Received], whatsapp: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The JSON outbox: accepted SMS, received emails and WhatsApp messages, oldest first."""
    return {"sms": sms, "emails": [email_summary(r) for r in emails], "whatsapp": whatsapp or []}


def linkify(text: str) -> Markup:
    """Escape text and make its http(s) links clickable (other schemes stay plain text)."""
    parts: list[Markup] = []
    position = 0
    for match in URL.finditer(text):
        url = match.group(0).rstrip(TRAILING)
        parts.append(escape(text[position : match.start()]))
        parts.append(Markup('<a href="{0}" rel="noreferrer">{0}</a>').format(url))
        position = match.start() + len(url)
    parts.append(escape(text[position:]))
    return Markup("").join(parts)


def when(timestamp: float) -> str:
    """Local time of day, enough to tell messages apart."""
    return datetime.fromtimestamp(timestamp).strftime("%H:%M:%S")


def sms_article(sms: dict[str, Any]) -> Markup:
    """One SMS as HTML."""
    return Markup("<article><header>{} · to {} · {} · {} segment(s)</header><pre>{}</pre></article>").format(
        when(sms["created_at"]), sms["to"], sms["status"], sms["num_segments"], linkify(sms["body"])
    )


def ticks(message: dict[str, Any]) -> Markup:
    """The state as WhatsApp shows it: ticks, or the error code of a failed send."""
    status = message["status"]
    if status in ("failed", "undelivered"):
        return Markup('<span class="ticks failed">{} {}</span>').format(status, message["error_code"] or "")
    css = "ticks read" if status == "read" else "ticks"
    return Markup('<span class="{}" title="{}">{}</span>').format(css, status, TICKS.get(status, "🕓"))


def whatsapp_article(message: dict[str, Any]) -> Markup:
    """One WhatsApp message as a chat bubble with its ticks."""
    template = message["params"].get("ContentSid") or "session message"
    return Markup(
        '<article class="wa"><header>{} · to {} · {}</header><div class="bubble"><pre>{}</pre>{}</div></article>'
    ).format(when(message["created_at"]), message["to"], template, linkify(message["body"]), ticks(message))


def email_article(received: Received, index: int) -> Markup:
    """One email as HTML: text part inline, HTML part in a sandboxed frame of its own page (/_sandbox/emails/<i>)."""
    summary = email_summary(received)
    text = summary["text"] if summary["text"] is not None else "(no text part)"
    html = Markup("")
    if summary["html"] is not None:
        html = Markup(
            '<details><summary>HTML part</summary><iframe sandbox="" src="/_sandbox/emails/{}.html"></iframe></details>'
        ).format(index)
    return Markup("<article><header>{} · to {} · <strong>{}</strong></header><pre>{}</pre>{}</article>").format(
        when(received.received_at), summary["to"], summary["subject"], linkify(text), html
    )


def outbox_page(sms: list[dict[str, Any]], emails: list[Received], whatsapp: list[dict[str, Any]] | None = None) -> str:
    """The whole page, newest first, refreshing itself every few seconds."""
    chats = whatsapp or []
    wa_items = Markup("").join(whatsapp_article(m) for m in reversed(chats)) or Markup("<p>None yet.</p>")
    sms_items = Markup("").join(sms_article(s) for s in reversed(sms)) or Markup("<p>None yet.</p>")
    numbered = reversed(list(enumerate(emails)))
    email_items = Markup("").join(email_article(r, i) for i, r in numbered) or Markup("<p>None yet.</p>")
    return str(
        Markup(
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            '<meta http-equiv="refresh" content="5"><title>Sandbox outbox</title>'
            '<link rel="stylesheet" href="/_sandbox/outbox.css"></head>'
            "<body><h1>Sandbox outbox</h1><h2>WhatsApp ({})</h2>{}<h2>SMS ({})</h2>{}<h2>Email ({})</h2>{}"
            "</body></html>"
        ).format(len(chats), wa_items, len(sms), sms_items, len(emails), email_items)
    )
