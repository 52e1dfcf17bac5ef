from flask import flash, g, redirect, render_template, url_for

from ..services import team
from ..services.errors import ServiceError
from ..services.staff_links import describe_seconds, lifetime
from . import bp
from .forms import ROLE_LABELS, InviteForm, RoleForm

STATUS_LABELS = {"active": "Active", "invited": "Invited", "deactivated": "Deactivated"}
# The order pills' colours: active green, invited amber, deactivated grey.
STATUS_PILLS = {"active": "approved", "invited": "pending", "deactivated": "retired"}


def _team_page(form: InviteForm, status: int = 200):
    page = render_template(
        "team/team.html",
        form=form,
        colleagues=team.team_roster(),
        role_labels=ROLE_LABELS,
        status_labels=STATUS_LABELS,
        status_pills=STATUS_PILLS,
        invitation_lifetime=describe_seconds(lifetime("invitation")),
    )
    return page, status


def _back():
    return redirect(url_for("team.team_page"), code=303)


@bp.get("")
def team_page():
    return _team_page(InviteForm())


@bp.post("/invite")
def invite():
    form = InviteForm()
    if form.validate_on_submit():
        try:
            colleague = team.invite_colleague(form.name.data, form.email.data, form.role.data, g.staff)
        except ServiceError as error:
            getattr(form, error.field or "email").errors.append(error.message)
        else:
            flash(f"Invitation sent to {colleague.email}.")
            return _back()
    return _team_page(form, 400)


@bp.post("/<id:staff_id>/role")
def change_role(staff_id: int):
    form = RoleForm()
    if not form.validate_on_submit():
        flash("Choose owner or staff.")
        return _back()
    try:
        colleague = team.change_role(staff_id, form.role.data)
    except ServiceError as error:
        flash(error.message)
        return _back()
    flash(f"{colleague.name} is now {ROLE_LABELS[colleague.role].lower()}.")
    if colleague.id == g.staff.id and not colleague.is_owner:
        return redirect(url_for("admin.home"), code=303)  # the team page is for owners
    return _back()


@bp.post("/<id:staff_id>/deactivate")
def deactivate(staff_id: int):
    try:
        colleague = team.deactivate_colleague(staff_id)
    except ServiceError as error:
        flash(error.message)
        return _back()
    flash(f"{colleague.name} is deactivated and signed out everywhere.")
    return _back()


@bp.post("/<id:staff_id>/reactivate")
def reactivate(staff_id: int):
    try:
        colleague = team.reactivate_colleague(staff_id)
    except ServiceError as error:
        flash(error.message)
        return _back()
    flash(f"{colleague.name} can sign in again.")
    return _back()


@bp.post("/<id:staff_id>/resend")
def resend_invitation(staff_id: int):
    try:
        colleague = team.resend_invitation(staff_id)
    except ServiceError as error:
        flash(error.message)
        return _back()
    flash(f"Invitation sent to {colleague.email} again.")
    return _back()
