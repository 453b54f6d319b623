"""Local stand-ins for Shippify, Twilio and SMTP, so the notifier can be tested and run offline."""

from sandbox.core import MAIL_FROM, Sandbox
from sandbox.faults import Fault
from sandbox.smtp import Received
from sandbox.twilio_messages import DEFAULT_FROM

__all__ = ["DEFAULT_FROM", "MAIL_FROM", "Fault", "Received", "Sandbox"]
