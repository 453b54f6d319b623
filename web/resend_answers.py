"""Resend refusals mapped, in one table, to the answers of the API (HTTP status and error code), the console (page
status; its text is chosen by `kind`) and the CLI (a usage error or a failure)."""

from dataclasses import dataclass, field

from worker import resend
from worker.errors import NotifierError, PermanentError, UnknownDelivery

# What resend.resend raises when it sends nothing.
REFUSALS = (resend.InvalidResend, UnknownDelivery, resend.ResendLimited, NotifierError)


@dataclass(frozen=True)
class Answer:
    """One refusal as each interface gives it."""

    kind: str  # invalid, unknown_delivery, actor_limit, delivery_limit, upstream_error, unavailable
    http: int
    code: str
    detail: str
    page: int  # the console page's status (it has no 502: an upstream failure is "Shippify did not answer")
    usage: bool = False  # the CLI's arguments were wrong (exit 2) rather than the resend failing (exit 1)
    retry_after: int | None = None
    problems: dict[str, str] = field(default_factory=dict)


def answer(exc: Exception, delivery_id: str) -> Answer:
    """The answer to a refusal from REFUSALS (the more specific errors first)."""
    if isinstance(exc, resend.InvalidResend):
        return Answer("invalid", 400, "invalid_fields", str(exc), 400, usage=True, problems=exc.problems)
    if isinstance(exc, UnknownDelivery):
        return Answer(
            "unknown_delivery", 404, "unknown_delivery", f"Shippify does not know delivery {delivery_id}", 404
        )
    if isinstance(exc, resend.ResendLimited):
        kind = "actor_limit" if isinstance(exc, resend.ActorLimited) else "delivery_limit"
        return Answer(kind, 429, "resend_limit", str(exc), 429, retry_after=exc.retry_after)
    if isinstance(exc, PermanentError):
        return Answer("upstream_error", 502, "upstream_error", str(exc), 503)
    return Answer(
        "unavailable", 503, "upstream_unavailable", f"{exc}; nothing was sent, try again", 503, retry_after=30
    )
