"""Escalations of serious concerns: raising (with the response deadline in working hours),
updates, referrals to outside services, closing; the directory of services; the school's holidays.

Functions add and flush; the request commits. E-mail is sent after the commit (`notify_raised`)
and never carries the description: it says that a concern was raised and by when it must be
answered, with a link to the app where access is checked and logged.
"""

import logging
import math
from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import case, select
from sqlalchemy.orm import joinedload, selectinload

from .. import audit
from ..exceptions import RuleError
from ..extensions import db
from ..mail import MailError, mail_configured, send_mail
from ..models import (
    ClassGroup,
    ConcernKind,
    Enrollment,
    Escalation,
    EscalationStatus,
    EscalationUpdate,
    Holiday,
    Referral,
    ReferralService,
    ReferralStatus,
    Role,
    School,
    SchoolYear,
    ServiceKind,
    Student,
    User,
    UserRole,
)
from ..permissions import is_escalation_responder, visible_escalations
from ..progress.calendar import add_working_hours, working_hours_between
from ..timeutil import format_datetime, local_today, utcnow

log = logging.getLogger(__name__)

# --- the clock ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Clock:
    """Where an escalation's response clock stands (what the list, banner and detail show)."""

    state: str  # "open" (hours left) | "overdue" | "responded" | "closed"
    hours_left: float | None = None  # open: working hours left, one decimal
    overdue_hours: int | None = None  # overdue: whole working hours past the deadline (at least 1)
    on_time: bool | None = None  # responded/closed: the first response came by the deadline


def holidays_of(school_id: int) -> set[date]:
    """The school's days off (one query), for the working-hours clock."""
    return set(db.session.scalars(select(Holiday.day).where(Holiday.school_id == school_id)))


def clock(escalation: Escalation, holidays: set[date], now: datetime | None = None) -> Clock:
    now = now or utcnow()
    on_time = (escalation.responded_at <= escalation.respond_by) if escalation.responded_at else None
    if escalation.status == EscalationStatus.CLOSED:
        return Clock("closed", on_time=on_time)
    if escalation.responded_at is not None:
        return Clock("responded", on_time=on_time)
    if now < escalation.respond_by:
        left = working_hours_between(now, escalation.respond_by, holidays)
        if left > 0:
            return Clock("open", hours_left=round(left, 1))
    late = working_hours_between(escalation.respond_by, now, holidays)
    return Clock("overdue", overdue_hours=max(1, math.ceil(late - 1e-9)))


# --- raising ------------------------------------------------------------------------------

def raise_escalation(student: Student, year: SchoolYear, *, kind: ConcernKind, description: str, by: User,
                     note_id: int | None = None, now: datetime | None = None) -> Escalation:
    """Record a serious concern; the response is due `year.escalation_response_hours` working
    hours from now (weekends and the school's holidays do not count). The deadline is stored."""
    now = now or utcnow()
    hours = year.escalation_response_hours
    escalation = Escalation(school_id=student.school_id, school_year_id=year.id, student_id=student.id,
                            note_id=note_id, raised_by_id=by.id, raised_at=now, kind=ConcernKind(kind),
                            description=description.strip(), response_hours=hours,
                            respond_by=add_working_hours(now, hours, holidays_of(student.school_id)),
                            status=EscalationStatus.OPEN)
    db.session.add(escalation)
    db.session.flush()
    audit.record("escalation_raised", escalation, student_id=student.id, kind=escalation.kind.value,
                 note_id=note_id)
    return escalation


def responders(school: School) -> list[User]:
    """Who is told of a new escalation: active leadership and the focal point (one query)."""
    wanted = User.id.in_(select(UserRole.user_id).where(UserRole.role == Role.LEADER))
    if school.social_work_focal_id:
        wanted = wanted | (User.id == school.social_work_focal_id)
    stmt = select(User).where(User.school_id == school.id, User.active.is_(True), wanted)
    return list(db.session.scalars(stmt.order_by(User.sort_key)))


def alert_message(escalation: Escalation, school: School) -> tuple[str, str]:
    """Subject and body of the alert (in Vietnamese, the school's language). No description,
    no student name, no circumstances: only that a concern was raised and the deadline."""
    link = current_app.config["PUBLIC_URL"].rstrip("/") + url_for(
        "escalations.detail", escalation_id=escalation.id)
    deadline = format_datetime(escalation.respond_by)
    with force_locale("vi"):
        subject = _("Vụ việc nghiêm trọng cần phản hồi trước %(d)s", d=deadline)
        body = _("Một vụ việc nghiêm trọng về một học sinh của %(school)s vừa được báo cáo.\n"
                 "Ban giám hiệu và đầu mối công tác xã hội cần phản hồi trước %(d)s "
                 "(%(h)d giờ làm việc).\n\n"
                 "Xem và phản hồi (cần đăng nhập): %(link)s\n\n"
                 "Thư này không chứa nội dung vụ việc; nội dung chỉ xem được trong ứng dụng.",
                 school=school.name, d=deadline, h=escalation.response_hours, link=link)
    return subject, body


def notify_raised(escalation: Escalation) -> bool | None:
    """E-mail leadership and the focal point (after the commit). None: e-mail is not configured
    or nobody has an address; False: sending failed (logged); True: sent."""
    if not mail_configured():
        return None
    school = db.session.get(School, escalation.school_id)
    recipients = [u.email for u in responders(school) if u.email]
    if not recipients:
        return None
    subject, body = alert_message(escalation, school)
    try:
        send_mail(recipients, subject, body)
    except MailError as err:
        log.warning("escalation %s: alert e-mail failed: %s", escalation.id, err)
        return False
    return True


# --- following up -------------------------------------------------------------------------

def _respond(escalation: Escalation, by: User, now: datetime) -> bool:
    """A responder's first action stops the clock. Returns whether this was the first response."""
    if escalation.responded_at is not None or not is_escalation_responder(by):
        return False
    escalation.responded_at, escalation.responded_by_id = now, by.id
    if escalation.status == EscalationStatus.OPEN:
        escalation.status = EscalationStatus.RESPONDING
    return True


def _not_closed(escalation: Escalation) -> None:
    if escalation.status == EscalationStatus.CLOSED:
        raise RuleError(_("Vụ việc đã kết thúc; không thêm được nữa."))


def add_update(escalation: Escalation, text: str, *, by: User, now: datetime | None = None) -> EscalationUpdate:
    """Add what was done. The first update by leadership or the focal point is the response
    (responded_at, status RESPONDING); updates by the raiser or the mentor do not stop the clock.

    :raises RuleError: the escalation is closed.
    """
    _not_closed(escalation)
    now = now or utcnow()
    update = EscalationUpdate(escalation_id=escalation.id, author_id=by.id, at=now, text=text.strip())
    db.session.add(update)
    first = _respond(escalation, by, now)
    db.session.flush()
    audit.record("escalation_updated", escalation, update_id=update.id, first_response=first)
    return update


def refer(escalation: Escalation, service: ReferralService, *, referred_on: date, note: str | None,
          by: User, now: datetime | None = None) -> Referral:
    """Refer the escalation to an active service of the directory (a response too, if it is the first).

    :raises RuleError: closed escalation, an inactive or foreign service, a date in the future.
    """
    _not_closed(escalation)
    if service.school_id != escalation.school_id or not service.active:
        raise RuleError(_("Chọn một đơn vị đang hoạt động trong danh bạ chuyển gửi."))
    if referred_on > local_today():
        raise RuleError(_("Ngày chuyển gửi không thể ở tương lai."))
    referral = Referral(escalation_id=escalation.id, service_id=service.id, referred_on=referred_on,
                        referred_by_id=by.id, note=(note or "").strip() or None, status=ReferralStatus.SENT)
    db.session.add(referral)
    first = _respond(escalation, by, now or utcnow())
    db.session.flush()
    audit.record("escalation_referred", escalation, referral_id=referral.id, service_id=service.id,
                 first_response=first)
    return referral


def record_outcome(referral: Referral, *, status: ReferralStatus, outcome: str, outcome_on: date,
                   by: User) -> None:
    """What came of a referral (accepted, completed with a result, declined).

    :raises RuleError: a date in the future or before the referral.
    """
    if outcome_on > local_today():
        raise RuleError(_("Ngày có kết quả không thể ở tương lai."))
    if outcome_on < referral.referred_on:
        raise RuleError(_("Ngày có kết quả không thể trước ngày chuyển gửi."))
    referral.status, referral.outcome, referral.outcome_on = ReferralStatus(status), outcome.strip(), outcome_on
    audit.record("referral_outcome", referral.escalation, referral_id=referral.id, status=referral.status.value)


def close(escalation: Escalation, outcome: str, *, by: User, now: datetime | None = None) -> None:
    """Close with the outcome (kept and visible, never deleted).

    :raises RuleError: already closed, or no outcome.
    """
    _not_closed(escalation)
    outcome = (outcome or "").strip()
    if not outcome:
        raise RuleError(_("Ghi kết quả xử lý trước khi kết thúc vụ việc."))
    now = now or utcnow()
    _respond(escalation, by, now)
    escalation.status, escalation.closed_at, escalation.closed_by_id = EscalationStatus.CLOSED, now, by.id
    escalation.outcome = outcome
    audit.record("escalation_closed", escalation)


# --- reading ------------------------------------------------------------------------------

_STATUS_ORDER = case((Escalation.status == EscalationStatus.OPEN, 0),
                     (Escalation.status == EscalationStatus.RESPONDING, 1), else_=2)


def _class_names(year: SchoolYear, student_ids) -> dict[int, str]:
    if not student_ids:
        return {}
    rows = db.session.execute(select(Enrollment.student_id, ClassGroup.name)
                              .join(ClassGroup, ClassGroup.id == Enrollment.class_group_id)
                              .where(Enrollment.school_year_id == year.id, Enrollment.student_id.in_(student_ids)))
    return dict(rows.all())


def list_for(user: User, year: SchoolYear, now: datetime | None = None) -> list[tuple[Escalation, Clock, str]]:
    """The escalations of `year` the user may see, open first (soonest deadline first), each with
    its clock and the student's class. A bounded number of queries whatever the count."""
    stmt = (visible_escalations(user, year)
            .options(selectinload(Escalation.student), selectinload(Escalation.raised_by))
            .order_by(_STATUS_ORDER, Escalation.respond_by, Escalation.id))
    rows = list(db.session.scalars(stmt))
    holidays = holidays_of(user.school_id) if rows else set()
    classes = _class_names(year, {e.student_id for e in rows})
    return [(e, clock(e, holidays, now), classes.get(e.student_id, "")) for e in rows]


def open_for(user: User, year: SchoolYear | None, now: datetime | None = None) -> list[tuple[Escalation, Clock]]:
    """Escalations nobody has answered yet, for the home-page banner of leadership and the focal
    point (others get none). Two queries: the escalations with their students, the holidays."""
    if year is None or not is_escalation_responder(user):
        return []
    rows = list(db.session.scalars(
        visible_escalations(user, year).where(Escalation.status == EscalationStatus.OPEN)
        .options(joinedload(Escalation.student)).order_by(Escalation.respond_by)))
    holidays = holidays_of(user.school_id) if rows else set()
    return [(e, clock(e, holidays, now)) for e in rows]


def load_detail(escalation: Escalation) -> Escalation:
    """The escalation with its timeline and referrals loaded (the template does not query)."""
    return db.session.scalars(
        select(Escalation).where(Escalation.id == escalation.id).execution_options(populate_existing=True)
        .options(selectinload(Escalation.student), selectinload(Escalation.raised_by),
                 selectinload(Escalation.responded_by), selectinload(Escalation.closed_by),
                 selectinload(Escalation.school_year),
                 selectinload(Escalation.updates).selectinload(EscalationUpdate.author),
                 selectinload(Escalation.referrals).selectinload(Referral.service),
                 selectinload(Escalation.referrals).selectinload(Referral.referred_by))).one()


# --- the directory of referral services ------------------------------------------------------

DEFAULT_SERVICES = (
    # Real, nationwide: the child-protection hotline. Local services (the commune People's
    # Committee, the Women's Union, the health station) are added by the school with real names.
    {"kind": ServiceKind.HOTLINE, "name": "Tổng đài quốc gia bảo vệ trẻ em 111", "phone": "111"},
)

SERVICE_FIELDS = ("kind", "name", "phone", "address", "contact_person")


def directory(school_id: int, *, active_only: bool = False) -> list[ReferralService]:
    stmt = select(ReferralService).where(ReferralService.school_id == school_id)
    if active_only:
        stmt = stmt.where(ReferralService.active.is_(True))
    return list(db.session.scalars(stmt.order_by(ReferralService.active.desc(), ReferralService.kind,
                                                 ReferralService.name)))


def save_service(service: ReferralService | None, school_id: int, data: dict) -> ReferralService:
    if service is None:
        service = ReferralService(school_id=school_id, active=True)
        db.session.add(service)
    for key in SERVICE_FIELDS:
        setattr(service, key, data.get(key) or None)
    service.kind = ServiceKind(data["kind"])
    db.session.flush()
    audit.record("referral_service_saved", service, name=service.name)
    return service


def set_service_active(service: ReferralService, active: bool) -> None:
    """Deactivate (no longer offered for new referrals; past referrals keep it) or reactivate."""
    if service.active == active:
        return  # already so: nothing changes, nothing to record (a double click, a stale page)
    service.active = active
    audit.record("referral_service_activated" if active else "referral_service_deactivated", service)


def add_default_services(school_id: int) -> int:
    """Add the nationwide services the school does not have yet; returns how many were added."""
    have = {s.name for s in directory(school_id)}
    added = 0
    for data in DEFAULT_SERVICES:
        if data["name"] not in have:
            db.session.add(ReferralService(school_id=school_id, active=True, **data))
            added += 1
    db.session.flush()
    if added:
        audit.record("referral_services_defaults", school_id=school_id, added=added)
    return added


# --- holidays ------------------------------------------------------------------------------

def holidays(school_id: int) -> list[Holiday]:
    return list(db.session.scalars(select(Holiday).where(Holiday.school_id == school_id).order_by(Holiday.day)))


def add_holiday(school_id: int, day: date, name: str) -> Holiday:
    """:raises RuleError: the day is already a holiday."""
    if db.session.scalar(select(Holiday.id).where(Holiday.school_id == school_id, Holiday.day == day)):
        raise RuleError(_("Ngày này đã có trong danh sách ngày nghỉ."))
    holiday = Holiday(school_id=school_id, day=day, name=name.strip())
    db.session.add(holiday)
    db.session.flush()
    audit.record("holiday_added", holiday, day=day.isoformat())
    return holiday


def remove_holiday(holiday: Holiday) -> None:
    """A setting, not something a user wrote about a student: removing it is fine."""
    audit.record("holiday_removed", holiday, day=holiday.day.isoformat())
    db.session.delete(holiday)


def national_holidays(year: int) -> list[tuple[date, str]]:
    """Vietnam's fixed-date public holidays of a calendar year (Labour Code 2019, art. 112).
    Tết Nguyên đán and the Hùng Kings' day follow the lunar calendar, and the extra day around
    2/9 changes: the school adds those itself."""
    return [(date(year, 1, 1), "Tết Dương lịch"),
            (date(year, 4, 30), "Ngày Chiến thắng (30/4)"),
            (date(year, 5, 1), "Ngày Quốc tế Lao động (1/5)"),
            (date(year, 9, 2), "Quốc khánh (2/9)")]


def add_national_holidays(school_id: int, year: int) -> int:
    """Add the fixed public holidays of `year` the school does not have yet; returns how many."""
    have = holidays_of(school_id)
    added = 0
    for day, name in national_holidays(year):
        if day not in have:
            db.session.add(Holiday(school_id=school_id, day=day, name=name))
            added += 1
    db.session.flush()
    audit.record("holidays_national_added", school_id=school_id, year=year, added=added)
    return added
