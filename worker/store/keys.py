"""Every Redis key the notifier writes, and the prefixes of the rate limiters it keeps in Redis: private to
worker/store (no other module builds a key).

  ntf:event:{event_id}                 hash   one status event as received, and what became of it
  ntf:delivery:{delivery_id}           list   "e:<event id>", "n:<notification id>" and "l:<sha256(short code)>"
  ntf:notif:{notification_id}          hash   one message on one channel: state, masked destination, provider id
  ntf:outbox:{notification_id}         hash   the rendered message and real destination, deleted once sent
  ntf:provider:{sid}                   string Twilio's message sid → notification id, for delivery reports
  ntf:optout:{sha256(e164)}            string numbers that replied STOP by SMS (kept until START)
  ntf:optout:{scope}:{sha256(e164)}    string numbers that replied STOP on another channel (scope "whatsapp")
  ntf:spare:{notification_id}          hash   a fallback's destination and template context, kept until the first
                                              channel reached the recipient or the fallback went
  ntf:inbound:{MessageSid}             string an inbound Twilio message already acted on (a replay changes nothing)
  ntf:stats, ntf:latency               hash   counters and the latency histogram behind /metrics
  ntf:day:{YYYY-MM-DD}                 hash   one UTC day's dashboard counters (daily.py), kept RETENTION_DAYS
  ntf:recent                           list   the 100 deliveries with the latest activity, newest first
  ntf:pending                          zset   events recorded but whose job is not queued yet (by Redis time)
  ntf:relay                            list   ids of those events, oldest first, for the worker's relay to queue
  ntf:staff, ntf:staff:{username}      set, hash  staff accounts (kept until removed)
  ntf:session:{sha256(id)}             hash   one console session (TTL: the idle timeout)
  ntf:sessions:{username}              set    an account's live sessions
  ntf:resend-refusals                  zset   the audit list of refused resends
  ntf:link:{sha256(code)}              hash   a short link's delivery id and notification id (never the link itself)
  ntf:contact:{hmac(contact)}          zset   the recipient search index: delivery ids that sent to a phone or email
  ntf:replies:{hmac(contact)}          set    the inbound message sids (STOP/START) a number sent, to erase their marks
  ntf:erasures                         zset   the audit list of erased recipients (who, when, counts; never the contact)
  ntf:login, ntf:resend-cap, ntf:resend-actor-cap, ntf:short-link   prefixes of the `limits` library's moving windows
"""

import hashlib

PREFIX = "ntf"
STATS = f"{PREFIX}:stats"
RECENT = f"{PREFIX}:recent"
PENDING = f"{PREFIX}:pending"
RELAY = f"{PREFIX}:relay"
LATENCY = f"{PREFIX}:latency"
STAFF = f"{PREFIX}:staff"
RESEND_REFUSALS = f"{PREFIX}:resend-refusals"
ERASURES = f"{PREFIX}:erasures"
LIMITERS = ("login", "resend-cap", "resend-actor-cap", "short-link")


def digest(*parts: str, size: int = 24) -> str:
    """A short stable id from parts (delivery ids may hold characters RQ job ids cannot)."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:size]


def event(event_id: str) -> str:
    return f"{PREFIX}:event:{event_id}"


def day(date: str) -> str:
    """One UTC day's dashboard counters, `date` as YYYY-MM-DD."""
    return f"{PREFIX}:day:{date}"


def notification(notification_id: str) -> str:
    return f"{PREFIX}:notif:{notification_id}"


def outbox(notification_id: str) -> str:
    return f"{PREFIX}:outbox:{notification_id}"


def timeline(delivery_id: str) -> str:
    """One list per delivery: "e:<event id>" and "n:<notification id>" entries, oldest first, and "l:<digest>" of
    each short link made for it (the timeline reads only the first two kinds)."""
    return f"{PREFIX}:delivery:{delivery_id}"


def provider(provider_id: str) -> str:
    return f"{PREFIX}:provider:{provider_id}"


def optout(e164: str, scope: str = "") -> str:
    """SMS's opt-outs keep the key they had before other channels had their own ("scope")."""
    return f"{PREFIX}:optout:{scope + ':' if scope else ''}{digest(e164, size=64)}"


def spare(notification_id: str) -> str:
    return f"{PREFIX}:spare:{notification_id}"


def inbound(message_sid: str) -> str:
    return f"{PREFIX}:inbound:{message_sid}"


def short_link(code: str) -> str:
    """A digest of the code, so that reading Redis does not hand out working short links."""
    return short_link_by_digest(short_link_digest(code))


def short_link_digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def short_link_by_digest(code_digest: str) -> str:
    """The same key from the code's digest (kept in the delivery's timeline, so that erasing it finds the link)."""
    return f"{PREFIX}:link:{code_digest}"


def contact(contact_digest: str) -> str:
    """The deliveries that sent to one phone or email, under a keyed digest of it (contact_index.py)."""
    return f"{PREFIX}:contact:{contact_digest}"


def replies(contact_digest: str) -> str:
    """The inbound message sids one number sent, under the same keyed digest."""
    return f"{PREFIX}:replies:{contact_digest}"


def staff(username: str) -> str:
    return f"{PREFIX}:staff:{username}"


def session(session_id: str) -> str:
    """A digest of the id, so that reading Redis does not hand out live session ids."""
    return f"{PREFIX}:session:{hashlib.sha256(session_id.encode()).hexdigest()}"


def sessions(username: str) -> str:
    return f"{PREFIX}:sessions:{username}"


def limiter(purpose: str) -> str:
    """The key prefix of one rate limiter (one of LIMITERS)."""
    if purpose not in LIMITERS:
        raise ValueError(f"unknown rate limiter {purpose!r}: add it to LIMITERS in worker/store/keys.py")
    return f"{PREFIX}:{purpose}"
