"""Error pages: a clear message in the user's language, never a stack trace."""

import math
from datetime import datetime

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from ..context import NoSchoolYear
from ..extensions import db
from ..timeutil import format_datetime, local_today, to_local, utcnow

# An oversized upload is read to its end (up to this much) before the answer, then dropped.
DRAIN_UP_TO = 128 * 1024 * 1024


def drain_request_body() -> None:
    """Read and discard the rest of a request refused as too large.

    The browser is still sending the file when the app refuses it; a server that answers and closes
    the connection mid-upload makes the browser show "connection reset" instead of our page
    (measured with gunicorn: a 50 MB upload got a broken pipe, not the 413 page). Behind nginx,
    which buffers the whole body first, this costs nothing.
    """
    length = request.content_length or 0
    stream = request.environ.get("wsgi.input")
    if stream is None or not 0 < length <= DRAIN_UP_TO:
        return
    remaining = length
    while remaining > 0:
        chunk = stream.read(min(256 * 1024, remaining))
        if not chunk:
            break
        remaining -= len(chunk)


def register(app) -> None:
    def page(code: int, title: str, message: str):
        return render_template("errors/error.html", code=code, title=title, message=message), code

    @app.errorhandler(400)
    def bad_request(_e):
        return page(400, _("Yêu cầu không hợp lệ"), _("Dữ liệu gửi lên không hợp lệ. Hãy thử lại."))

    @app.errorhandler(CSRFError)
    def csrf_error(_e):
        return page(400, _("Phiên làm việc đã hết hạn"),
                    _("Biểu mẫu đã cũ hoặc thiếu mã bảo vệ. Hãy tải lại trang rồi gửi lại."))

    @app.errorhandler(403)
    def forbidden(_e):
        return page(403, _("Không có quyền truy cập"), _("Tài khoản của bạn không được xem hoặc sửa mục này."))

    @app.errorhandler(404)
    def not_found(_e):
        return page(404, _("Không tìm thấy"), _("Trang hoặc hồ sơ này không tồn tại."))

    @app.errorhandler(405)
    def method_not_allowed(_e):
        return page(405, _("Thao tác không hợp lệ"), _("Trang này không nhận thao tác vừa gửi."))

    @app.errorhandler(413)
    def too_large(_e):
        drain_request_body()
        limit_mb = app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
        return page(413, _("Tệp quá lớn"), _("Tệp tải lên vượt quá %(mb)d MB.", mb=limit_mb))

    @app.errorhandler(429)
    def too_many(e):
        retry_at = getattr(e, "retry_after", None)
        if request.endpoint == "auth.login" and isinstance(retry_at, datetime):
            # When the lock ends (the limiter's window), in the school's time and in minutes from now.
            seconds = max(0, math.ceil((retry_at - utcnow()).total_seconds()))
            local = to_local(retry_at)
            when = local.strftime("%H:%M") if local.date() == local_today() else format_datetime(retry_at)
            message = _("Đăng nhập sai quá nhiều lần. Hãy thử lại sau %(time)s (khoảng %(minutes)d phút nữa), "
                        "hoặc nhờ quản trị viên của trường mở khóa tài khoản.",
                        time=when, minutes=max(1, math.ceil(seconds / 60)))
            response, code = page(429, _("Tạm khóa đăng nhập"), message)
            return response, code, {"Retry-After": str(seconds)}
        return page(429, _("Tạm khóa"), _("Quá nhiều yêu cầu. Hãy thử lại sau ít phút."))

    @app.errorhandler(NoSchoolYear)
    def no_school_year(_e):
        flash(_("Trường chưa có năm học nào; quản trị viên cần tạo năm học trước."), "warning")
        return redirect(url_for("main.index"))

    @app.errorhandler(500)
    def server_error(_e):
        db.session.rollback()
        return page(500, _("Lỗi hệ thống"), _("Đã có lỗi xảy ra; dữ liệu chưa được lưu. Hãy thử lại."))
