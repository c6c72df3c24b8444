"""Pledge and assignment forms."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from ..forms import BaseForm
from ..models import MentorRole
from ..params import optional_id


class PledgeForm(BaseForm):
    willing = SelectField(_l("Đăng ký"), choices=[
        SelectChoice("1", _l("Tôi đăng ký nhận đỡ đầu")),
        SelectChoice("0", _l("Năm nay tôi chưa thể nhận đỡ đầu")),
    ], default="1")
    capacity = IntegerField(_l("Số học sinh nhận đỡ đầu"), default=1, validators=[
        Optional(), NumberRange(1, 5, message=_l("Từ 1 đến 5 học sinh."))], render_kw={"inputmode": "numeric"})
    preferred_grade = SelectField(_l("Ưu tiên khối"), coerce=optional_id, validate_choice=False)
    preferred_class_id = SelectField(_l("Ưu tiên lớp"), coerce=optional_id, validate_choice=False)
    preferred_commune = StringField(_l("Ưu tiên học sinh ở xã/phường"), validators=[Optional(), Length(max=120)])
    help_subject = StringField(_l("Có thể kèm môn học"), validators=[Optional(), Length(max=80)])
    help_home_visits = BooleanField(_l("Có thể thăm nhà học sinh"))
    help_material = BooleanField(_l("Có thể hỗ trợ vật chất"))
    note = TextAreaField(_l("Ghi chú"), validators=[Optional(), Length(max=1000)], render_kw={"rows": 2})
    version = HiddenField()

    def pledge_data(self) -> dict:
        return {
            "willing": self.willing.data == "1", "capacity": self.capacity.data or 1,
            "preferred_grade": self.preferred_grade.data, "preferred_class_id": self.preferred_class_id.data,
            "preferred_commune": self.preferred_commune.data or None, "help_subject": self.help_subject.data or None,
            "help_home_visits": self.help_home_visits.data, "help_material": self.help_material.data,
            "note": self.note.data or None,
        }


class AssignForm(BaseForm):
    mentor_id = SelectField(_l("Cán bộ, giáo viên"), coerce=optional_id, validate_choice=False,
                            validators=[DataRequired(message=_l("Chọn người đỡ đầu."))])
    role = SelectField(_l("Vai trò đỡ đầu"), choices=[
        SelectChoice(MentorRole.MAIN.value, _l("GV đỡ đầu chính")),
        SelectChoice(MentorRole.SUPPORT.value, _l("Hỗ trợ")),
    ])


class ReassignForm(BaseForm):
    mentor_id = SelectField(_l("GV đỡ đầu chính mới"), coerce=optional_id, validate_choice=False,
                            validators=[DataRequired(message=_l("Chọn người đỡ đầu."))])
    reason = StringField(_l("Lý do thay"), validators=[DataRequired(message=_l("Cần ghi lý do.")),
                                                      Length(max=300)])


class EndForm(BaseForm):
    reason = StringField(_l("Lý do kết thúc"), validators=[DataRequired(message=_l("Cần ghi lý do.")),
                                                          Length(max=300)])


class PlanNumberForm(BaseForm):
    plan_number = StringField(_l("Kèm theo kế hoạch số"), validators=[Optional(), Length(max=60)],
                              description=_l("Ví dụ: 52/KH-PDP"))

    def validate_plan_number(self, field):
        if field.data and any(ch in field.data for ch in "<>"):
            raise ValidationError(_l("Số kế hoạch không hợp lệ."))
