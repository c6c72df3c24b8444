"""Forms of the twice-yearly reports and the rollover of open cases."""

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from ..forms import BaseForm, VNDateField


class ReportForm(BaseForm):
    number = StringField(_l("Số văn bản (Số: …/BC-…)"), validators=[Optional(), Length(max=60)],
                         description=_l("Ví dụ: 15/BC-THPTHB"))
    as_of = VNDateField(_l("Số liệu tính đến ngày"), validators=[InputRequired(_l("Hãy nhập ngày chốt số liệu."))])
    report_date = VNDateField(_l("Ngày báo cáo"), validators=[InputRequired(_l("Hãy nhập ngày báo cáo."))])
    results = TextAreaField(_l("Kết quả đạt được"), validators=[Length(max=20000)])
    difficulties = TextAreaField(_l("Khó khăn, hạn chế"), validators=[Length(max=20000)])
    proposals = TextAreaField(_l("Đề xuất, kiến nghị"), validators=[Length(max=20000)])
    version = HiddenField()
    save = SubmitField(_l("Lưu bản nháp"))


class SubmitReportForm(BaseForm):
    version = HiddenField()
    submit = SubmitField(_l("Khoá và gửi báo cáo"))


class UnlockReportForm(BaseForm):
    reason = TextAreaField(_l("Lý do mở khoá"), validators=[DataRequired(_l("Cần ghi lý do mở khoá báo cáo.")),
                                                           Length(max=500)])
    submit = SubmitField(_l("Mở khoá để sửa"))


DECISION_LABELS = {"carry": _l("Tiếp tục đỡ đầu (GV cũ)"), "handover": _l("Bàn giao cho GV khác"),
                   "close": _l("Kết thúc đỡ đầu")}
CLOSE_REASON_LABELS = {"": _l("— chọn lý do —"), "not_at_risk": _l("Không còn nguy cơ"),
                       "graduated": _l("Đã ra trường"), "moved": _l("Chuyển trường, chuyển đi nơi khác"),
                       "dropped_out": _l("Đã bỏ học")}


class CaseForm(BaseForm):
    """Leadership's decision on one open case at the year's end."""

    decision = SelectField(_l("Quyết định"), choices=[SelectChoice(k, v) for k, v in DECISION_LABELS.items()])
    mentor_id = SelectField(_l("GV đỡ đầu năm học mới"), coerce=str, validate_choice=False)
    close_reason = SelectField(_l("Lý do kết thúc"), choices=[SelectChoice(k, v) for k, v in CLOSE_REASON_LABELS.items()])
    note = TextAreaField(_l("Ghi chú bàn giao / lý do"), validators=[Length(max=2000)])
    submit = SubmitField(_l("Ghi quyết định"))

    def validate_mentor_id(self, field):
        if self.decision.data == "handover" and not (field.data or "").isdigit():
            raise ValidationError(_l("Hãy chọn GV nhận bàn giao."))

    def validate_close_reason(self, field):
        if self.decision.data == "close" and not field.data:
            raise ValidationError(_l("Hãy chọn lý do kết thúc đỡ đầu."))

    def validate_note(self, field):
        if self.decision.data == "handover" and not (field.data or "").strip():
            raise ValidationError(_l("Bàn giao cần có ghi chú bàn giao cho GV mới."))


class RolloverForm(BaseForm):
    """Carry forward every simple case at once, promote classes, create the next year, close the year."""

    submit = SubmitField(_l("Thực hiện"))
