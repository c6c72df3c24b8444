"""Forms of escalations, referrals, the service directory and holidays."""

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..forms import BaseForm, VNDateField
from ..labels import CONCERN_KIND_LABELS, REFERRAL_STATUS_LABELS, SERVICE_KIND_LABELS
from ..params import optional_id


class RaiseForm(BaseForm):
    kind = SelectField(_l("Loại vụ việc"), choices=[SelectChoice(k.value, v) for k, v in CONCERN_KIND_LABELS.items()])
    description = TextAreaField(_l("Mô tả sự việc"), validators=[
        DataRequired(message=_l("Mô tả sự việc: điều gì xảy ra, khi nào, em đang ở đâu, an toàn chưa.")),
        Length(max=5000)], render_kw={"rows": 6},
        description=_l("Chỉ Ban giám hiệu, đầu mối công tác xã hội, bạn và GV đỡ đầu chính của em xem được."))


class UpdateForm(BaseForm):
    text = TextAreaField(_l("Việc đã làm, diễn biến"), validators=[
        DataRequired(message=_l("Ghi việc đã làm hoặc diễn biến mới.")), Length(max=5000)], render_kw={"rows": 3})


class ReferralForm(BaseForm):
    service_id = SelectField(_l("Chuyển gửi đến"), coerce=optional_id, validate_choice=False,
                             validators=[DataRequired(message=_l("Chọn đơn vị chuyển gửi."))])
    referred_on = VNDateField(_l("Ngày chuyển gửi"), validators=[DataRequired(message=_l("Ghi ngày chuyển gửi."))])
    note = TextAreaField(_l("Ghi chú"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 2})


class OutcomeForm(BaseForm):
    status = SelectField(_l("Tình trạng"), choices=[SelectChoice(k.value, v) for k, v in REFERRAL_STATUS_LABELS.items()])
    outcome = TextAreaField(_l("Kết quả"), validators=[
        DataRequired(message=_l("Ghi kết quả, phản hồi của đơn vị.")), Length(max=3000)], render_kw={"rows": 2})
    outcome_on = VNDateField(_l("Ngày"), validators=[DataRequired(message=_l("Ghi ngày có kết quả."))])


class CloseForm(BaseForm):
    outcome = TextAreaField(_l("Kết quả xử lý"), validators=[
        DataRequired(message=_l("Ghi kết quả xử lý trước khi kết thúc vụ việc.")), Length(max=5000)],
        render_kw={"rows": 3})
    version = HiddenField()


class ServiceForm(BaseForm):
    kind = SelectField(_l("Loại đơn vị"), choices=[SelectChoice(k.value, v) for k, v in SERVICE_KIND_LABELS.items()])
    name = StringField(_l("Tên đơn vị"), validators=[DataRequired(message=_l("Ghi tên đơn vị.")), Length(max=200)],
                       description=_l("Tên thật, ví dụ: UBND xã Ea Lang, Trạm y tế xã Ea Lang."))
    phone = StringField(_l("Điện thoại"), validators=[Optional(), Length(max=40)])
    address = StringField(_l("Địa chỉ"), validators=[Optional(), Length(max=300)])
    contact_person = StringField(_l("Người liên hệ"), validators=[Optional(), Length(max=120)])


class HolidayForm(BaseForm):
    day = VNDateField(_l("Ngày nghỉ"), validators=[DataRequired(message=_l("Ghi ngày nghỉ."))])
    name = StringField(_l("Tên ngày nghỉ"), validators=[DataRequired(message=_l("Ghi tên ngày nghỉ.")),
                                                         Length(max=120)])


class NationalHolidaysForm(BaseForm):
    year = IntegerField(_l("Năm"), validators=[
        DataRequired(message=_l("Ghi năm, ví dụ 2027.")),
        NumberRange(2000, 2100, message=_l("Ghi năm, ví dụ 2027."))])
