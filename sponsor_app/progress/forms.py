"""Support plan forms."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import HiddenInput

from ..forms import BaseForm, MoneyField, SubForm, VNDateField
from ..labels import (
    CONTACT_WITH_LABELS,
    DOMAIN_LABELS,
    HORIZON_LABELS,
    NOTE_METHOD_LABELS,
    RATING_LABELS,
    STRATEGY_LABELS,
    SUPPORT_KIND_LABELS,
    TARGET_PROGRESS_LABELS,
    TREND_LABELS,
)


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


# --- monthly notes -----------------------------------------------------------------------------

def _choices(labels: dict, blank: str = "—") -> list[SelectChoice]:
    return [SelectChoice("", blank)] + [SelectChoice(k, v) for k, v in labels.items()]


def _optional_select(label, labels: dict, blank: str = "—") -> SelectField:
    """A select whose blank choice is a valid answer (also when the field is not sent at all)."""
    return SelectField(label, choices=_choices(labels, blank), default="")


class ContactRow(SubForm):
    contact_on = VNDateField(_l("Ngày"), validators=[Optional()])
    with_whom = _optional_select(_l("Với"), CONTACT_WITH_LABELS)
    method = _optional_select(_l("Hình thức"), NOTE_METHOD_LABELS)
    summary = StringField(_l("Nội dung chính"), validators=[Optional(), Length(max=300)])

    def is_blank(self) -> bool:
        return not (self.contact_on.data or self.with_whom.data or self.method.data or self.summary.data)

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if ok and not self.is_blank() and not (self.contact_on.data and self.with_whom.data and self.method.data):
            self.contact_on.errors = [*self.contact_on.errors,
                                      _l("Mỗi lần liên hệ cần ngày, với ai và hình thức.")]
            return False
        return ok


class TargetRow(SubForm):
    goal_id = IntegerField(widget=HiddenInput(), validators=[Optional()])
    progress = _optional_select(_l("Tiến độ"), TARGET_PROGRESS_LABELS, _l("— chưa đánh giá"))
    comment = StringField(_l("Ghi chú"), validators=[Optional(), Length(max=300)])


class SupportRow(SubForm):
    kind = _optional_select(_l("Hỗ trợ"), SUPPORT_KIND_LABELS)
    value_vnd = MoneyField(_l("Trị giá (đồng)"))
    donor = StringField(_l("Người, đơn vị hỗ trợ"), validators=[Optional(), Length(max=200)])

    def is_blank(self) -> bool:
        return not (self.kind.data or self.value_vnd.data or self.donor.data)

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if ok and not self.is_blank() and not self.kind.data:
            self.kind.errors = [*self.kind.errors, _l("Chọn loại hỗ trợ.")]
            return False
        return ok


class NoteForm(BaseForm):
    absences = IntegerField(_l("Số buổi nghỉ trong tháng"), validators=[
        Optional(), NumberRange(min=0, max=62, message=_l("Số buổi nghỉ từ 0 đến 62."))],
        render_kw={"inputmode": "numeric"})
    learning_trend = _optional_select(_l("Học tập so với tháng trước"), TREND_LABELS)
    conduct_trend = _optional_select(_l("Rèn luyện so với tháng trước"), TREND_LABELS)
    contacts = FieldList(FormField(ContactRow), min_entries=1, max_entries=20)
    targets = FieldList(FormField(TargetRow), max_entries=40)
    wellbeing = TextAreaField(_l("Sức khoẻ, tâm lý, đời sống"), validators=[Optional(), Length(max=4000)],
                              render_kw={"rows": 2})
    supports = FieldList(FormField(SupportRow), min_entries=1, max_entries=20)
    rating = _optional_select(_l("Đánh giá chung của tháng"), RATING_LABELS)
    concerns = TextAreaField(_l("Điều lo ngại"), validators=[Optional(), Length(max=4000)], render_kw={"rows": 2})
    next_steps = TextAreaField(_l("Việc sẽ làm tháng tới"), validators=[Optional(), Length(max=4000)],
                               render_kw={"rows": 2})
    reason = TextAreaField(_l("Lý do sửa, bổ sung"), validators=[Optional(), Length(max=2000)],
                           render_kw={"rows": 2})
    version = HiddenField()

    def note_data(self) -> dict:
        def value(field):
            return field.data or None

        return {
            "absences": self.absences.data, "learning_trend": value(self.learning_trend),
            "conduct_trend": value(self.conduct_trend), "wellbeing": value(self.wellbeing),
            "rating": value(self.rating), "concerns": value(self.concerns), "next_steps": value(self.next_steps),
            "contacts": [{"contact_on": row.contact_on.data, "with_whom": row.with_whom.data,
                          "method": row.method.data, "summary": row.summary.data or None}
                         for row in (entry.form for entry in self.contacts) if not row.is_blank()],
            "supports": [{"kind": row.kind.data, "value_vnd": row.value_vnd.data or 0, "donor": row.donor.data or None}
                         for row in (entry.form for entry in self.supports) if not row.is_blank()],
            "progress": [{"goal_id": row.goal_id.data, "progress": row.progress.data, "comment": row.comment.data}
                         for row in (entry.form for entry in self.targets) if row.goal_id.data],
        }


class NoteReviewForm(BaseForm):
    decision = SelectField(_l("Ý kiến tổ trưởng"), choices=[
        SelectChoice("seen", _l("Đã xem")), SelectChoice("needs_more", _l("Cần bổ sung"))])
    comment = TextAreaField(_l("Nhận xét cho GV"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 2})


class ContributionForm(BaseForm):
    text = TextAreaField(_l("Đóng góp của GV hỗ trợ"), validators=[
        DataRequired(message=_l("Ghi nội dung đóng góp.")), Length(max=4000)], render_kw={"rows": 3})
