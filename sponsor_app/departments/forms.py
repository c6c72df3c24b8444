"""The head's edit of the monthly report's summary."""

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SubmitField, TextAreaField
from wtforms.validators import Length, ValidationError

from ..forms import BaseForm


class ReportSummaryForm(BaseForm):
    summary = TextAreaField(_l("Tóm tắt (tổ trưởng có thể sửa)"), validators=[Length(max=10000)])
    version = HiddenField()
    save = SubmitField(_l("Lưu bản đã sửa"))
    regenerate = SubmitField(_l("Tạo lại từ số liệu (bỏ bản đã sửa)"))

    def validate_summary(self, field):
        if not self.regenerate.data and not (field.data or "").strip():
            raise ValidationError(_l("Hãy nhập nội dung tóm tắt."))
