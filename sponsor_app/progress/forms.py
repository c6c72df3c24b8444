"""Support plan forms."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..forms import BaseForm, VNDateField
from ..labels import DOMAIN_LABELS, HORIZON_LABELS, STRATEGY_LABELS


class GoalForm(BaseForm):
    horizon = SelectField(_l("Loại"), choices=[SelectChoice(k, v) for k, v in HORIZON_LABELS.items()])
    domain = SelectField(_l("Mặt"), choices=[SelectChoice(k, v) for k, v in DOMAIN_LABELS.items()])
    parent_id = IntegerField(_l("Thuộc mục tiêu"), validators=[Optional()])
    semester = SelectField(_l("Học kỳ"), choices=[SelectChoice("1", "I"), SelectChoice("2", "II")],
                           validate_choice=False)
    day = VNDateField(_l("Tháng / tuần (một ngày trong đó)"), validators=[Optional()])
    strategy = SelectField(_l("Biện pháp"), choices=[SelectChoice("", "—")]
                           + [SelectChoice(k, v) for k, v in STRATEGY_LABELS.items()], validate_choice=False)
    text = StringField(_l("Nội dung"), validators=[DataRequired(message=_l("Ghi nội dung mục tiêu.")),
                                                   Length(max=500)])

    def validate_strategy(self, field):
        if field.data and field.data not in STRATEGY_LABELS:
            raise ValidationError(_l("Biện pháp không có trong danh sách."))

    def goal_data(self) -> dict:
        return {"horizon": self.horizon.data, "domain": self.domain.data, "parent_id": self.parent_id.data,
                "semester": 2 if self.semester.data == "2" else 1, "day": self.day.data,
                "strategy": self.strategy.data or None, "text": self.text.data}


class AgreementForm(BaseForm):
    student_agreed = BooleanField(_l("Học sinh đã đồng ý"))
    family_agreed = BooleanField(_l("Gia đình đã đồng ý"))
    agreed_on = VNDateField(_l("Ngày đồng ý"), validators=[Optional()])
    version = HiddenField()


class ReviewForm(BaseForm):
    decision = SelectField(_l("Ý kiến tổ trưởng"), choices=[
        SelectChoice("approve", _l("Duyệt kế hoạch")), SelectChoice("changes", _l("Cần bổ sung, sửa"))])
    comment = TextAreaField(_l("Nhận xét"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 2})
