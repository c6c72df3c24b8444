"""Screening forms: the record, a contact, the decision, and the criteria editor."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
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
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError

from ..forms import BaseForm, VNDateField
from ..imports.services import TOKEN_RE
from ..labels import CHANNEL_LABELS, CRITERION_KIND_LABELS, FLAG_LABELS, METHOD_LABELS
from ..models import ContactChannel, ContactMethod, CriterionKind, Decision, RatingScale
from ..timeutil import local_today
from .scoring import RATINGS

SCALE_CHOICES = [SelectChoice(RatingScale.TT22.value, _l("Thông tư 22/2021 (Tốt, Khá, Đạt, Chưa đạt)")),
                 SelectChoice(RatingScale.OLD.value, _l("Thang cũ (hạnh kiểm, học lực)"))]


def _rating_choices(kind: str):
    values = []
    for scale in ("tt22", "old"):
        for value in RATINGS[scale][kind]:
            if value not in values:
                values.append(value)
    return [SelectChoice("", "—")] + [SelectChoice(v, v) for v in values]


class ScreeningForm(BaseForm):
    poor_household = BooleanField(FLAG_LABELS["poor_household"])
    near_poor_household = BooleanField(FLAG_LABELS["near_poor_household"])
    orphan = BooleanField(FLAG_LABELS["orphan"])
    parents_ill = BooleanField(FLAG_LABELS["parents_ill"])
    parents_away = BooleanField(FLAG_LABELS["parents_away"])
    family_breakdown = BooleanField(FLAG_LABELS["family_breakdown"])
    disability = BooleanField(FLAG_LABELS["disability"])
    ethnic_minority = BooleanField(FLAG_LABELS["ethnic_minority"])
    far_from_school = BooleanField(FLAG_LABELS["far_from_school"])
    works_for_school = BooleanField(FLAG_LABELS["works_for_school"])
    other_circumstance = BooleanField(FLAG_LABELS["other_circumstance"])
    other_circumstance_text = StringField(_l("Hoàn cảnh khác (ghi rõ)"), validators=[Optional(), Length(max=300)])
    rating_scale = SelectField(_l("Thang đánh giá"), choices=SCALE_CHOICES, default=RatingScale.TT22.value)
    conduct_rating = SelectField(_l("Rèn luyện / hạnh kiểm"), choices=_rating_choices("conduct"),
                                 validators=[Optional()])
    learning_rating = SelectField(_l("Học tập / học lực"), choices=_rating_choices("learning"),
                                  validators=[Optional()])
    absences = IntegerField(_l("Số buổi nghỉ học từ đầu năm"), default=0, validators=[
        Optional(), NumberRange(0, 400, message=_l("Số buổi nghỉ từ 0 đến 400."))],
        render_kw={"inputmode": "numeric"})
    circumstances_text = TextAreaField(_l("Hoàn cảnh gia đình, bản thân"), validators=[
        DataRequired(message=_l("Hãy mô tả hoàn cảnh gia đình, bản thân.")), Length(max=4000)],
        render_kw={"rows": 4})
    conduct_text = TextAreaField(_l("Sự rèn luyện của bản thân"), validators=[Optional(), Length(max=4000)],
                                 render_kw={"rows": 3})
    version = HiddenField()

    def _check_rating(self, field, kind: str) -> None:
        scale = RATINGS.get(self.rating_scale.data or "tt22")  # an unknown scale is the scale field's error
        if field.data and scale is not None and field.data not in scale[kind]:
            raise ValidationError(_l("Mức này không thuộc thang đã chọn."))

    def validate_conduct_rating(self, field):
        self._check_rating(field, "conduct")

    def validate_learning_rating(self, field):
        self._check_rating(field, "learning")

    def validate_other_circumstance_text(self, field):
        if self.other_circumstance.data and not field.data:
            raise ValidationError(_l("Hãy ghi rõ hoàn cảnh khác."))

    def record_data(self) -> dict:
        data = {name: self[name].data for name in self._fields if name not in ("csrf_token", "version")}
        data["conduct_rating"] = data["conduct_rating"] or None
        data["learning_rating"] = data["learning_rating"] or None
        data["absences"] = data["absences"] or 0
        data["rating_scale"] = RatingScale(data["rating_scale"])
        return data


class ContactForm(BaseForm):
    channel = SelectField(_l("Kênh thông tin"), choices=[SelectChoice(c.value, CHANNEL_LABELS[c]) for c in ContactChannel])
    method = SelectField(_l("Hình thức"), choices=[SelectChoice(m.value, METHOD_LABELS[m]) for m in ContactMethod])
    person = StringField(_l("Gặp / hỏi ai"), validators=[DataRequired(), Length(max=200)],
                         description=_l("Ví dụ: mẹ em, bạn cùng lớp, GV bộ môn Toán"))
    contact_date = VNDateField(_l("Ngày"), validators=[DataRequired()])
    note = TextAreaField(_l("Thông tin thu được"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 2})

    def validate_contact_date(self, field):
        if field.data and field.data > local_today():
            raise ValidationError(_l("Ngày liên hệ không thể ở tương lai."))


class DecisionForm(BaseForm):
    version = HiddenField()  # the screening's: a conclusion is not written over a change not seen
    decision = SelectField(_l("Kết luận"), choices=[
        SelectChoice(Decision.APPROVED.value, _l("Duyệt: cần nhận đỡ đầu")),
        SelectChoice(Decision.NOT_NEEDED.value, _l("Không cần đỡ đầu")),
    ])
    reason = TextAreaField(_l("Lý do (bắt buộc khi không cần đỡ đầu)"), validators=[Optional(), Length(max=1000)],
                           render_kw={"rows": 2})


class CriterionRowForm(BaseForm):
    class Meta:
        csrf = False

    id = HiddenField()
    label = StringField(_l("Tiêu chí"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Loại"), choices=[SelectChoice(k.value, CRITERION_KIND_LABELS[k]) for k in CriterionKind])
    parameter = StringField(_l("Tham số"), validators=[DataRequired(), Length(max=200)])
    weight = IntegerField(_l("Trọng số"), validators=[DataRequired(message=_l("Nhập trọng số.")),
                                                      NumberRange(1, 20, message=_l("Trọng số từ 1 đến 20."))])
    active = BooleanField(_l("Áp dụng"))


class CriteriaForm(BaseForm):
    criteria = FieldList(FormField(CriterionRowForm), min_entries=0)
    risk_medium_min = IntegerField(_l("Điểm từ mức này: nguy cơ trung bình"), validators=[
        DataRequired(), NumberRange(1, 200)])
    risk_high_min = IntegerField(_l("Điểm từ mức này: nguy cơ cao"), validators=[DataRequired(), NumberRange(1, 200)])
    new_label = StringField(_l("Thêm tiêu chí mới"), validators=[Optional(), Length(max=200)])
    new_kind = SelectField(_l("Loại"), choices=[SelectChoice(k.value, CRITERION_KIND_LABELS[k]) for k in CriterionKind],
                           validate_choice=False)
    new_parameter = StringField(_l("Tham số"), validators=[Optional(), Length(max=200)])
    new_weight = IntegerField(_l("Trọng số"), validators=[Optional(), NumberRange(1, 20)])

    def validate_new_kind(self, field):
        if self.new_label.data and field.data not in {k.value for k in CriterionKind}:
            raise ValidationError(_l("Chọn loại tiêu chí."))

    def validate_new_parameter(self, field):
        if self.new_label.data and not (field.data or "").strip():
            raise ValidationError(_l("Nhập tham số cho tiêu chí mới."))


class SheetUploadForm(BaseForm):
    """The class's screening sheet, filled in Excel, uploaded back for a preview."""

    file = FileField(_l("Bảng rà soát đã điền (.xlsx)"), validators=[
        FileRequired(message=_l("Hãy chọn tệp Excel cần nhập.")),
        FileAllowed(["xlsx"], message=_l(
            "Chỉ nhận tệp Excel .xlsx. Tệp .xls hoặc .csv: mở bằng Excel rồi chọn Lưu thành → "
            "Sổ làm việc Excel (.xlsx).")),
    ], render_kw={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})


class SheetConfirmForm(BaseForm):
    token = HiddenField(validators=[DataRequired(), Regexp(TOKEN_RE)])


class BulkApproveForm(BaseForm):
    """The records ticked on the at-risk list ("id:version" each: a record changed since is not approved)."""

    back = HiddenField()
