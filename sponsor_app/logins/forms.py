"""The form that issues first logins: the chosen accounts, and the batch it was shown as."""

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField
from wtforms.validators import ValidationError

from ..admin.forms import MultiCheckboxField
from ..forms import BaseForm
from ..params import optional_id


class IssueForm(BaseForm):
    # One per display of the page, kept in the session until used: the slips are shown in the answer
    # to this form, and reloading that answer (sending the form again) issues nothing twice.
    batch = HiddenField()
    user_ids = MultiCheckboxField(
        _l("Tài khoản"), coerce=optional_id,
        invalid_choice_message=_l("Có tài khoản không còn trong danh sách của trường (đã bị khóa?). "
                                  "Hãy xem lại các ô đã chọn."))

    def validate_user_ids(self, field):
        if not field.data:
            raise ValidationError(_l("Hãy chọn ít nhất một tài khoản."))
