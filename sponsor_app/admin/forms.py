"""Admin forms: accounts, departments, classes, school years, school, students."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from ..forms import STAFF_AGES, STUDENT_AGES, BaseForm, VNDateField, birth_date, email_address, not_after
from ..identity import login_name
from ..labels import ROLE_LABELS, STATUS_LABELS
from ..models import Role, StudentStatus
from ..params import optional_id, to_int
from ..timeutil import local_today


def _year_start():
    """The start of the school year being viewed (a student's age is checked against it), else today."""
    from flask_login import current_user

    from ..context import selected_year

    year = selected_year() if current_user.is_authenticated else None
    return year.start_date if year else local_today()


GENDERS = [SelectChoice("", "—"), SelectChoice("Nam", _l("Nam")), SelectChoice("Nữ", _l("Nữ"))]


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class UserForm(BaseForm):
    full_name = StringField(_l("Họ và tên"), validators=[DataRequired(), Length(max=120)])
    username = StringField(_l("Tên đăng nhập"), validators=[
        DataRequired(), Length(min=3, max=60),
        Regexp(r"^[a-z0-9._-]+$", message=_l("Chỉ dùng chữ thường không dấu, số và . _ -")),
    ], filters=[lambda v: login_name(v) if isinstance(v, str) else v])
    department_id = SelectField(_l("Tổ chuyên môn"), coerce=optional_id, validate_choice=False)
    position = StringField(_l("Chức vụ"), validators=[Optional(), Length(max=80)])
    subject = StringField(_l("Môn dạy"), validators=[Optional(), Length(max=80)])
    roles = MultiCheckboxField(_l("Vai trò"), choices=[SelectChoice(r.value, ROLE_LABELS[r]) for r in Role])
    gender = SelectField(_l("Giới tính"), choices=GENDERS, validators=[Optional()])
    date_of_birth = VNDateField(_l("Ngày sinh"), validators=[Optional(), birth_date(STAFF_AGES)])
    phone = StringField(_l("Điện thoại"), validators=[Optional(), Length(max=40)])
    email = EmailField(_l("Email"), validators=[Optional(), email_address])
    version = HiddenField()

    def validate_roles(self, field):
        if not field.data:
            raise ValidationError(_l("Chọn ít nhất một vai trò."))


class DepartmentForm(BaseForm):
    code = StringField(_l("Mã tổ"), validators=[
        DataRequired(), Length(max=20),
        Regexp(r"^[A-Z0-9_]+$", message=_l("Mã tổ viết hoa không dấu, ví dụ TOAN, VAN.")),
    ], filters=[lambda v: v.upper() if isinstance(v, str) else v])
    name = StringField(_l("Tên tổ"), validators=[DataRequired(), Length(max=120)])
    head_id = SelectField(_l("Tổ trưởng"), coerce=optional_id, validate_choice=False)


class ClassForm(BaseForm):
    name = StringField(_l("Tên lớp"), validators=[
        DataRequired(), Length(max=20),
        Regexp(r"^\d{1,2}", message=_l("Tên lớp bắt đầu bằng khối, ví dụ 10A4, 6/1, 12.6.")),
    ], description=_l("Ghi đúng như trên danh sách của trường; khối lấy từ số đầu tiên."))
    homeroom_teacher_id = SelectField(_l("Giáo viên chủ nhiệm"), coerce=optional_id, validate_choice=False)


class SchoolYearForm(BaseForm):
    name = StringField(_l("Năm học"), validators=[
        DataRequired(), Regexp(r"^\d{4}-\d{4}$", message=_l("Năm học dạng 2026-2027."))])
    start_date = VNDateField(_l("Ngày khai giảng / bắt đầu"), validators=[DataRequired()])
    semester1_end = VNDateField(_l("Kết thúc học kỳ I"), validators=[DataRequired()])
    semester2_start = VNDateField(_l("Bắt đầu học kỳ II"), validators=[DataRequired()])
    end_date = VNDateField(_l("Kết thúc năm học"), validators=[DataRequired()])
    pledge_deadline = VNDateField(_l("Hạn đăng ký nhận đỡ đầu"), validators=[DataRequired()])
    screening_start = VNDateField(_l("Bắt đầu rà soát"), validators=[
        DataRequired(), not_after("screening_end", _l("Ngày bắt đầu rà soát phải trước ngày kết thúc."))])
    screening_end = VNDateField(_l("Kết thúc rà soát"), validators=[DataRequired()])
    assignment_deadline = VNDateField(_l("Hạn phân công GV đỡ đầu"), validators=[DataRequired()])
    note_day = IntegerField(_l("Ngày hạn nhận xét hằng tháng"), validators=[
        DataRequired(), NumberRange(1, 28, message=_l("Chọn ngày từ 1 đến 28."))])
    note_grace_days = IntegerField(_l("Số ngày gia hạn trước khi khoá sổ tháng"), default=3, validators=[
        NumberRange(0, 10, message=_l("Ghi số ngày từ 0 đến 10."))],
        description=_l("Sau ngày hạn cộng số ngày này, nhận xét đã gửi chỉ còn được bổ sung (kèm lý do)."))
    plan_due_days = IntegerField(_l("Hạn lập kế hoạch giúp đỡ (số ngày sau khi phân công)"), default=14, validators=[
        DataRequired(message=_l("Ghi số ngày từ 1 đến 60.")),
        NumberRange(1, 60, message=_l("Ghi số ngày từ 1 đến 60."))])
    report1_deadline = VNDateField(_l("Hạn báo cáo học kỳ I"), validators=[DataRequired()])
    report2_deadline = VNDateField(_l("Hạn báo cáo cuối năm"), validators=[DataRequired()])
    reminder_days = StringField(_l("Ngày gửi thư nhắc nhận xét hằng tháng"), default="20,24",
                                validators=[Optional(), Length(max=40)],
                                description=_l("Các ngày trong tháng, ngăn bằng dấu phẩy, trước ngày hạn nhận xét; "
                                               "để trống nếu không nhắc. Ví dụ: 20,24"))
    escalation_response_hours = IntegerField(_l("Thời hạn phản hồi vụ việc nghiêm trọng (giờ làm việc)"), default=8,
                                             validators=[DataRequired(message=_l("Ghi số giờ từ 1 đến 80.")),
                                                         NumberRange(1, 80, message=_l("Ghi số giờ từ 1 đến 80."))])
    is_current = BooleanField(_l("Là năm học hiện tại"))

    def validate_reminder_days(self, field):
        """Days 1–28, each before the note day; stored normalised ("20,24")."""
        text = (field.data or "").replace(";", ",").replace(" ", "")
        note_day = self.note_day.data if isinstance(self.note_day.data, int) else None
        days = []
        for part in filter(None, text.split(",")):
            day = to_int(part, lo=1, hi=28)
            if day is None or (note_day and day >= note_day):
                raise ValidationError(_l("Ngày nhắc là các số từ 1 đến 28, ngăn bằng dấu phẩy, và phải trước ngày "
                                         "hạn nhận xét hằng tháng; ví dụ 20,24."))
            days.append(day)
        field.data = ",".join(str(d) for d in sorted(set(days)))

    def validate_end_date(self, field):
        order = [self.start_date.data, self.semester1_end.data, self.semester2_start.data, field.data]
        if all(order) and not (order[0] < order[1] < order[2] < order[3]):
            raise ValidationError(_l("Các mốc phải theo thứ tự: bắt đầu < hết HK I < bắt đầu HK II < kết thúc."))

    def validate_name(self, field):
        first, _sep, second = (to_int(part, lo=0) for part in (field.data or "").partition("-"))
        if first is not None and second is not None and second != first + 1:
            raise ValidationError(_l("Năm thứ hai phải lớn hơn năm đầu 1 năm, ví dụ 2026-2027."))


class SchoolForm(BaseForm):
    name = StringField(_l("Tên trường"), validators=[DataRequired(), Length(max=200)])
    governing_body = StringField(_l("Cơ quan chủ quản"), validators=[Optional(), Length(max=200)],
                                 description=_l("Ví dụ: SỞ GD&ĐT TỈNH ĐẮK NÔNG"))
    place_name = StringField(_l("Địa danh ghi trên văn bản"), validators=[Optional(), Length(max=100)])
    address = StringField(_l("Địa chỉ"), validators=[Optional(), Length(max=300)])
    phone = StringField(_l("Điện thoại"), validators=[Optional(), Length(max=40)])
    email = EmailField(_l("Email"), validators=[Optional(), email_address])
    principal_name = StringField(_l("Hiệu trưởng"), validators=[Optional(), Length(max=120)])
    social_work_focal_id = SelectField(_l("Đầu mối công tác xã hội"), coerce=optional_id,
                                       validate_choice=False,
                                       description=_l("Nhận và phản hồi vụ việc nghiêm trọng cùng Ban giám hiệu."))


class StudentForm(BaseForm):
    code = StringField(_l("Mã học sinh"), validators=[DataRequired(), Length(max=40)])
    family_name = StringField(_l("Họ"), validators=[Optional(), Length(max=60)])
    middle_name = StringField(_l("Tên đệm"), validators=[Optional(), Length(max=60)])
    given_name = StringField(_l("Tên"), validators=[DataRequired(), Length(max=60)])
    class_group_id = SelectField(_l("Lớp"), coerce=optional_id, validate_choice=False,
                                 validators=[DataRequired(message=_l("Chọn lớp."))])
    date_of_birth = VNDateField(_l("Ngày sinh"), validators=[Optional(), birth_date(STUDENT_AGES, on=_year_start)])
    gender = SelectField(_l("Giới tính"), choices=GENDERS, validators=[Optional()])
    ethnicity = StringField(_l("Dân tộc"), validators=[Optional(), Length(max=40)])
    commune = StringField(_l("Xã/phường"), validators=[Optional(), Length(max=120)])
    address = StringField(_l("Địa chỉ"), validators=[Optional(), Length(max=300)])
    father_name = StringField(_l("Họ tên cha"), validators=[Optional(), Length(max=120)])
    mother_name = StringField(_l("Họ tên mẹ"), validators=[Optional(), Length(max=120)])
    guardian_name = StringField(_l("Người giám hộ"), validators=[Optional(), Length(max=120)])
    guardian_phone = StringField(_l("Điện thoại liên hệ"), validators=[Optional(), Length(max=40)])
    policy = StringField(_l("Diện chính sách"), validators=[Optional(), Length(max=200)])
    disability = StringField(_l("Khuyết tật"), validators=[Optional(), Length(max=200)])
    boarding = StringField(_l("Nội trú/bán trú"), validators=[Optional(), Length(max=40)])
    status = SelectField(_l("Tình trạng"), choices=[SelectChoice(s.value, STATUS_LABELS[s]) for s in StudentStatus])
    status_date = VNDateField(_l("Ngày chuyển trường / bỏ học"), validators=[Optional()])
    status_note = TextAreaField(_l("Ghi chú tình trạng"), validators=[Optional(), Length(max=300)])
    version = HiddenField()

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        # Not a field validator: Optional() on the date stops the chain when it is empty.
        if self.status.data != StudentStatus.ENROLLED.value and not self.status_date.data \
                and not self.status_date.errors:
            self.status_date.errors = [*self.status_date.errors,
                                       _l("Cần ghi ngày học sinh chuyển trường hoặc bỏ học.")]
            ok = False
        return ok


class ConfirmForm(BaseForm):
    """An empty CSRF-protected form for POST buttons (deactivate, make current, ...)."""
