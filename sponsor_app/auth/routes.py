"""Login, logout, password change and language choice; a first login with a one-time code (a printed
slip's code in the password field, or an invitation e-mail's link: sponsor_app/logins/)."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from .. import audit
from ..extensions import db
from ..forms import BaseForm
from ..logins import services as logins
from ..urls import safe_next
from . import services, throttle
from .forms import LoginForm, PasswordChangeForm

bp = Blueprint("auth", __name__)

# session: this login was made with a one-time code (the user's id), so the password form asks for no
# current password (there may be none yet) until the person has set one.
CODE_LOGIN = "login_by_code"


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm(next=safe_next(request.args.get("next")))
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form), (400 if request.method == "POST" else 200)
    identity = form.username.data  # login_name() of what was typed (LoginForm): lookup, throttle, audit
    attempt = throttle.reserve(identity)  # counted before the password is checked
    if not attempt.allowed:
        abort(429, retry_after=attempt.retry_at)
    user = services.authenticate(identity, form.password.data)
    by_code = False
    if user is None:  # the password did not match: a first login's one-time code, when the account has one
        user = logins.redeem_slip_code(services.find_login(identity), form.password.data)
        by_code = user is not None
    if user is None:
        audit.record("login_failed", username=identity[:60])
        db.session.commit()
        flash(_("Tên đăng nhập hoặc mật khẩu không đúng."), "danger")
        form.password.data = ""
        return render_template("auth/login.html", form=form), 401
    throttle.give_back(attempt)  # only failed logins count
    session.clear()  # no fixation: the pre-login session is dropped
    login_user(user, remember=form.remember.data)
    if by_code:
        session[CODE_LOGIN] = user.id
    services.record_login(user)
    audit.record("login", user, user=user, **({"via": "slip_code"} if by_code else {}))
    db.session.commit()
    if user.must_change_password:
        flash(_("Hãy đặt mật khẩu mới trước khi tiếp tục."), "warning")
        response = redirect(url_for("auth.password"))
    else:
        response = redirect(safe_next(form.next.data) or url_for("main.index"))
    throttle.remember_device(response, identity)
    return response


@bp.post("/logout")
@login_required
def logout():
    user = current_user._get_current_object()
    user.end_sessions()  # every copy of the cookie stops working
    audit.record("logout", user)
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("Bạn đã đăng xuất."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordChangeForm()
    by_code = session.get(CODE_LOGIN) == current_user.id
    if by_code:  # logged in with a one-time code just now: there is no current password to ask for
        del form.current_password
    if form.validate_on_submit():
        user = current_user._get_current_object()
        problem = None
        if not by_code and not user.check_password(form.current_password.data):
            problem = _("Mật khẩu hiện tại không đúng.")
            form.current_password.errors.append(problem)
        else:
            problem = services.password_problem(form.new_password.data, user)
            if problem:
                form.new_password.errors.append(problem)
        if not problem:
            services.change_password(user, form.new_password.data)
            logins.revoke_codes([user.id])  # a slip or invitation still unused stops working
            audit.record("password_changed", user)
            db.session.commit()
            session.pop(CODE_LOGIN, None)
            login_user(user)  # this session continues with the new token; all others end
            flash(_("Đã đổi mật khẩu. Các phiên đăng nhập khác đã bị đăng xuất."), "success")
            return redirect(url_for("main.index"))
    return render_template("auth/password.html", form=form)


@bp.route("/login/invite/<token>", methods=["GET", "POST"])
def invite(token: str):
    """An invitation e-mail's link: a page that says whose it is, and a button that logs in once
    (a POST, so a mail scanner following the link does not use it up) and leads to the password form."""
    code, state = logins.find_invitation(token[:200])
    form = BaseForm()
    if state is logins.InviteState.LIVE and form.validate_on_submit():
        user = logins.redeem_invitation(code)
        if user is not None:
            session.clear()  # no fixation; whoever was logged in on this browser is logged out
            login_user(user)
            session[CODE_LOGIN] = user.id
            services.record_login(user)
            audit.record("login", user, user=user, via="invitation")
            db.session.commit()
            flash(_("Chào mừng! Hãy đặt mật khẩu của mình để dùng từ lần sau."), "info")
            return redirect(url_for("auth.password"))
        db.session.rollback()
        state = logins.InviteState.USED
    if state is not logins.InviteState.LIVE:
        status = 404 if state is logins.InviteState.UNKNOWN else 410
        return render_template("auth/invite.html", state=state.value, code=code), status
    return render_template("auth/invite.html", state=state.value, code=code, form=form)


@bp.post("/lang/<code>")
def set_language(code: str):
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
        if current_user.is_authenticated:
            current_user.locale = code
            db.session.commit()
    return redirect(safe_next(request.form.get("next")) or url_for("main.index"))
