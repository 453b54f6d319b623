"""A person's data, by their phone number or email: the deliveries that messaged them (the console's search), what
is kept about them (export) and its erasure (forget), for the rights of access and erasure of Brazil's LGPD,
Ecuador's LOPDP, Chile's and Mexico's laws. The CLI (`flask --app web recipient`) and the console's admin page
both come here."""

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from rq.job import Job

from worker import channels, queueing
from worker.services import Services
from worker.settings import Settings
from worker.store import Store, contact_index, erasure

log = logging.getLogger(__name__)


class NotAContact(ValueError):
    """The term is neither a phone number nor an email address."""

    def __init__(self) -> None:
        super().__init__(
            "give a phone number (national or +country form) or an email address, as the recipient gave it"
        )


@dataclass(frozen=True)
class Person:
    """A normalised contact (E.164 phone, lower-case email), the deliveries that messaged it (newest first), and
    since when it has opted out of each channel that takes a STOP (none for an email)."""

    contact: str
    delivery_ids: tuple[str, ...]
    opt_outs: Mapping[str, float]
    replies: int


def contact(term: str, settings: Settings) -> str | None:
    """A search term as the index keys it, through the first channel that accepts it as a destination (a phone in
    any national format with DEFAULT_COUNTRY, or an email); None when no channel does."""
    for name in channels.names():
        channel = channels.channel(name)
        corrected = channel.correct(term, settings)
        if corrected:
            return channel.contact(corrected)
    return None


def deliveries(store: Store, normalised: str) -> list[str]:
    """The deliveries that sent to a normalised contact, newest activity first (every CONTACT_INDEX_KEY searched)."""
    return contact_index.deliveries(store.redis, contact_index.digests(store.contact_keys, normalised))


def find(services: Services, term: str) -> Person:
    """Everything the index knows of a person; NotAContact when the term is no phone or email."""
    normalised = contact(term, services.settings)
    if normalised is None:
        raise NotAContact()
    redis, digests = services.redis, contact_index.digests(services.store.contact_keys, normalised)
    return Person(
        contact=normalised,
        delivery_ids=tuple(deliveries(services.store, normalised)),
        opt_outs=opt_outs(services.store, normalised),
        replies=len(contact_index.replies(redis, digests)),
    )


def opt_outs(store: Store, normalised: str) -> dict[str, float]:
    """The channels the person replied STOP on, and since when."""
    found = {name: channels.channel(name).opted_out_at(store, normalised) for name in channels.names()}
    return {name: since for name, since in found.items() if since is not None}


def forget(services: Services, term: str, actor: str) -> erasure.Erased:
    """Erase the person's deliveries, index entries, reply marks and the jobs that served them; keep the opt-out
    (it must go on being honoured) and add an audit entry that does not name them."""
    person = find(services, term)
    erased = erasure.erase(services.redis, contact_index.digests(services.store.contact_keys, person.contact))
    _delete_jobs(services, erased.job_ids)
    erasure.audit_erasure(services.redis, actor, erased)
    log.info("recipient erased", extra={"actor": actor, "deliveries": erased.deliveries, "records": erased.records})
    return erased


def _delete_jobs(services: Services, owners: tuple[tuple[str, str], ...]) -> None:
    """Remove the RQ jobs (queued, scheduled, failed) of the erased events and notifications."""
    ids = [queueing.process_job_id(i) if kind == "event" else queueing.send_job_id(i) for kind, i in owners]
    q = services.queue
    for job in Job.fetch_many(ids, connection=q.connection, serializer=q.serializer):
        if job is not None:
            job.delete()
