"""Login, logout, password change and language choice."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from .. import audit
from ..extensions import db
from ..urls import safe_next
from . import services, throttle
from .forms import LoginForm, PasswordChangeForm

bp = Blueprint("auth", __name__)


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
    if user is None:
        audit.record("login_failed", username=identity[:60])
        db.session.commit()
        flash(_("Tên đăng nhập hoặc mật khẩu không đúng."), "danger")
        form.password.data = ""
        return render_template("auth/login.html", form=form), 401
    throttle.give_back(attempt)  # only failed logins count
    session.clear()  # no fixation: the pre-login session is dropped
    login_user(user, remember=form.remember.data)
    services.record_login(user)
    audit.record("login", user, user=user)
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
    if form.validate_on_submit():
        user = current_user._get_current_object()
        problem = None
        if not user.check_password(form.current_password.data):
            problem = _("Mật khẩu hiện tại không đúng.")
            form.current_password.errors.append(problem)
        else:
            problem = services.password_problem(form.new_password.data, user)
            if problem:
                form.new_password.errors.append(problem)
        if not problem:
            services.change_password(user, form.new_password.data)
            audit.record("password_changed", user)
            db.session.commit()
            login_user(user)  # this session continues with the new token; all others end
            flash(_("Đã đổi mật khẩu. Các phiên đăng nhập khác đã bị đăng xuất."), "success")
            return redirect(url_for("main.index"))
    return render_template("auth/password.html", form=form)


@bp.post("/lang/<code>")
def set_language(code: str):
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
        if current_user.is_authenticated:
            current_user.locale = code
            db.session.commit()
    return redirect(safe_next(request.form.get("next")) or url_for("main.index"))
