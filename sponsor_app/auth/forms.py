"""Login and password forms."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from ..forms import BaseForm
from ..identity import login_name


class LoginForm(BaseForm):
    # The one place what was typed becomes the login identity: its data is login_name(typed), which
    # the account lookup, the throttle and the audit all use.
    username = StringField(_l("Tên đăng nhập"), validators=[DataRequired(), Length(max=60)],
                           filters=[login_name], render_kw={"autocomplete": "username", "autocapitalize": "none"})
    password = PasswordField(_l("Mật khẩu"), validators=[DataRequired(), Length(max=128)],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField(_l("Ghi nhớ đăng nhập trên máy này"))
    next = HiddenField()


class PasswordChangeForm(BaseForm):
    current_password = PasswordField(_l("Mật khẩu hiện tại"), validators=[DataRequired()],
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(_l("Mật khẩu mới"), validators=[DataRequired(), Length(max=128)],
                                 render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Nhập lại mật khẩu mới"),
                            validators=[DataRequired(), EqualTo("new_password", _l("Hai mật khẩu không khớp."))],
                            render_kw={"autocomplete": "new-password"})
