"""`flask --app web recipient export|forget|erasures`: a person's data by their phone number or email, for the
rights of access and erasure (LGPD, LOPDP, Chile's and Mexico's laws). The logic is worker/recipients.py."""

import json

import click
from flask.cli import AppGroup

from web import delivery_answer
from web.commands import echo_audit, operator
from web.commands import services as _services
from worker import recipients
from worker.store import erasure


def _person(term: str) -> recipients.Person:
    """The person behind a phone or email, or a usage error saying what to give."""
    try:
        return recipients.find(_services(), term)
    except recipients.NotAContact as exc:
        raise click.UsageError(str(exc)) from None


@click.group("recipient", cls=AppGroup)
def recipient_group() -> None:
    """A person's data, by phone number or email: print it as JSON, or erase it (the opt-out stays)."""


@recipient_group.command("export")
@click.argument("contact")
def export_command(contact: str) -> None:
    """Print as JSON what is kept about the person: deliveries' events and notifications, opt-out, replies."""
    document = delivery_answer.person(_services().store, _person(contact))
    click.echo(json.dumps(document, indent=2, ensure_ascii=False))


@recipient_group.command("forget")
@click.argument("contact")
@click.option("--yes", is_flag=True, help="Erase without asking for confirmation.")
def forget_command(contact: str, yes: bool) -> None:
    """Erase the person's deliveries, messages, links and replies; keep only their opt-out; audit without them."""
    person = _person(contact)
    if not yes:
        click.confirm(f"Erase {len(person.delivery_ids)} delivery(ies) kept about this person?", abort=True)
    erased = recipients.forget(_services(), contact, actor=f"cli:{operator()}")
    kept = " (their opt-out is kept)" if person.opt_outs else ""
    click.echo(f"erased {erased.deliveries} delivery(ies), {erased.records} record(s){kept}")


@recipient_group.command("erasures")
@click.option("--limit", default=100, show_default=True, help="How many, newest first.")
def erasures_command(limit: int) -> None:
    """The audit list of erasures: when, who, how many deliveries and records (never whom)."""
    entries = erasure.erasures(_services().redis, limit)
    echo_audit(
        entries, lambda e: f"{e['actor']}\t{e['deliveries']} delivery(ies)\t{e['records']} record(s)", "erasure(s)"
    )
