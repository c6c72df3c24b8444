"""Import forms: the upload (file, kind, year, class) and the confirmation of a previewed file."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import AnyOf, DataRequired, Length, Optional, Regexp

from ..forms import BaseForm
from .services import KINDS, STUDENTS, TOKEN_RE, YEAR_KINDS


class UploadForm(BaseForm):
    kind = HiddenField(validators=[AnyOf(KINDS)])
    file = FileField(_l("Tệp Excel (.xlsx)"), validators=[
        FileRequired(message=_l("Hãy chọn tệp Excel cần nhập.")),
        FileAllowed(["xlsx"], message=_l(
            "Chỉ nhận tệp Excel .xlsx. Tệp .xls hoặc .csv: mở bằng Excel rồi chọn Lưu thành → "
            "Sổ làm việc Excel (.xlsx).")),
    ], render_kw={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})
    year_id = SelectField(_l("Năm học"), coerce=int, id="import_year_id")  # base.html has a year_id
    class_name = StringField(_l("Lớp"), validators=[
        Optional(), Length(max=20),
        Regexp(r"^\d{1,2}", message=_l("Tên lớp bắt đầu bằng khối, ví dụ 10A4, 6/1, 12.6.")),
    ], description=_l("Để trống nếu tệp có cột Lớp hoặc tiêu đề ghi lớp (ví dụ “DANH SÁCH HỌC SINH LỚP 10A1”). "
                      "Nếu điền, mọi học sinh trong tệp được xếp vào lớp này."))

    def for_kind(self, kind: str, years) -> "UploadForm":
        """Keep the fields the kind of list needs (staff lists have no year; only class lists a class)."""
        if kind in YEAR_KINDS:
            self.year_id.choices = [(y.id, y.name) for y in years]
        else:
            del self.year_id
        if kind != STUDENTS:
            del self.class_name
        return self


class ConfirmForm(BaseForm):
    token = HiddenField(validators=[DataRequired(), Regexp(TOKEN_RE)])
