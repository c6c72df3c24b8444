"""First logins for the whole staff: the accounts page, the printed slips, the invitation e-mails.

Admins only. The slips are the answer to the form itself (POST), never stored: the codes exist in
clear only in that one response, which no cache keeps; sending the form again (reloading the
slips) finds its batch used and says the slips were shown once.
"""

import secrets

from flask import Blueprint, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from ..extensions import db
from ..mail import mail_configured
from ..models import Role
from ..permissions import role_required
from . import services
from .forms import IssueForm

bp = Blueprint("logins", __name__)

BATCHES = "login_slip_batches"  # session: the batches of the forms shown and not used yet
KEPT_BATCHES = 5  # a few tabs open at once


@bp.before_request
@role_required(Role.ADMIN)
def _admins_only():
    """Only admins issue logins (checked before each view)."""


def _new_batch() -> str:
    batch = secrets.token_urlsafe(16)
    session[BATCHES] = [batch, *session.get(BATCHES, [])][:KEPT_BATCHES]
    return batch


def _take_batch(batch: str | None) -> bool:
    """Use up the batch of the form sent: True once per form shown."""
    open_batches = session.get(BATCHES, [])
    if not batch or batch not in open_batches:
        return False
    session[BATCHES] = [b for b in open_batches if b != batch]
    return True


def _page(form: IssueForm, rows, status: int = 200):
    form.batch.data = _new_batch()
    return render_template("logins/accounts.html", form=form, rows=rows, mail=mail_configured(),
                           login_url=services.login_url()), status


def _form(rows) -> IssueForm:
    form = IssueForm()
    form.user_ids.choices = [SelectChoice(str(a.user.id), a.user.full_name) for a in rows]
    return form


@bp.get("/")
def accounts():
    rows = services.accounts(current_user.school_id)
    form = _form(rows)
    chosen = request.args.get("select", "waiting")
    picks = {"waiting": lambda a: a.waiting, "no_password": lambda a: not a.has_password,
             "all": lambda a: True, "none": lambda a: False}.get(chosen, lambda a: a.waiting)
    form.user_ids.data = [a.user.id for a in rows if picks(a)]
    return _page(form, rows)


@bp.post("/")
def issue():
    rows = services.accounts(current_user.school_id)
    form = _form(rows)
    if not form.validate_on_submit():
        return _page(form, rows, 400)
    if not _take_batch(form.batch.data):
        flash(_("Phiếu đăng nhập chỉ hiện một lần, ngay khi cấp, và mã không được lưu ở đâu để hiện lại. "
                "Nếu chưa in được, hãy cấp lại: mã cũ sẽ hết hiệu lực."), "warning")
        return redirect(url_for("logins.accounts"))
    chosen = set(form.user_ids.data)
    users = [a.user for a in rows if a.user.id in chosen]
    if request.form.get("delivery") == "email" and mail_configured():
        result = services.send_invitations(users, current_user.school, by=current_user)
        db.session.commit()
        _flash_invitations(result)
        return redirect(url_for("logins.accounts"))
    slips = services.issue_slips(users, by=current_user)
    db.session.commit()
    response = make_response(render_template(
        "logins/slips.html", slips=slips, school=current_user.school, login_url=services.login_url(),
        qr=services.qr_svg(services.login_url())))
    response.headers["Cache-Control"] = "no-store"
    return response


def _names(users) -> str:
    return ", ".join(f"{u.full_name} ({u.username})" for u in users)


def _flash_invitations(result: services.Invitations) -> None:
    if result.sent:
        flash(_("Đã gửi thư mời cho %(n)d người.", n=len(result.sent)), "success")
    if result.no_email:
        flash(_("Chưa có địa chỉ e-mail, hãy in phiếu cho: %(names)s", names=_names(result.no_email)), "warning")
    if result.failed:
        flash(_("Máy chủ thư không gửi được cho: %(names)s. Mã cũ của họ (nếu có) vẫn dùng được.",
                names=_names(result.failed)), "danger")
