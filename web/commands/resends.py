"""`flask --app web resend` and `resend-refusals`: send a delivery's message again, and the resends a cap refused."""

import click
from flask.cli import with_appcontext

from web import resend_answers
from web.commands import echo_audit, operator, services
from worker import channels, resend
from worker.store import refusals


@click.command("resend")
@with_appcontext
@click.argument("delivery_id")
@click.option("--channel", "channels", type=click.Choice(channels.names()), multiple=True, help="Repeat for several.")
@click.option("--to", "to", default="", help="A corrected phone (E.164) or email for this send only.")
@click.option("--reason", default="", help="Why, for the audit trail.")
def resend_command(delivery_id: str, channels: tuple[str, ...], to: str, reason: str) -> None:
    """Send the delivery's message again with a fresh tracking link (capped per delivery)."""
    asked = resend.ResendRequest(
        channels=channels,
        phone=to if to and "@" not in to else "",
        email=to if "@" in to else "",
        reason=reason,
    )
    actor = f"cli:{operator()}"
    try:
        result = resend.resend(services(), delivery_id, asked, actor=actor)
    except resend_answers.REFUSALS as exc:
        refusal = click.UsageError if resend_answers.answer(exc, delivery_id).usage else click.ClickException
        raise refusal(str(exc)) from None
    for sent in result.notifications:
        note = f" ({sent.detail})" if sent.detail else ""
        click.echo(f"{sent.channel} to {sent.destination}: {sent.state} [{sent.template}] {sent.notification_id}{note}")


@click.command("resend-refusals")
@with_appcontext
@click.option("--limit", default=100, show_default=True, help="How many, newest first.")
def refusals_command(limit: int) -> None:
    """Resends refused by a cap (per delivery, or per actor): when, who, which delivery, which cap."""
    entries = refusals.newest(services().redis, limit)
    echo_audit(entries, lambda e: f"{e['actor']}\t{e['delivery_id']}\t{e['cap']} {e['rate']}", "refused resend(s)")
