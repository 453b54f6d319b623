"""THE table of notification states: their order, which are closed, their tone and their label in the console.

Labels are marked with `N_`, a no-op that babel extracts (web/translations/babel.cfg): the console translates them
when it shows them; the worker never imports the translation machinery.
"""

from dataclasses import dataclass


def N_(text: str) -> str:  # noqa: N802 - the gettext convention babel looks for
    """Mark a label for translation without translating it here."""
    return text


@dataclass(frozen=True)
class State:
    """One state: `rank` orders the open states (a delivery report never moves a message back); a closed state
    (never sent) has none and nothing moves out of it; `tone` is the console's colour family."""

    name: str
    rank: int | None
    tone: str
    label: str

    @property
    def closed(self) -> bool:
        return self.rank is None


STATES = (
    State("pending", 0, "wait", N_("queued")),
    State("claimed", 1, "wait", N_("sending")),
    State("accepted", 2, "wait", N_("accepted")),
    State("scheduled", 2, "wait", N_("scheduled")),
    State("queued", 2, "wait", N_("queued at the provider")),
    State("sending", 3, "wait", N_("sending")),
    State("sent", 4, "ok", N_("sent")),
    State("delivered", 5, "good", N_("delivered")),
    State("undelivered", 5, "bad", N_("undelivered")),
    State("failed", 5, "bad", N_("failed")),
    State("canceled", 5, "bad", N_("canceled")),
    State("read", 6, "good", N_("read")),
    State("rejected", None, "bad", N_("rejected")),
    State("uncertain", None, "bad", N_("uncertain")),
    State("skipped", None, "muted", N_("skipped")),
    State("suppressed", None, "muted", N_("suppressed")),
)
BY_NAME = {state.name: state for state in STATES}
RANK = {state.name: state.rank for state in STATES if state.rank is not None}
CLOSED = tuple(state.name for state in STATES if state.closed)
# The states whose first moment the record keeps, as `<state>_at` (the API's delivered_at, read_at): set by the same
# step that moves the state, so a repeated or late report never changes it.
STAMPED = ("delivered", "read")

# The dashboard's figure each state counts in, once per notification (worker/store/daily.py): every end the API
# calls failed, undelivered or rejected is "failed"; reaching `read` without a delivered report counts as delivered
# too (IMPLIED), since a message read was delivered. "sent" (the provider took it) is the move out of HANDED_FROM.
FIGURE = {
    "delivered": "delivered", "read": "read", "suppressed": "suppressed",
    **dict.fromkeys(("failed", "undelivered", "canceled", "rejected", "uncertain"), "failed"),
}  # fmt: skip
IMPLIED = {"read": "delivered"}
HANDED_FROM = "claimed"

# The states GET /api/deliveries/<id> names (a contract): the record's in-flight states read as "sending", its ends
# the contract does not name as "failed"; a provider state this table does not know came after the send: "sent".
PUBLIC = (
    *("pending", "scheduled", "sending", "sent", "delivered", "read"),
    *("failed", "undelivered", "rejected", "suppressed", "skipped"),
)
_AS_PUBLIC = {
    "claimed": "sending", "accepted": "sending", "queued": "sending", "canceled": "failed", "uncertain": "failed",
}  # fmt: skip


def public(name: str, scheduled: bool = False) -> str:
    """The API's name of a state; a pending message held back by quiet hours (`scheduled`) is "scheduled"."""
    if name == "pending" and scheduled:
        return "scheduled"
    name = _AS_PUBLIC.get(name, name)
    return name if name in PUBLIC else "sent"


def tone(name: str) -> str:
    """The console's colour family of a state ("muted" for one it does not know)."""
    state = BY_NAME.get(name)
    return state.tone if state else "muted"
