"""Resend caps per actor (API token, staff member, CLI operator) and the audit list of refused resends.

A token or an account that leaks must not turn into a mailer of live tracking links: each actor may resend only so
often an hour, with a low cap when the destination is one they typed in and a higher one for the recipient's own.
"""

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, NoReturn

import redis
from limits import RateLimitItem, parse
from limits.strategies import MovingWindowRateLimiter

from worker import store
from worker.settings import Settings
from worker.store import refusals

if TYPE_CHECKING:
    from worker.services import Services

log = logging.getLogger(__name__)

CORRECTED = "corrected"  # at least one channel goes to a destination the actor gave
OWN = "own"  # every channel goes to the delivery's own phone or email


@dataclass(frozen=True)
class Refusal:
    """Which cap refused a resend, and for how long."""

    cap: str  # "delivery", CORRECTED or OWN
    rate: str  # in the limits library's notation, e.g. "20/hour"
    retry_after: int  # seconds until the oldest counted resend leaves the window


class ResendLimited(Exception):
    """The delivery had its share of resends for now."""

    def __init__(self, cap: str, retry_after: int) -> None:
        super().__init__(f"this delivery was already resent {cap.replace('/', ' times per ')}; try again later")
        self.cap = cap
        self.count = parse(cap).amount
        self.retry_after = retry_after


class ActorLimited(ResendLimited):
    """The actor (API token, staff member, CLI operator) had their share of resends for now, across deliveries."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.rate, refusal.retry_after)
        whom = "a corrected destination" if refusal.cap == CORRECTED else "the recipient's own contact"
        per = refusal.rate.replace("/", " per ")
        self.args = (f"you reached your resend cap to {whom} ({per}); try again in {refusal.retry_after} s",)
        self.kind = refusal.cap


def kind(sendable: list[str], overrides: dict[str, str]) -> str:
    """CORRECTED when any channel that will send goes to a destination the actor gave."""
    return CORRECTED if any(channel in overrides for channel in sendable) else OWN


def rate(settings: Settings, cap: str) -> str:
    """The configured rate of a cap kind."""
    return settings.resend_cap_corrected if cap == CORRECTED else settings.resend_cap_own


def check(client: redis.Redis, settings: Settings, actor: str, cap: str) -> Refusal | None:
    """A refusal when the actor's cap is already spent (nothing counted), before any upstream call."""
    text = rate(settings, cap)
    limiter, item = _limiter(client, text)
    return None if limiter.test(item, cap, actor) else _refusal(limiter, item, cap, actor, text)


def take(client: redis.Redis, settings: Settings, actor: str, cap: str) -> Refusal | None:
    """Count one resend against the actor's cap, atomically; a refusal (nothing counted) when it is spent."""
    text = rate(settings, cap)
    limiter, item = _limiter(client, text)
    return None if limiter.hit(item, cap, actor) else _refusal(limiter, item, cap, actor, text)


def record_refusal(client: redis.Redis, settings: Settings, actor: str, delivery_id: str, refusal: Refusal) -> None:
    """Into the audit list staff read (actor, delivery, time, cap; never the contact), kept for the retention."""
    refusals.add(client, settings.retention_seconds, actor, delivery_id, refusal.cap, refusal.rate)
    log.warning("resend refused: %s cap %s reached", refusal.cap, refusal.rate, extra={"delivery_id": delivery_id})


def _limiter(client: redis.Redis, text: str) -> tuple[MovingWindowRateLimiter, RateLimitItem]:
    """A moving window per actor and cap kind, on our own Redis connection pool."""
    return store.limiter(client, "resend-actor-cap"), parse(text)


def _refusal(limiter: MovingWindowRateLimiter, item: RateLimitItem, cap: str, actor: str, text: str) -> Refusal:
    """Seconds until the oldest counted resend leaves the window."""
    reset_at, _ = limiter.get_window_stats(item, cap, actor)
    return Refusal(cap, text, max(1, round(reset_at - time.time())))


class Caps:
    """The cap per delivery and the actor's own: checked before the upstream calls, counted just before sending;
    every refusal goes to the audit list."""

    def __init__(self, services: "Services", cap: str, actor: str, delivery_id: str, kind: str) -> None:
        self.services, self.cap, self.actor, self.delivery_id, self.kind = services, cap, actor, delivery_id, kind
        self.limiter = store.limiter(services.redis, "resend-cap")
        self.item = parse(cap)

    def check(self) -> None:
        """Refuse early, before Shippify is asked for a link, when either cap is already spent."""
        if not self.limiter.test(self.item, "delivery", self.delivery_id):
            self._refuse_delivery()
        refusal = check(self.services.redis, self.services.settings, self.actor, self.kind)
        if refusal:
            self._refuse(refusal, ActorLimited(refusal))

    def take(self) -> None:
        """Count this resend against both caps (atomic hits: parallel resends cannot both slip under a cap)."""
        if not self.limiter.hit(self.item, "delivery", self.delivery_id):
            self._refuse_delivery()
        refusal = take(self.services.redis, self.services.settings, self.actor, self.kind)
        if refusal:
            self._refuse(refusal, ActorLimited(refusal))

    def _refuse_delivery(self) -> None:
        """The per-delivery cap, with the wait until its oldest resend leaves the window."""
        reset_at, _ = self.limiter.get_window_stats(self.item, "delivery", self.delivery_id)
        refusal = Refusal("delivery", self.cap, max(1, round(reset_at - time.time())))
        self._refuse(refusal, ResendLimited(self.cap, refusal.retry_after))

    def _refuse(self, refusal: Refusal, exc: ResendLimited) -> NoReturn:
        """Into the audit list, then to the caller."""
        record_refusal(self.services.redis, self.services.settings, self.actor, self.delivery_id, refusal)
        raise exc
