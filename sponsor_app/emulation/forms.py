"""Emulation forms: the rubric editor, bonuses and penalties, contests and answers, lock and unlock.

The score sheet itself is a grid of cells named by staff member and criterion (routes.py reads
it with `parse_points`): WTForms has no natural shape for a grid of unknown size.
"""

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
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from ..forms import BaseForm, PointsField, SubForm
from ..labels import (
    COMMENDATION_LABELS,
    CRITERION_SOURCE_LABELS,
    METRIC_LABELS,
    SEMESTER_METHOD_LABELS,
    SHEET_SCOPE_LABELS,
)
from ..models import Commendation, CriterionSource, Metric, SemesterMethod, SheetScope


def _choices(labels, keys):
    return [SelectChoice(k.value, labels[k.value]) for k in keys]


class CriterionRow(SubForm):
    id = HiddenField()
    source = HiddenField()
    metric = HiddenField()
    label = StringField(_l("Tiêu chí"), validators=[DataRequired(message=_l("Nhập tên tiêu chí.")), Length(max=200)])
    scope = SelectField(_l("Chấm ở phiếu"), choices=_choices(SHEET_SCOPE_LABELS, SheetScope), validate_choice=False)
    max_points = PointsField(_l("Điểm tối đa"), validators=[InputRequired(message=_l("Nhập điểm tối đa."))])
    active = BooleanField(_l("Áp dụng"))

    def validate_scope(self, field):
        if field.data not in {s.value for s in SheetScope}:
            raise ValidationError(_l("Chọn phiếu chấm."))


class BandRow(SubForm):
    label = StringField(_l("Mức xếp loại"), validators=[Optional(), Length(max=80)])
    min_percent = PointsField(_l("Từ (% điểm tối đa)"))
    commendation = SelectField(_l("Đề nghị"), choices=[SelectChoice("", "—"),
                                                     *_choices(COMMENDATION_LABELS, Commendation)],
                               validate_choice=False)

    def validate_min_percent(self, field):
        if (self.label.data or "").strip() and field.data is None:
            raise ValidationError(_l("Nhập ngưỡng (%)."))


class RubricForm(BaseForm):
    version = HiddenField()  # the year's emulation settings: two people saving the rubric is a conflict
    criteria = FieldList(FormField(CriterionRow), min_entries=0)
    bands = FieldList(FormField(BandRow), min_entries=0)
    semester_method = SelectField(_l("Điểm các tháng trong học kỳ"), choices=_choices(SEMESTER_METHOD_LABELS,
                                                                                     SemesterMethod))
    year_weight1 = IntegerField(_l("Hệ số học kỳ I"), validators=[InputRequired(message=_l("Nhập hệ số.")),
                                                                  NumberRange(0, 10, message=_l("Hệ số từ 0 đến 10."))])
    year_weight2 = IntegerField(_l("Hệ số học kỳ II"), validators=[InputRequired(message=_l("Nhập hệ số.")),
                                                                   NumberRange(0, 10, message=_l("Hệ số từ 0 đến 10."))])
    contest_days = IntegerField(_l("Số ngày được khiếu nại sau khi công bố"), validators=[
        InputRequired(message=_l("Nhập số ngày.")), NumberRange(0, 60, message=_l("Từ 0 đến 60 ngày."))])
    new_label = StringField(_l("Thêm tiêu chí hoặc khoản điểm"), validators=[Optional(), Length(max=200)])
    new_source = SelectField(_l("Loại"), choices=_choices(CRITERION_SOURCE_LABELS, CriterionSource),
                             validate_choice=False)
    new_metric = SelectField(_l("Cách tính (tiêu chí tự động)"), choices=[SelectChoice("", "—"),
                                                                         *_choices(METRIC_LABELS, Metric)],
                             validate_choice=False)
    new_scope = SelectField(_l("Chấm ở phiếu"), choices=_choices(SHEET_SCOPE_LABELS, SheetScope), validate_choice=False)
    new_max = PointsField(_l("Điểm tối đa"))

    def validate_new_source(self, field):
        if self.new_label.data and field.data not in {s.value for s in CriterionSource}:
            raise ValidationError(_l("Chọn loại."))

    def validate_new_metric(self, field):
        if self.new_label.data and self.new_source.data == CriterionSource.AUTO and \
                field.data not in {m.value for m in Metric}:
            raise ValidationError(_l("Chọn cách tính cho tiêu chí tự động."))

    def validate_new_max(self, field):
        if self.new_label.data and field.data is None:
            raise ValidationError(_l("Nhập điểm tối đa."))


class AdjustmentForm(BaseForm):
    user_id = SelectField(_l("Cán bộ, giáo viên"), coerce=int, validate_choice=True)
    criterion_id = SelectField(_l("Khoản điểm"), coerce=int, validate_choice=True)
    points = PointsField(_l("Số điểm"), validators=[InputRequired(message=_l("Nhập số điểm."))])
    evidence = TextAreaField(_l("Minh chứng"), validators=[DataRequired(message=_l("Ghi minh chứng.")),
                                                           Length(max=2000)])


class WithdrawForm(BaseForm):
    reason = StringField(_l("Lý do rút"), validators=[DataRequired(message=_l("Ghi lý do.")), Length(max=500)])


class ContestForm(BaseForm):
    criterion_id = SelectField(_l("Tiêu chí khiếu nại"), coerce=int, validate_choice=True)
    reason = TextAreaField(_l("Lý do"), validators=[DataRequired(message=_l("Ghi lý do khiếu nại.")),
                                                    Length(max=2000)])


class AnswerForm(BaseForm):
    decision = SelectField(_l("Kết luận"), choices=[SelectChoice("upheld", _l("Chấp nhận (đã điều chỉnh điểm)")),
                                                     SelectChoice("rejected", _l("Không chấp nhận"))])
    answer = TextAreaField(_l("Trả lời"), validators=[DataRequired(message=_l("Ghi câu trả lời.")),
                                                      Length(max=2000)])


class LockForm(BaseForm):
    confirm = BooleanField(_l("Tôi đã xem kết quả và duyệt danh sách đề nghị khen thưởng đã chọn"),
                           validators=[DataRequired(message=_l("Xác nhận trước khi khóa."))])


class UnlockForm(BaseForm):
    reason = StringField(_l("Lý do mở khóa"), validators=[DataRequired(message=_l("Ghi lý do mở khóa.")),
                                                          Length(max=500)])


class PublishForm(BaseForm):
    pass


class ScoresForm(BaseForm):
    """The CSRF token of the score grid (the cells, each with the value it was opened with, are read
    from the request: a cell changed by someone else meanwhile is a conflict)."""

