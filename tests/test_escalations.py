"""Escalations of serious concerns: raised by a mentor, the homeroom teacher or leadership;
answered by leadership and the social-work focal point within working hours; referred to outside
services; closed with an outcome. Narratives stay with those who follow the case."""

import email
import socket
from datetime import UTC, date, datetime, timedelta
from email import policy

import pytest
from aiosmtpd.controller import Controller

from sponsor_app.escalations import services
from sponsor_app.models import (
    AuditLog,
    ConcernKind,
    Escalation,
    EscalationStatus,
    Holiday,
    Referral,
    ReferralService,
    ReferralStatus,
    ServiceKind,
)
from sponsor_app.timeutil import SCHOOL_TZ, format_date, local_today, utcnow
from tests.conftest import count_statements
from tests.factories import make_student, make_user

SECRET = "Em kể bị cha đánh nhiều lần, vết bầm ở tay"
FRIDAY_4PM = datetime(2026, 12, 4, 16, 0, tzinfo=SCHOOL_TZ)  # a Friday; Monday 7/12 is made a holiday


def _raise(client, student, description=SECRET, kind="abuse", **kw):
    return client.post(f"/escalations/students/{student.id}/new", data={"kind": kind, "description": description},
                       **kw)


def _latest(db):
    db.session.expire_all()
    return db.session.query(Escalation).order_by(Escalation.id.desc()).first()


def _make_focal(world, db, user=None):
    user = user or world.homeroom
    world.school.social_work_focal_id = user.id
    db.session.commit()
    return user


@pytest.fixture
def frozen_now(monkeypatch):
    """The escalation services' clock, fixed at Friday 4/12/2026 16:00 Vietnam time."""
    monkeypatch.setattr(services, "utcnow", lambda: FRIDAY_4PM.astimezone(UTC))
    return FRIDAY_4PM


# --- raising and the deadline ---------------------------------------------------------------

def test_deadline_counts_working_hours_across_a_weekend_and_a_holiday(teacher_client, mentoring, db, frozen_now):
    db.session.add(Holiday(school_id=mentoring.school.id, day=date(2026, 12, 7), name="Nghỉ bù"))
    db.session.commit()
    response = _raise(teacher_client, mentoring.mentee)
    assert response.status_code == 302
    escalation = _latest(db)
    # Friday 16:00–17:00 = 1 h; Saturday, Sunday and the Monday holiday do not count;
    # Tuesday 07:00–11:30 = 4.5 h, 13:30–16:00 = 2.5 h: 8 working hours end on Tuesday 8/12 at 16:00.
    assert escalation.respond_by == datetime(2026, 12, 8, 16, 0, tzinfo=SCHOOL_TZ)
    assert escalation.response_hours == 8 and escalation.status == EscalationStatus.OPEN
    assert escalation.raised_by_id == mentoring.teacher.id and escalation.kind == ConcernKind.ABUSE
    assert escalation.raised_at == FRIDAY_4PM and escalation.school_year_id == mentoring.year.id
    assert db.session.query(AuditLog).filter_by(action="escalation_raised", object_id=escalation.id).count() == 1
    page = teacher_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "08/12/2026 16:00" in page and SECRET in page


def test_the_years_setting_gives_the_hours(teacher_client, mentoring, db, frozen_now):
    mentoring.year.escalation_response_hours = 4
    db.session.commit()
    _raise(teacher_client, mentoring.mentee)
    escalation = _latest(db)
    # Friday 1 h, then Monday 07:00 + 3 h
    assert escalation.response_hours == 4
    assert escalation.respond_by == datetime(2026, 12, 7, 10, 0, tzinfo=SCHOOL_TZ)


def test_the_clock_shows_hours_left_or_overdue():
    escalation = Escalation(status=EscalationStatus.OPEN, respond_by=datetime(2026, 12, 8, 16, 0, tzinfo=SCHOOL_TZ))
    holiday = {date(2026, 12, 7)}
    friday = datetime(2026, 12, 4, 16, 30, tzinfo=SCHOOL_TZ)
    assert services.clock(escalation, holiday, friday) == services.Clock("open", hours_left=7.5)
    wednesday = datetime(2026, 12, 9, 8, 0, tzinfo=SCHOOL_TZ)  # Tuesday 16–17 and Wednesday 7–8
    assert services.clock(escalation, holiday, wednesday) == services.Clock("overdue", overdue_hours=2)
    escalation.responded_at = datetime(2026, 12, 8, 9, 0, tzinfo=SCHOOL_TZ)
    assert services.clock(escalation, holiday, wednesday) == services.Clock("responded", on_time=True)


def test_bad_input_keeps_what_was_typed(teacher_client, mentoring, db):
    url = f"/escalations/students/{mentoring.mentee.id}/new"
    blank = teacher_client.post(url, data={"kind": "crisis", "description": "  "})
    assert blank.status_code == 200 and "Mô tả sự việc: điều gì xảy ra" in blank.get_data(as_text=True)
    assert 'selected value="crisis"' in blank.get_data(as_text=True)
    wrong = teacher_client.post(url, data={"kind": "nonsense", "description": "Em khóc cả buổi"})
    assert wrong.status_code == 200 and "Em khóc cả buổi" in wrong.get_data(as_text=True)
    assert db.session.query(Escalation).filter_by(student_id=mentoring.mentee.id).count() == 1  # the fixture's


def test_who_may_raise(app, mentoring, db, client_for):
    union = client_for("union")  # supporting mentor of the mentee
    record = union.get(f"/roster/students/{mentoring.mentee.id}").get_data(as_text=True)
    assert f"/escalations/students/{mentoring.mentee.id}/new" in record  # the button on the student record
    assert "/escalations/students/" not in client_for("depthead").get(
        f"/roster/students/{mentoring.mentee.id}").get_data(as_text=True)
    assert _raise(union, mentoring.mentee).status_code == 302
    homeroom = client_for("homeroom")
    assert homeroom.get(f"/escalations/students/{mentoring.own_student.id}/new").status_code == 200
    assert _raise(homeroom, mentoring.mentee).status_code == 403
    assert _raise(client_for("depthead"), mentoring.mentee).status_code == 403
    assert _raise(client_for("leader"), mentoring.other_student).status_code == 302
    mentoring.main_assignment.ended_on = local_today()  # a mentoring that ended gives no right
    db.session.commit()
    assert _raise(client_for("teacher"), mentoring.mentee).status_code == 403


def test_raised_from_a_monthly_note(teacher_client, mentoring, db):
    note = mentoring.note  # the world's draft note of the mentee
    other = make_student(mentoring.other_class, "Rơ Chăm Hiếu")
    db.session.add(note)
    db.session.commit()
    url = f"/escalations/students/{mentoring.mentee.id}/new?note_id={note.id}"
    assert f"note_id={note.id}" in teacher_client.get(url).get_data(as_text=True)  # kept in the form's action
    teacher_client.post(url, data={"kind": "dropout", "description": "Em nói sẽ nghỉ học"})
    assert _latest(db).note_id == note.id
    assert teacher_client.get(f"/escalations/students/{other.id}/new?note_id={note.id}").status_code == 403
    assert teacher_client.get(f"/escalations/students/{mentoring.mentee.id}/new?note_id=999999").status_code == 404


# --- who sees what --------------------------------------------------------------------------

def test_union_and_department_head_never_see_the_narrative(app, mentoring, db, client_for):
    teacher = client_for("teacher")
    _raise(teacher, mentoring.mentee)
    escalation = _latest(db)
    for username in ("union", "depthead", "admin"):
        client = client_for(username)
        pages = [client.get("/escalations/").get_data(as_text=True)]
        assert "Ksor Hen" not in pages[0] and "Chưa có vụ việc nào" in pages[0], username
        for role in ("union", "dept_head", "teacher", "admin"):
            response = client.get(f"/home/{role}")
            if response.status_code == 200:
                pages.append(response.get_data(as_text=True))
        for page in pages:  # (the union, a supporting mentor, does see the mentee's name on its own page)
            assert SECRET not in page and "Bị xâm hại" not in page, username
            assert f"/escalations/{escalation.id}" not in page, username
        assert client.get(f"/escalations/{escalation.id}").status_code == 403, username
    leader_list = client_for("leader").get("/escalations/").get_data(as_text=True)
    assert "Ksor Hen" in leader_list and SECRET not in leader_list  # the list has no narratives
    assert SECRET in teacher.get(f"/escalations/{escalation.id}").get_data(as_text=True)


def test_a_mentor_sees_own_and_main_mentees_only(app, mentoring, db, client_for):
    _raise(client_for("leader"), mentoring.own_student, description="Em bị bạn đánh hội đồng")
    _raise(client_for("union"), mentoring.mentee, description="Em có ý định tự tử")
    by_union = _latest(db)
    teacher_list = client_for("teacher").get("/escalations/").get_data(as_text=True)
    assert "Ksor Hen" in teacher_list and "Hoàng Bảo Thảo" not in teacher_list  # main mentor, not the homeroom's
    union_list = client_for("union").get("/escalations/").get_data(as_text=True)
    assert union_list.count("Ksor Hen") == 1  # the one they raised, not the main mentor's
    assert client_for("union").get(f"/escalations/{by_union.id}").status_code == 200
    assert client_for("union").get(f"/escalations/{mentoring.escalation.id}").status_code == 403
    homeroom_list = client_for("homeroom").get("/escalations/").get_data(as_text=True)
    assert "Hoàng Bảo Thảo" not in homeroom_list  # the homeroom teacher may raise, not read leadership's


def test_the_focal_point_sees_all_and_responds(app, mentoring, db, client_for):
    focal = client_for("homeroom")
    assert focal.get(f"/escalations/{mentoring.escalation.id}").status_code == 403
    _make_focal(mentoring, db)
    assert "Ksor Hen" in focal.get("/escalations/").get_data(as_text=True)
    assert mentoring.escalation.description in focal.get(f"/escalations/{mentoring.escalation.id}").get_data(
        as_text=True)
    banner = focal.get("/home/teacher").get_data(as_text=True)
    assert "Vụ việc nghiêm trọng chờ phản hồi" in banner and f"/escalations/{mentoring.escalation.id}" in banner
    assert "Vụ việc nghiêm trọng chờ phản hồi" not in client_for("teacher").get("/home/teacher").get_data(as_text=True)


def test_leader_home_banner_with_the_clock(leader_client, mentoring, db):
    mentoring.escalation.respond_by = utcnow() - timedelta(days=7)
    later = Escalation(school_id=mentoring.school.id, school_year_id=mentoring.year.id,
                       student_id=mentoring.own_student.id, raised_by_id=mentoring.homeroom.id,
                       kind=ConcernKind.VIOLENCE, description="Em bị đánh ở cổng trường", response_hours=8,
                       respond_by=utcnow() + timedelta(days=30))
    db.session.add(later)
    db.session.commit()
    page = leader_client.get("/home/leader").get_data(as_text=True)
    assert "quá hạn" in page and "giờ làm việc" in page and "còn " in page
    assert page.index("Ksor Hen") < page.index("Hoàng Bảo Thảo")  # soonest deadline first
    assert "Em bị đánh ở cổng trường" not in page and mentoring.escalation.description not in page  # no narratives


def test_list_puts_open_first_with_a_bounded_number_of_queries(leader_client, mentoring, db, app):
    mentoring.escalation.status = EscalationStatus.CLOSED
    mentoring.escalation.outcome = "Đã họp gia đình"
    db.session.commit()

    def queries():
        with count_statements() as counted:
            page = leader_client.get("/escalations/").get_data(as_text=True)
        return counted.n, page

    few, _page = queries()
    for i in range(25):
        student = make_student(mentoring.other_class if i % 2 else mentoring.own_class)
        db.session.add(Escalation(school_id=mentoring.school.id, school_year_id=mentoring.year.id,
                                  student_id=student.id, raised_by_id=make_user(mentoring.school).id,
                                  kind=ConcernKind.OTHER, description="d", response_hours=8,
                                  respond_by=utcnow() + timedelta(days=i - 12)))
    db.session.commit()
    many, page = queries()
    assert many == few
    assert page.index("quá hạn") < page.index("Đã kết thúc")  # closed ones stay, at the end
    assert "còn " in page


# --- responding, referring, closing ------------------------------------------------------------

def test_the_clock_stops_at_the_first_response_of_a_responder(app, mentoring, db, client_for):
    url = f"/escalations/{mentoring.escalation.id}/updates"
    assert client_for("teacher").post(url, data={"text": "Đã gọi điện cho mẹ em"}).status_code == 302
    escalation = db.session.get(Escalation, mentoring.escalation.id)
    db.session.refresh(escalation)
    assert escalation.responded_at is None and escalation.status == EscalationStatus.OPEN  # the raiser's update
    _make_focal(mentoring, db)
    mentoring.escalation.respond_by = utcnow() + timedelta(days=3)
    db.session.commit()
    client_for("homeroom").post(url, data={"text": "Đã gặp em, em an toàn ở nhà bà"})
    db.session.refresh(escalation)
    assert escalation.status == EscalationStatus.RESPONDING and escalation.responded_by_id == mentoring.homeroom.id
    first = escalation.responded_at
    client_for("leader").post(url, data={"text": "BGH nắm tình hình"})
    db.session.refresh(escalation)
    assert escalation.responded_at == first and escalation.responded_by_id == mentoring.homeroom.id
    assert len(escalation.updates) == 3
    page = client_for("leader").get(f"/escalations/{escalation.id}").get_data(as_text=True)
    assert "Đã phản hồi trong hạn" in page and "Đã gọi điện cho mẹ em" in page
    assert client_for("union").post(url, data={"text": "x"}).status_code == 403


def test_a_late_response_is_shown_late(leader_client, mentoring, db):
    mentoring.escalation.respond_by = utcnow() - timedelta(days=5)
    db.session.commit()
    leader_client.post(f"/escalations/{mentoring.escalation.id}/updates", data={"text": "Đã xử lý"})
    assert "Phản hồi muộn" in leader_client.get(f"/escalations/{mentoring.escalation.id}").get_data(as_text=True)


def test_referral_and_its_outcome(leader_client, mentoring, db):
    commune = ReferralService(school_id=mentoring.school.id, kind=ServiceKind.COMMUNE, name="UBND xã Ea Lang")
    db.session.add(commune)
    db.session.commit()
    url = f"/escalations/{mentoring.escalation.id}/referrals"
    today = format_date(local_today())
    future = leader_client.post(url, data={"service_id": commune.id, "note": "Gửi cán bộ tư pháp",
                                           "referred_on": format_date(local_today() + timedelta(days=3))})
    assert future.status_code == 200 and "tương lai" in future.get_data(as_text=True)
    assert "Gửi cán bộ tư pháp" in future.get_data(as_text=True)
    leader_client.post(url, data={"service_id": commune.id, "referred_on": today, "note": "Gửi cán bộ tư pháp"})
    referral = db.session.query(Referral).filter_by(service_id=commune.id).one()
    assert referral.status == ReferralStatus.SENT and referral.note == "Gửi cán bộ tư pháp"
    assert referral.referred_by_id == mentoring.leader.id
    db.session.refresh(mentoring.escalation)
    assert mentoring.escalation.responded_at is not None  # a referral by leadership is a response

    prefix = f"r{referral.id}-"
    outcome_url = f"/escalations/referrals/{referral.id}/outcome"
    blank = leader_client.post(outcome_url, data={prefix + "status": "completed", prefix + "outcome_on": today})
    assert blank.status_code == 200 and "Ghi kết quả, phản hồi của đơn vị" in blank.get_data(as_text=True)
    leader_client.post(outcome_url, data={prefix + "status": "completed", prefix + "outcome": "Xã đã hỗ trợ gạo",
                                          prefix + "outcome_on": today})
    db.session.refresh(referral)
    assert referral.status == ReferralStatus.COMPLETED and referral.outcome == "Xã đã hỗ trợ gạo"
    assert referral.outcome_on == local_today()
    assert "Xã đã hỗ trợ gạo" in leader_client.get(f"/escalations/{mentoring.escalation.id}").get_data(as_text=True)

    commune.active = False
    db.session.commit()
    inactive = leader_client.post(url, data={"service_id": commune.id, "referred_on": today})
    assert inactive.status_code == 200 and "đang hoạt động" in inactive.get_data(as_text=True)
    assert "UBND xã Ea Lang</option>" not in inactive.get_data(as_text=True)


def test_close_needs_an_outcome_and_stays_visible(leader_client, teacher_client, mentoring, db):
    url = f"/escalations/{mentoring.escalation.id}/close"
    version = mentoring.escalation.version
    blank = leader_client.post(url, data={"outcome": " ", "version": version})
    assert blank.status_code == 200 and "Ghi kết quả xử lý trước khi kết thúc" in blank.get_data(as_text=True)
    db.session.refresh(mentoring.escalation)
    assert mentoring.escalation.status == EscalationStatus.OPEN
    leader_client.post(url, data={"outcome": "Gia đình cam kết cho em đi học lại", "version": version})
    db.session.refresh(mentoring.escalation)
    assert mentoring.escalation.status == EscalationStatus.CLOSED
    assert mentoring.escalation.closed_by_id == mentoring.leader.id and mentoring.escalation.responded_at
    assert "Đã kết thúc" in leader_client.get("/escalations/").get_data(as_text=True)
    page = teacher_client.get(f"/escalations/{mentoring.escalation.id}").get_data(as_text=True)
    assert "Gia đình cam kết cho em đi học lại" in page
    assert teacher_client.post(f"/escalations/{mentoring.escalation.id}/updates",
                               data={"text": "Thêm"}).status_code == 403


def test_a_conflicting_change_is_reported_not_overwritten(app, mentoring, db, client_for):
    leader = client_for("leader")
    opened = leader.get(f"/escalations/{mentoring.escalation.id}").get_data(as_text=True)
    version = opened.split('name="version" type="hidden" value="')[1].split('"')[0]
    _make_focal(mentoring, db)
    client_for("homeroom").post(f"/escalations/{mentoring.escalation.id}/updates", data={"text": "Đã gặp em"})
    url = f"/escalations/{mentoring.escalation.id}/close"
    conflict = leader.post(url, data={"outcome": "Đã họp với gia đình", "version": version})
    page = conflict.get_data(as_text=True)
    assert conflict.status_code == 200 and "vừa được người khác sửa" in page
    assert "Đã họp với gia đình" in page and "Đã gặp em" in page  # the typed outcome and the new update
    db.session.refresh(mentoring.escalation)
    assert mentoring.escalation.status == EscalationStatus.RESPONDING
    new_version = page.split('name="version" type="hidden" value="')[1].split('"')[0]
    assert new_version != version
    leader.post(url, data={"outcome": "Đã họp với gia đình", "version": new_version})
    db.session.refresh(mentoring.escalation)
    assert mentoring.escalation.status == EscalationStatus.CLOSED


def test_every_view_is_audited_once(app, mentoring, db, client_for):
    client_for("leader").get(f"/escalations/{mentoring.escalation.id}")
    entries = db.session.query(AuditLog).filter_by(action="escalation_viewed",
                                                   object_id=mentoring.escalation.id).all()
    assert [e.user_id for e in entries] == [mentoring.leader.id] and entries[0].object_type == "Escalation"
    client_for("teacher").get(f"/escalations/{mentoring.escalation.id}")
    client_for("union").get(f"/escalations/{mentoring.escalation.id}")  # refused: not a view
    assert db.session.query(AuditLog).filter_by(action="escalation_viewed").count() == 2
    client_for("teacher").post(f"/escalations/{mentoring.escalation.id}/updates", data={"text": ""})  # shown again
    assert db.session.query(AuditLog).filter_by(action="escalation_viewed").count() == 3


# --- e-mail ---------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Inbox:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 — aiosmtpd's hook name
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp(app):
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_FROM="dodau@truong.edu.vn")
    yield inbox
    controller.stop()


def test_alert_mail_to_leadership_and_focal_point_without_the_narrative(app, mentoring, db, smtp, client_for,
                                                                        frozen_now):
    mentoring.leader.email = "hieutruong@truong.edu.vn"
    mentoring.homeroom.email = "ctxh@truong.edu.vn"
    mentoring.teacher.email = "gv@truong.edu.vn"
    make_user(mentoring.school, "leader", active=False).email = "nghiviec@truong.edu.vn"
    _make_focal(mentoring, db)
    response = _raise(client_for("teacher"), mentoring.mentee, follow_redirects=True)
    assert response.status_code == 200 and "chưa gửi được" not in response.get_data(as_text=True)
    escalation = _latest(db)
    assert len(smtp.envelopes) == 1
    envelope = smtp.envelopes[0]
    assert sorted(envelope.rcpt_tos) == ["ctxh@truong.edu.vn", "hieutruong@truong.edu.vn"]
    message = email.message_from_bytes(envelope.content, policy=policy.default)
    body = message.get_content()
    assert "07/12/2026 16:00" in message["Subject"] and "07/12/2026 16:00" in body  # no holiday here
    assert f"http://127.0.0.1:5000/escalations/{escalation.id}" in body
    for secret in (SECRET, "Ksor Hen", "xâm hại", "bạo hành"):
        assert secret not in body and secret not in message["Subject"]


def test_a_mail_failure_keeps_the_escalation_and_warns(app, teacher_client, mentoring, db):
    mentoring.leader.email = "hieutruong@truong.edu.vn"
    db.session.commit()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=_free_port(), MAIL_TIMEOUT=2)  # nothing listens there
    response = _raise(teacher_client, mentoring.mentee, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "chưa gửi được thư báo" in page and SECRET in page
    assert _latest(db).description == SECRET


# --- directory, holidays, settings ------------------------------------------------------------

def test_directory_offers_the_hotline_and_invents_nothing(leader_client, world, db):
    page = leader_client.get("/escalations/services").get_data(as_text=True)
    assert "Thêm Tổng đài quốc gia bảo vệ trẻ em 111" in page
    leader_client.post("/escalations/services/defaults")
    leader_client.post("/escalations/services/defaults")
    rows = db.session.query(ReferralService).filter_by(school_id=world.school.id).all()
    assert [(s.kind, s.name, s.phone) for s in rows] == [
        (ServiceKind.HOTLINE, "Tổng đài quốc gia bảo vệ trẻ em 111", "111")]
    blank = leader_client.post("/escalations/services/new", data={"kind": "commune", "name": "", "phone": "0262"})
    assert blank.status_code == 200 and "Ghi tên đơn vị" in blank.get_data(as_text=True)
    assert 'value="0262"' in blank.get_data(as_text=True)
    leader_client.post("/escalations/services/new", data={"kind": "womens_union", "name": "Hội LHPN xã Ea Lang",
                                                          "phone": "0262 3 123 456"})
    union = db.session.query(ReferralService).filter_by(name="Hội LHPN xã Ea Lang").one()
    assert union.kind == ServiceKind.WOMENS_UNION and union.active
    leader_client.post(f"/escalations/services/{union.id}/edit", data={"kind": "womens_union",
                                                                       "name": "Hội LHPN xã Ea Lang",
                                                                       "contact_person": "Chị H'Luyến"})
    leader_client.post(f"/escalations/services/{union.id}/deactivate")
    db.session.refresh(union)
    assert union.contact_person == "Chị H'Luyến" and union.active is False
    leader_client.post(f"/escalations/services/{union.id}/reactivate")
    db.session.refresh(union)
    assert union.active is True


def test_holidays_and_the_fixed_public_holidays(admin_client, world, db):
    admin_client.post("/escalations/holidays", data={"day": "16/02/2027", "name": "Tết Nguyên đán"})
    again = admin_client.post("/escalations/holidays", data={"day": "16/02/2027", "name": "Tết"})
    assert again.status_code == 200 and "đã có trong danh sách" in again.get_data(as_text=True)
    bad = admin_client.post("/escalations/holidays", data={"day": "31/02/2027", "name": "Ngày lạ"})
    assert "dd/mm/yyyy" in bad.get_data(as_text=True) and 'value="Ngày lạ"' in bad.get_data(as_text=True)
    admin_client.post("/escalations/holidays/national", data={"year": "2027"})
    admin_client.post("/escalations/holidays/national", data={"year": "2027"})
    days = sorted(h.day for h in db.session.query(Holiday).filter_by(school_id=world.school.id))
    assert days == [date(2027, 1, 1), date(2027, 2, 16), date(2027, 4, 30), date(2027, 5, 1), date(2027, 9, 2)]
    tet = db.session.query(Holiday).filter_by(day=date(2027, 2, 16)).one()
    admin_client.post(f"/escalations/holidays/{tet.id}/remove")
    assert db.session.query(Holiday).filter_by(day=date(2027, 2, 16)).count() == 0
    assert "âm lịch" in admin_client.get("/escalations/holidays").get_data(as_text=True)


def test_school_settings_name_the_focal_point(admin_client, world, db):
    form = admin_client.get("/admin/school").get_data(as_text=True)
    assert "Đầu mối công tác xã hội" in form and world.homeroom.full_name in form
    admin_client.post("/admin/school", data={"name": world.school.name, "social_work_focal_id": world.homeroom.id})
    db.session.refresh(world.school)
    assert world.school.social_work_focal_id == world.homeroom.id
    gone = make_user(world.school, active=False)
    db.session.commit()
    refused = admin_client.post("/admin/school", data={"name": world.school.name, "social_work_focal_id": gone.id})
    assert refused.status_code == 200 and "đang làm việc" in refused.get_data(as_text=True)


def _year_form(admin_client, year, **changes):
    from sponsor_app.admin.services import YEAR_FIELDS

    data = {}
    for key in YEAR_FIELDS:
        value = getattr(year, key)
        data[key] = format_date(value) if isinstance(value, date) else value
    data.update(changes)
    return admin_client.post(f"/admin/years/{year.id}/edit", data=data)


def test_year_settings_of_reminders_and_response_hours(admin_client, world, db):
    assert _year_form(admin_client, world.year, reminder_days="24, 18", escalation_response_hours=16).status_code == 302
    db.session.refresh(world.year)
    assert world.year.reminder_days == "18,24" and world.year.escalation_response_hours == 16
    for bad in ("26", "20,x", "0", "25"):
        page = _year_form(admin_client, world.year, reminder_days=bad).get_data(as_text=True)
        assert "Ngày nhắc là các số từ 1 đến 28" in page, bad
    for hours in ("0", "81"):
        page = _year_form(admin_client, world.year, escalation_response_hours=hours).get_data(as_text=True)
        assert "Ghi số giờ từ 1 đến 80" in page, hours
    new_year = admin_client.get("/admin/years/new").get_data(as_text=True)
    assert 'value="20,24"' in new_year and 'value="8"' in new_year


def test_year_settings_of_the_note_lock_and_the_plan_due_days(admin_client, world, db):
    assert _year_form(admin_client, world.year, note_grace_days="0", plan_due_days="21").status_code == 302
    db.session.refresh(world.year)
    assert world.year.note_grace_days == 0 and world.year.plan_due_days == 21
    for field, bad, message in (("note_grace_days", "11", "từ 0 đến 10"), ("note_grace_days", "", "từ 0 đến 10"),
                                ("plan_due_days", "0", "từ 1 đến 60"), ("plan_due_days", "ba", "từ 1 đến 60")):
        page = _year_form(admin_client, world.year, **{field: bad}).get_data(as_text=True)
        assert message in page, (field, bad)
