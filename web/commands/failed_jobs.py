"""`flask --app web failed list|requeue|discard`: jobs that failed after their retries."""

import click
from flask.cli import AppGroup

from web.commands import services
from worker import failed


@click.group("failed", cls=AppGroup)
def failed_group() -> None:
    """Jobs that failed after their retries: see why, then requeue (once the cause is fixed) or discard."""


@failed_group.command("list")
def failed_list() -> None:
    """One line per failed job: id, when, what, why."""
    jobs = failed.list_failed(services().queue)
    for job in jobs:
        when = job.failed_at.strftime("%Y-%m-%d %H:%M:%SZ") if job.failed_at else "-"
        click.echo(f"{job.id}\t{when}\t{job.description}\t{job.reason}")
    click.echo(f"{len(jobs)} failed job(s)", err=True)


@failed_group.command("requeue")
@click.argument("job_ids", nargs=-1)
@click.option("--all", "everything", is_flag=True, help="Every failed job.")
def failed_requeue(job_ids: tuple[str, ...], everything: bool) -> None:
    """Run failed jobs again; the send ledger still prevents a second message."""
    _apply(job_ids, everything, failed.requeue, failed.requeue_all, "requeued")


@failed_group.command("discard")
@click.argument("job_ids", nargs=-1)
@click.option("--all", "everything", is_flag=True, help="Every failed job.")
def failed_discard(job_ids: tuple[str, ...], everything: bool) -> None:
    """Forget failed jobs for good."""
    _apply(job_ids, everything, failed.discard, failed.discard_all, "discarded")


def _apply(job_ids: tuple[str, ...], everything: bool, one, every, verb: str) -> None:
    """Act on the named jobs or on all of them; unknown ids are an error."""
    if bool(job_ids) == everything:
        raise click.UsageError("name one or more job ids, or use --all")
    q = services().queue
    if everything:
        click.echo(f"{every(q)} job(s) {verb}")
        return
    missing = [job_id for job_id in job_ids if not one(q, job_id)]
    click.echo(f"{len(job_ids) - len(missing)} job(s) {verb}")
    if missing:
        raise click.ClickException(f"not in the failed list: {', '.join(missing)}")
