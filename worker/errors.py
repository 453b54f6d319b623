"""The few failures every outside call is mapped to, so retry decisions live in one place."""


class NotifierError(Exception):
    """Base class; messages never carry phone numbers, emails, names or tracking tokens."""


class TransientError(NotifierError):
    """The call did not happen or failed in a way that a later attempt can fix: retry with backoff."""


class PermanentError(NotifierError):
    """Retrying cannot help: the job fails at once with this message as its reason."""


class ConfigurationError(PermanentError):
    """Credentials, sender or account settings are wrong: fix the setting, then requeue the failed job."""


class UnknownDelivery(PermanentError):
    """Shippify does not know this delivery id (404)."""


class RecipientRejected(PermanentError):
    """The provider refused this recipient for good (invalid number, opted out, mailbox unknown)."""

    def __init__(self, message: str, code: int | None = None, opted_out: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.opted_out = opted_out


class Unreachable(RecipientRejected):
    """This channel cannot reach the recipient (not on WhatsApp, say), though another channel may."""


class AmbiguousSend(NotifierError):
    """The provider may have accepted the message although we got no answer: resending could duplicate it."""
