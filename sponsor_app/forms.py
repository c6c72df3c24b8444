"""The project's base form and shared fields: every form subclasses BaseForm."""

import re
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, FieldList, Form, FormField, StringField
from wtforms.validators import ValidationError

from .params import to_int
from .text import nfc
from .timeutil import format_date, local_today, parse_date


def _strip(value):
    return nfc(value) if isinstance(value, str) else value


def _drop_nul(value):
    """NUL bytes dropped: PostgreSQL text cannot hold them (a typed or pasted one was a server error)."""
    return value.replace("\x00", "") if isinstance(value, str) else value


# WTForms ships no Vietnamese catalog: its built-in messages (a number that is not a number, a
# choice that is not offered, ...) in Vietnamese; the English UI shows the originals.
WTFORMS_VI = {
    "Not a valid choice.": "Lựa chọn không hợp lệ.",
    "Not a valid integer value.": "Hãy nhập một số nguyên.",
    "Not a valid decimal value.": "Hãy nhập một số.",
    "Not a valid float value.": "Hãy nhập một số.",
    "Not a valid date value.": "Ngày không hợp lệ.",
    "Not a valid datetime value.": "Thời điểm không hợp lệ.",
    "Not a valid time value.": "Giờ không hợp lệ.",
    "This field is required.": "Không được để trống.",
    "Invalid input.": "Giá trị không hợp lệ.",
    "Invalid email address.": "Địa chỉ e-mail không hợp lệ.",
    "Invalid Choice: could not coerce.": "Lựa chọn không hợp lệ.",
    "Number must be at least %(min)s.": "Số phải từ %(min)s trở lên.",
    "Number must be at most %(max)s.": "Số phải không quá %(max)s.",
    "Number must be between %(min)s and %(max)s.": "Số phải từ %(min)s đến %(max)s.",
    "Field must be at least %(min)d character long.": "Cần ít nhất %(min)d ký tự.",
    "Field must be at least %(min)d characters long.": "Cần ít nhất %(min)d ký tự.",
    "Field cannot be longer than %(max)d character.": "Không dài quá %(max)d ký tự.",
    "Field cannot be longer than %(max)d characters.": "Không dài quá %(max)d ký tự.",
    "Field must be between %(min)d and %(max)d characters long.": "Cần từ %(min)d đến %(max)d ký tự.",
    "Field must be equal to %(other_name)s.": "Phải trùng với %(other_name)s.",
    "The CSRF token is missing.": "Phiên làm việc đã hết hạn, hãy tải lại trang và gửi lại.",
    "The CSRF token is invalid.": "Phiên làm việc đã hết hạn, hãy tải lại trang và gửi lại.",
}


class _WTFormsTranslations:
    """gettext/ngettext for WTForms' own messages, by the request's language."""

    @staticmethod
    def _vi() -> bool:
        from .context import ui_locale

        return ui_locale() == "vi"

    def gettext(self, string):
        return WTFORMS_VI.get(string, string) if self._vi() else string

    def ngettext(self, singular, plural, n):
        return self.gettext(singular if n == 1 else plural)


WTFORMS_TRANSLATIONS = _WTFormsTranslations()


def _bounded_int(value):
    """Integers a form read (IntegerField, select fields coerced to int, money) within the range of
    the database's INTEGER columns: 2**70 is a form error, not a database error."""
    values = value if isinstance(value, list | tuple) else [value]
    for one in values:
        if isinstance(one, int) and not isinstance(one, bool) and to_int(one) is None:
            raise ValueError(_l("Số quá lớn hoặc quá nhỏ."))
    return value


class _Meta:
    """What every form and row shares: WTForms' messages in the UI language; text inputs
    NFC-normalised and stripped; no NUL byte in any text; no integer beyond the database's."""

    def get_translations(self, form):
        return WTFORMS_TRANSLATIONS

    def bind_field(self, form, unbound_field, options):
        filters = unbound_field.kwargs.get("filters", ())
        if unbound_field.field_class in (StringField, VNDateField, EmailField):
            unbound_field.kwargs["filters"] = (_drop_nul, _strip, *filters)
        elif issubclass(unbound_field.field_class, StringField):  # text areas, e-mail, points, money
            unbound_field.kwargs["filters"] = (_drop_nul, _bounded_int, *filters)
        elif not issubclass(unbound_field.field_class, FormField | FieldList):  # numbers, selects
            unbound_field.kwargs["filters"] = (_bounded_int, *filters)
        return unbound_field.bind(form=form, **options)


class BaseForm(FlaskForm):
    """CSRF-protected form whose text inputs arrive NFC-normalised and stripped."""

    class Meta(_Meta):
        pass


class VNDateField(StringField):
    """A date typed as dd/mm/yyyy (phones show a text keyboard with the format as placeholder)."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {}).setdefault("placeholder", "dd/mm/yyyy")
        kwargs["render_kw"].setdefault("inputmode", "numeric")
        super().__init__(label, validators, **kwargs)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return format_date(self.data) if self.data else ""

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist:
            return
        try:
            self.data = parse_date(valuelist[0])
        except ValueError:
            self.data = None
            raise ValueError(_l("Ngày không hợp lệ, hãy nhập theo dạng dd/mm/yyyy.")) from None


# Dates of birth typed or imported are checked against these ages (a date of 1900 or of last year
# is a typing error): a student is 3 to 25 years old at the start of the school year (kindergarten
# to continuing education), a member of staff 18 to 75 today (the youngest graduate to a retired
# volunteer who still mentors).
STUDENT_AGES = (3, 25)
STAFF_AGES = (18, 75)


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def birth_date_problem(born: date | None, ages: tuple[int, int], on: date) -> str | None:
    """What is wrong with a date of birth for someone who must be `ages` years old on `on` (None: fine)."""
    from flask_babel import gettext as _

    if born is None:
        return None
    if born > on or not ages[0] <= age_on(born, on) <= ages[1]:
        return _("ngày sinh %(d)s không hợp lý: cần từ %(lo)d đến %(hi)d tuổi vào ngày %(on)s",
                 d=format_date(born), lo=ages[0], hi=ages[1], on=format_date(on))
    return None


def birth_date(ages: tuple[int, int], on=None):
    """Validator of a date of birth (see birth_date_problem); `on()` gives the reference day
    (default: today)."""

    def check(form, field):
        if field.data is None:
            return
        problem = birth_date_problem(field.data, ages, on() if on else local_today())
        if problem:
            raise ValidationError(problem[:1].upper() + problem[1:])

    return check


# An e-mail address: its shape only (WTForms' Email() needs the email_validator package, which the
# app does not ship). Checked whole (fullmatch: "$" of a regex would let a trailing line break
# through) after the forms' strip, in forms and imports alike.
EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
EMAIL_MAX = 120


def clean_email(text: str | None) -> str | None:
    """An e-mail address as stored: surrounding whitespace and line breaks removed, NFC; None when blank."""
    return nfc(text) or None


def is_email(text: str | None) -> bool:
    return bool(text) and len(text) <= EMAIL_MAX and EMAIL_RE.fullmatch(text) is not None


def email_address(form, field):
    """Validator of an optional e-mail field (the field's text is already stripped by BaseForm)."""
    field.data = clean_email(field.data)
    if field.data and not is_email(field.data):
        raise ValidationError(_l("Email không hợp lệ."))


def not_after(other_field_name: str, message):
    """Validator: this date is not after the date in another field."""

    def check(form, field):
        other = form[other_field_name].data
        if field.data and other and field.data > other:
            raise ValidationError(message)

    return check


def version_conflict(form, obj, message=None) -> bool:
    """True (with a form error) when `obj` changed since the form was opened, or when the form does
    not say which version it was opened at (a missing or malformed `version`: a script or a stale
    client), so an edit never overwrites what it did not see.

    Every form that edits a versioned record (a model with a `version_id_col`) carries the record's
    version in a hidden `version` field and goes through here before saving; `message` is the one
    the route shows for a StaleDataError at commit (the same conflict, caught later). The form keeps
    what was typed: the caller shows it again.
    """
    from flask_babel import gettext as _

    raw = form.version.raw_data  # what was posted: `data` falls back to the record's own version (obj=)
    sent = to_int(raw[0] if raw else None, lo=0)
    if sent is None or sent != obj.version:
        form.form_errors.append(message or _(
            "Hồ sơ này vừa được người khác sửa sau khi bạn mở trang. Nội dung bạn nhập vẫn còn bên dưới; "
            "hãy mở lại hồ sơ trong thẻ khác để xem bản mới, rồi lưu lại."
        ))
        return True
    return False


class SubForm(Form):
    """A row inside a FieldList (no CSRF of its own), with the same NFC + strip of text inputs."""

    class Meta(_Meta):
        pass


class MoneyField(StringField):
    """An amount in VND typed as 500000, 500.000 or 500 000 (đ); stored as an integer."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {}).setdefault("inputmode", "numeric")
        super().__init__(label, validators, **kwargs)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return f"{self.data:,}".replace(",", ".") if self.data else ""

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not valuelist[0].strip():
            return
        digits = valuelist[0].strip().lower().removesuffix("đ").removesuffix("vnd").strip()
        digits = digits.replace(".", "").replace(",", "").replace(" ", "")
        if not (digits.isascii() and digits.isdigit()) or len(digits) > 12:  # "²" is a digit to isdigit()
            raise ValueError(_l("Số tiền không hợp lệ: chỉ ghi số, ví dụ 500.000."))
        self.data = int(digits)


def parse_points(text: str | None) -> float | None:
    """Points typed as 7, 7,5 or 7.5 (None when blank); ValueError when not a number."""
    text = (text or "").strip().replace(",", ".")
    if not text:
        return None
    if len(text) > 8 or not text.replace(".", "", 1).lstrip("-").isdigit():
        raise ValueError(text)
    return round(float(text), 2)


class PointsField(StringField):
    """Points with the Vietnamese decimal comma (7,5) or a point (7.5)."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {}).setdefault("inputmode", "decimal")
        super().__init__(label, validators, **kwargs)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return format_points(self.data) if self.data is not None else ""

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist:
            return
        try:
            self.data = parse_points(valuelist[0])
        except ValueError:
            raise ValueError(_l("Điểm không hợp lệ: ghi một số, ví dụ 7 hoặc 7,5.")) from None


def format_points(value: float | None) -> str:
    """7.0 → "7", 7.5 → "7,5" (the Vietnamese decimal comma)."""
    if value is None:
        return ""
    return f"{round(value, 2):g}".replace(".", ",")
