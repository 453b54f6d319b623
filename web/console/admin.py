"""Admin pages: failed jobs (requeue, discard) and staff accounts."""

from flask import Blueprint, flash, g, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from web.console.base import admin_required, services
from web.console.base import bp as console_bp
from web.console.forms import StaffForm
from worker import failed
from worker.store import staff

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@admin_required
def only_admins() -> None:
    """Every page here is for admins (support staff get 403)."""


@bp.get("/failed")
def failed_jobs() -> ResponseReturnValue:
    """Failed jobs with their reason, newest first."""
    jobs = failed.list_failed(services().queue)
    return render_template("console/failed.html", jobs=jobs)


@bp.post("/failed/<job_id>/<any(requeue, discard):action>")
def failed_job(job_id: str, action: str) -> Response:
    """Requeue (after fixing the cause) or discard one failed job."""
    done = getattr(failed, action)(services().queue, job_id)
    if not done:
        flash(_("That job is no longer in the failed list."), "warning")
    elif action == "requeue":
        flash(_("Job requeued."), "success")
    else:
        flash(_("Job discarded."), "success")
    return redirect(url_for("console.admin.failed_jobs"))


@bp.post("/failed/<any(requeue, discard):action>-all")
def failed_all(action: str) -> Response:
    """Requeue or discard every failed job."""
    count = getattr(failed, f"{action}_all")(services().queue)
    if action == "requeue":
        flash(_("%(count)d jobs requeued.", count=count), "success")
    else:
        flash(_("%(count)d jobs discarded.", count=count), "success")
    return redirect(url_for("console.admin.failed_jobs"))


@bp.route("/staff", methods=["GET", "POST"])
def staff_list() -> ResponseReturnValue:
    """Everyone who can sign in; admins add accounts here or with `flask --app web staff add`."""
    form = StaffForm()
    status = 200
    if form.validate_on_submit():
        try:
            added = staff.add(services().redis, form.username.data or "", form.password.data or "", form.role.data)
        except staff.StaffError as exc:
            form.username.errors = [*form.username.errors, str(exc)]
            status = 400
        else:
            flash(_("Account %(name)s added.", name=added.username), "success")
            return redirect(url_for("console.admin.staff_list"))
    elif form.is_submitted():
        status = 400
    accounts = staff.all_staff(services().redis)
    return render_template("console/staff.html", form=form, accounts=accounts), status


@bp.post("/staff/<username>/remove")
def staff_remove(username: str) -> Response:
    """Remove an account (not your own: another admin must do that)."""
    if staff.normalise_username(username) == g.staff.username:
        flash(_("You cannot remove your own account."), "warning")
    elif staff.remove(services().redis, username):
        flash(_("Account %(name)s removed.", name=username), "success")
    return redirect(url_for("console.admin.staff_list"))


console_bp.register_blueprint(bp)
