"""Emulation scoring: the formula on hand-computed cases (default and edited rubrics and bands),
the sheets computed from the casework, scoring, contests, lock snapshots, exports, privacy.

The world: `teacher` (Toán) mentors A and B from 01/10/2026; `homeroom` (Ngữ văn) mentors C,
who drops out on 10/12/2026. Notes:
  October  A on time, signed off, family contact, progress; B late, steady (pending review);
           C on time, signed off, family contact, progress.
  November A on time, decline; B missing; C on time, steady.
  December A and B missing; C's mentoring ended before the due day (not due).
Default rubric: month 20 on time + 10 sign-off + 10 family + 20 rating + 10 manual = 70;
semester 5 pledged + 5 plans + 15 retained + 5 manual = 30.
"""

import io
from datetime import UTC, date, datetime

import openpyxl
import pytest
from sqlalchemy import event, select

from sponsor_app.documents.xlsx import render_xlsx
from sponsor_app.emulation import results, rubric, scoring, services
from sponsor_app.emulation.scoring import MonthInputs, SemesterInputs
from sponsor_app.exceptions import RuleError
from sponsor_app.models import (
    Assignment,
    AuditLog,
    ContactWith,
    CriterionSource,
    Decision,
    Evaluation,
    EvaluationContest,
    MentorRole,
    Metric,
    MonthlyNote,
    NoteContact,
    NoteContactMethod,
    NoteStatus,
    PlanStatus,
    Pledge,
    Rating,
    ReviewStatus,
    SemesterMethod,
    StudentStatus,
    SupportPlan,
)
from sponsor_app.timeutil import local_today

from . import factories as f

OCT, NOV, DEC = date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1)
AFTER_S1 = date(2027, 1, 20)  # semester I ended on 15/01; January's notes are not due yet


# --- the formula, pure ------------------------------------------------------------------------

def test_metric_points_hand_computed():
    m = MonthInputs(due=4, on_time=3, late=1, seen=2, family=1, progress=1, steady=2, decline=1)
    assert scoring.metric_points(Metric.NOTES_ON_TIME, 20, m) == (15.0, 3, 4)
    assert scoring.metric_points(Metric.SIGNOFFS, 10, m) == (5.0, 2, 4)
    assert scoring.metric_points(Metric.FAMILY_CONTACT, 10, m) == (2.5, 1, 4)
    assert scoring.metric_points(Metric.RATING_TREND, 20, m) == (10.0, 2.0, 4)  # (1 + ½ × 2) / 4
    s = SemesterInputs(pledged=True, plans_due=3, plans_on_time=2, mentees=3, retained=2)
    assert scoring.metric_points(Metric.PLEDGED, 5, semester=s)[0] == 5
    assert scoring.metric_points(Metric.PLEDGED, 5, semester=SemesterInputs())[0] == 0
    assert scoring.metric_points(Metric.PLAN_ON_TIME, 6, semester=s)[0] == 4
    assert scoring.metric_points(Metric.RETAINED, 15, semester=s)[0] == 10
    # nothing to count: the full points (no plan due yet, no mentee left after transfers)
    assert scoring.metric_points(Metric.PLAN_ON_TIME, 5, semester=SemesterInputs(pledged=True))[0] == 5
    assert scoring.metric_points(Metric.NOTES_ON_TIME, 20, MonthInputs())[0] == 20


def test_totals_combinations_and_bands():
    assert scoring.sheet_total([10, 5, 2.5], bonus=3, penalty=1) == 19.5
    assert scoring.sheet_total([1], penalty=5) == 0  # never below 0
    assert scoring.month_part([45, 10, 0], SemesterMethod.MEAN) == 18.33
    assert scoring.month_part([45, 10, 0], SemesterMethod.SUM) == 55
    assert scoring.month_part_max(70, 3, SemesterMethod.SUM) == 210
    assert scoring.year_total(80, 95, 1, 2) == 90  # (80 + 2 × 95) / 3
    assert scoring.year_total(80, 95, 1, 1) == 87.5
    assert scoring.year_total(80, None, 1, 2) == 80
    assert scoring.year_total(None, None, 1, 2) is None
    bands = [{"label": b, "min_percent": p} for b, p, _c in rubric.DEFAULT_BANDS]
    assert [scoring.band_for(p, bands)["label"] for p in (95, 90, 89.99, 80, 65, 50, 10)] == [
        "Xuất sắc", "Xuất sắc", "Tốt", "Tốt", "Khá", "Đạt", "Chưa đạt"]
    edited = [{"label": "Hoàn thành tốt", "min_percent": 40}, {"label": "Hoàn thành", "min_percent": 20}]
    assert scoring.band_for(44.83, edited)["label"] == "Hoàn thành tốt"
    assert scoring.band_for(10, edited) is None
    assert scoring.competition_ranks([90, 85, 85, 80]) == [1, 2, 2, 4]


# --- a world with casework ------------------------------------------------------------------------

def _note(world, student, assignment, month, *, on_time=True, rating=Rating.PROGRESS, seen=False, family=False):
    note = MonthlyNote(school_id=world.school.id, school_year_id=world.year.id, student_id=student.id,
                       assignment_id=assignment.id, author_id=assignment.mentor_id, month=month,
                       status=NoteStatus.SUBMITTED, submitted_on_time=on_time, rating=rating,
                       submitted_at=datetime(month.year, month.month, 20 if on_time else 27, 3, tzinfo=UTC),
                       review_status=ReviewStatus.SEEN if seen else ReviewStatus.PENDING)
    if family:
        note.contacts.append(NoteContact(contact_on=month.replace(day=10), with_whom=ContactWith.FAMILY,
                                         method=NoteContactMethod.HOME_VISIT))
    f.db.session.add(note)
    return note


def _mentor(world, mentor, student):
    a = Assignment(school_id=world.school.id, school_year_id=world.year.id, student_id=student.id,
                   mentor_id=mentor.id, role=MentorRole.MAIN, started_on=OCT)
    f.db.session.add(a)
    f.db.session.flush()
    return a


@pytest.fixture
def casework(world, db):
    w = world
    w.a = f.make_student(w.other_class, "Ksor Hen")
    w.b = f.make_student(w.other_class, "Rơ Châm Blin")
    w.c = f.make_student(w.other_class, "Lò Thị Mai")
    for s in (w.a, w.b, w.c):
        screening = f.make_screening(s, w.year, w.leader, poor_household=True)
        screening.decision = Decision.APPROVED
    w.asg_a, w.asg_b = _mentor(w, w.teacher, w.a), _mentor(w, w.teacher, w.b)
    w.asg_c = _mentor(w, w.homeroom, w.c)
    db.session.add(Pledge(school_id=w.school.id, school_year_id=w.year.id, user_id=w.teacher.id, willing=True,
                          pledged_on=date(2026, 11, 10)))
    db.session.add(SupportPlan(school_id=w.school.id, school_year_id=w.year.id, student_id=w.a.id,
                               assignment_id=w.asg_a.id, author_id=w.teacher.id, due_on=date(2026, 10, 15),
                               status=PlanStatus.APPROVED, submitted_on_time=True))
    _note(w, w.a, w.asg_a, OCT, seen=True, family=True)
    _note(w, w.b, w.asg_b, OCT, on_time=False, rating=Rating.STEADY)
    _note(w, w.c, w.asg_c, OCT, seen=True, family=True)
    _note(w, w.a, w.asg_a, NOV, rating=Rating.DECLINE)
    _note(w, w.c, w.asg_c, NOV, rating=Rating.STEADY)
    w.asg_c.ended_on, w.asg_c.end_reason = date(2026, 12, 10), "Học sinh bỏ học"
    w.c.status, w.c.status_date = StudentStatus.DROPPED_OUT, date(2026, 12, 10)
    rubric.ensure_rubric(w.year)
    db.session.commit()
    w.crit = {(c.metric.value if c.metric else f"{c.source.value}-{c.scope.value}"): c
              for c in rubric.criteria_of(w.year)}
    return w


def _row(result, user):
    row = results.row_of(result, user.id)
    assert row is not None, f"{user.full_name} is not on the sheet"
    return row


def _manual(w, key, user, points, scope="month"):
    c = w.crit[f"manual-{scope}"]
    services.save_scores(w.year, key, [{"user_id": user.id, "criterion_id": c.id, "points": points, "comment": None,
                                        "base_points": None, "base_comment": None}], by=w.union, today=AFTER_S1)


def _bonus(w, key, user, points, scope="month"):
    item = next(c for c in rubric.criteria_of(w.year) if c.source == CriterionSource.BONUS and c.scope.value == scope)
    return services.add_adjustment(w.year, key, user.id, item.id, points, "Biên bản trao xe đạp", by=w.union,
                                   today=AFTER_S1)


def test_month_sheet_hand_computed(casework, db):
    w = casework
    _manual(w, "2026-10", w.teacher, 8)
    _bonus(w, "2026-10", w.teacher, 2)
    db.session.commit()
    oct_ = results.month_sheet(w.year, OCT, AFTER_S1)
    t = _row(oct_, w.teacher)
    cells = {c["metric"] or c["source"]: t["cells"][str(c["id"])] for c in oct_["criteria"]}
    assert t["inputs"] == {"due": 2, "on_time": 1, "late": 1, "missing": 0, "seen": 1, "family": 1,
                                "progress": 1, "steady": 1, "decline": 0}
    assert [cells[k]["points"] for k in ("notes_on_time", "signoffs", "family_contact", "rating_trend", "manual")] == [
        10, 5, 5, 15, 8]
    assert (t["bonus"], t["total"], t["max"]) == (2, 45, 70)
    h = _row(oct_, w.homeroom)
    assert (h["total"], h["max"]) == (60, 70)  # everything, no manual score yet
    assert [r["user_id"] for r in oct_["rows"]] == [w.homeroom.id, w.teacher.id]  # ranked: 85,71% before 64,29%
    assert {d["name"]: d["percent"] for d in oct_["departments"]} == {"Ngữ văn": 85.71, "Toán": 64.29}
    nov = results.month_sheet(w.year, NOV, AFTER_S1)
    t = _row(nov, w.teacher)
    assert (t["inputs"]["due"], t["inputs"]["missing"], t["total"]) == (2, 1, 10)  # only A's on-time note counts
    assert _row(nov, w.homeroom)["total"] == 30  # on time 20 + steady 10
    dec = results.month_sheet(w.year, DEC, AFTER_S1)
    assert _row(dec, w.teacher)["total"] == 0 and results.row_of(dec, w.homeroom.id) is None


def test_semester_sheet_hand_computed(casework, db):
    w = casework
    _manual(w, "2026-10", w.teacher, 8)
    _bonus(w, "2026-10", w.teacher, 2)
    _manual(w, "s1", w.teacher, 4, scope="semester")
    db.session.commit()
    s1 = results.semester_sheet(w.year, 1, AFTER_S1)
    assert s1["months"] == ["2026-09", "2026-10", "2026-11", "2026-12"]
    t = _row(s1, w.teacher)
    assert t["months"] == {"2026-10": 45, "2026-11": 10, "2026-12": 0}
    assert t["month_part"] == 18.33  # (45 + 10 + 0) / 3
    cells = {c["metric"] or c["source"]: t["cells"][str(c["id"])]["points"] for c in s1["criteria"]}
    assert cells == {"pledged": 5, "plan_on_time": 2.5, "retained": 15, "manual": 4}  # plans 1/2, retained 2/2
    assert (t["total"], t["max"], t["percent"], t["band"]) == (44.83, 100, 44.83, "Chưa đạt")
    h = _row(s1, w.homeroom)
    assert h["month_part"] == 45  # (60 + 30) / 2: December was not due
    assert {k: h["inputs"][k] for k in ("mentees", "retained", "plans_due", "plans_on_time")} == {
        "mentees": 1, "retained": 0, "plans_due": 1, "plans_on_time": 0}
    assert (h["total"], h["rank"], t["rank"]) == (45, 1, 2)  # no pledge, no plan, dropped out: 45 + 0
    assert (h["department_rank"], t["department_rank"]) == (1, 1)  # each leads their own department


def test_edited_rubric_bands_and_sum_method(casework, db, union_client):
    w = casework
    _manual(w, "2026-10", w.teacher, 8)
    db.session.commit()
    page = union_client.get("/emulation/rubric")
    assert page.status_code == 200 and "Nộp nhận xét hằng tháng đúng hạn" in page.get_data(as_text=True)
    criteria = rubric.criteria_of(w.year, include_archived=True)
    data = {"semester_method": "sum", "year_weight1": "1", "year_weight2": "1", "contest_days": "5",
            "version": rubric.settings_of(w.year).version}
    for i, c in enumerate(criteria):
        data |= {f"criteria-{i}-id": str(c.id), f"criteria-{i}-source": c.source.value,
                 f"criteria-{i}-metric": c.metric.value if c.metric else "", f"criteria-{i}-label": c.label,
                 f"criteria-{i}-scope": c.scope.value, f"criteria-{i}-active": "y",
                 f"criteria-{i}-max_points": "40" if c.metric == Metric.NOTES_ON_TIME else f"{c.max_points:g}"}
    data |= {"bands-0-label": "Hoàn thành tốt", "bands-0-min_percent": "40", "bands-0-commendation": "praise",
             "bands-1-label": "Hoàn thành", "bands-1-min_percent": "0", "bands-1-commendation": "",
             "new_label": "Dự giờ, thăm lớp của học sinh", "new_source": "manual", "new_scope": "month",
             "new_max": "5", "new_metric": ""}
    response = union_client.post("/emulation/rubric", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    oct_ = results.month_sheet(w.year, OCT, AFTER_S1)
    t = _row(oct_, w.teacher)
    assert (t["total"], t["max"]) == (20 + 5 + 5 + 15 + 8, 95)  # on time now 40 × 1/2; a 5-point manual criterion
    assert t["band"] == "Hoàn thành tốt" and oct_["rows"][0]["band"] == "Hoàn thành tốt"
    s1 = results.semester_sheet(w.year, 1, AFTER_S1)
    t = _row(s1, w.teacher)
    assert t["month_part"] == 53 + 20 + 0 and t["month_part_max"] == 3 * 95  # the sum of Oct, Nov, Dec
    assert s1["settings"] == {"semester_method": "sum", "w1": 1, "w2": 1, "contest_days": 5}
    # a rubric that cannot work is refused with a message, nothing saved
    data["version"] = rubric.settings_of(w.year).version  # the form opened after the save
    data["criteria-0-max_points"] = "0"
    response = union_client.post("/emulation/rubric", data=data)
    assert response.status_code == 200 and "phải lớn hơn 0" in response.get_data(as_text=True)
    data["criteria-0-max_points"] = "abc"
    response = union_client.post("/emulation/rubric", data=data)
    assert response.status_code == 200 and "Điểm không hợp lệ" in response.get_data(as_text=True)
    assert 'value="abc"' in response.get_data(as_text=True)  # the form keeps what was typed


def test_leader_views_the_rubric_but_cannot_change_it(casework, leader_client):
    page = leader_client.get("/emulation/rubric").get_data(as_text=True)
    assert "Lưu bộ tiêu chí" not in page and "disabled" in page
    assert leader_client.post("/emulation/rubric", data={"contest_days": "3"}).status_code == 403


# --- scoring on the sheet, over HTTP --------------------------------------------------------------

def _cell(w, user, key="manual-month"):
    return f"{user.id}-{w.crit[key].id}"


def test_union_scores_the_grid_and_conflicts_are_reported(casework, db, union_client, leader_client):
    w = casework
    name = _cell(w, w.teacher)
    page = union_client.get("/emulation/sheet/2026-10")
    assert page.status_code == 200 and f'name="p-{name}"' in page.get_data(as_text=True)
    assert union_client.post("/emulation/sheet/2026-10/scores",
                             data={f"p-{name}": "7,5", f"c-{name}": "Nhiệt tình", f"b-{name}": "",
                                   f"bc-{name}": ""}).status_code == 302
    t = _row(results.month_sheet(w.year, OCT, AFTER_S1), w.teacher)
    assert t["cells"][str(w.crit["manual-month"].id)] == {"points": 7.5, "comment": "Nhiệt tình"}
    # the leader opened the sheet before that save (base empty) and types 9: reported, not overwritten
    response = leader_client.post("/emulation/sheet/2026-10/scores",
                                  data={f"p-{name}": "9", f"c-{name}": "", f"b-{name}": "", f"bc-{name}": ""})
    body = response.get_data(as_text=True)
    assert response.status_code == 409 and "vừa được người khác sửa" in body and 'value="9"' in body
    db.session.expire_all()
    assert _row(results.month_sheet(w.year, OCT, AFTER_S1), w.teacher)["cells"][
        str(w.crit["manual-month"].id)]["points"] == 7.5
    # bad input: a clear message, the typed value kept, nothing saved
    response = union_client.post("/emulation/sheet/2026-10/scores",
                                 data={f"p-{name}": "99", f"c-{name}": "", f"b-{name}": "7,5", f"bc-{name}": "Nhiệt tình"})
    assert response.status_code == 200 and "Điểm từ 0 đến 10" in response.get_data(as_text=True)
    assert 'value="99"' in response.get_data(as_text=True)
    audits = db.session.scalars(select(AuditLog).where(AuditLog.action == "emulation_scored")).all()
    assert len(audits) == 1 and audits[0].details["cells"] == 1


def test_bonus_needs_evidence_and_is_withdrawn_not_deleted(casework, db, union_client):
    w = casework
    item = next(c for c in rubric.criteria_of(w.year) if c.source == CriterionSource.BONUS and c.scope.value == "month")
    form = {"user_id": str(w.teacher.id), "criterion_id": str(item.id), "points": "2", "evidence": ""}
    response = union_client.post("/emulation/sheet/2026-10/adjustments", data=form)
    assert response.status_code == 200 and "Ghi minh chứng" in response.get_data(as_text=True)
    form |= {"points": "9", "evidence": "Biên bản"}
    response = union_client.post("/emulation/sheet/2026-10/adjustments", data=form)
    assert response.status_code == 200 and "không quá 3" in response.get_data(as_text=True)
    form["points"] = "2"
    assert union_client.post("/emulation/sheet/2026-10/adjustments", data=form).status_code == 302
    assert _row(results.month_sheet(w.year, OCT, AFTER_S1), w.teacher)["bonus"] == 2
    adjustment = db.session.scalars(select(services.EvaluationAdjustment)).one()
    assert union_client.post(f"/emulation/adjustments/{adjustment.id}/withdraw",
                             data={"reason": "Nhầm người"}).status_code == 302
    db.session.expire_all()
    assert _row(results.month_sheet(w.year, OCT, AFTER_S1), w.teacher)["bonus"] == 0
    kept = db.session.get(services.EvaluationAdjustment, adjustment.id)
    assert kept.withdrawn_at is not None and kept.withdraw_reason == "Nhầm người"


# --- publish, contest, answer ---------------------------------------------------------------------

def test_teacher_sees_breakdown_contests_within_window_union_answers(casework, db, union_client, teacher_client,
                                                                     homeroom_client):
    w = casework
    assert "2026-10" not in teacher_client.get("/emulation/me").get_data(as_text=True)  # a draft is not shown
    services.publish(w.year, "2026-10", by=w.union, today=date(2026, 10, 29))
    db.session.commit()
    evaluation = db.session.scalar(select(Evaluation).where(Evaluation.key == "2026-10"))
    assert evaluation.contest_until == date(2026, 11, 5)  # 7 days by default
    page = teacher_client.get("/emulation/me?key=2026-10").get_data(as_text=True)
    assert "Nộp nhận xét hằng tháng đúng hạn" in page and "1/2" in page  # every criterion with its inputs
    assert "số nhận xét nộp đúng hạn ÷ số nhận xét phải nộp" in page  # the formula
    assert "Ksor" not in homeroom_client.get("/emulation/me").get_data(as_text=True)
    # the window is the real calendar: evaluate "today" inside it
    evaluation.contest_until = local_today()
    db.session.commit()
    response = teacher_client.post("/emulation/sheet/2026-10/contest",
                                   data={"criterion_id": str(w.crit["notes_on_time"].id), "reason": ""})
    assert response.status_code == 200 and "Ghi lý do khiếu nại" in response.get_data(as_text=True)
    response = teacher_client.post("/emulation/sheet/2026-10/contest",
                                   data={"criterion_id": str(w.crit["notes_on_time"].id),
                                         "reason": "Nhận xét của em B gửi ngày 24"})
    assert response.status_code == 302
    contest = db.session.scalars(select(EvaluationContest)).one()
    assert contest.status.value == "open" and contest.user_id == w.teacher.id
    assert "Nhận xét của em B gửi ngày 24" in union_client.get("/emulation/contests").get_data(as_text=True)
    response = union_client.post(f"/emulation/contests/{contest.id}/answer", data={"decision": "rejected", "answer": ""})
    assert response.status_code == 200 and "Ghi câu trả lời" in response.get_data(as_text=True)
    assert union_client.post(f"/emulation/contests/{contest.id}/answer",
                             data={"decision": "rejected", "answer": "Hệ thống ghi nhận gửi ngày 27."}).status_code == 302
    page = teacher_client.get("/emulation/me").get_data(as_text=True)
    assert "Không chấp nhận" in page and "Hệ thống ghi nhận gửi ngày 27." in page  # the history stays
    # after the window: refused with a message
    evaluation = db.session.get(Evaluation, evaluation.id)
    evaluation.contest_until = date(2026, 11, 5)
    db.session.commit()
    with pytest.raises(RuleError, match="hết thời hạn"):
        services.file_contest(w.year, "2026-10", None, "Muộn", by=w.teacher, today=date(2026, 11, 6))


# --- lock: a snapshot later data does not change -----------------------------------------------------

def test_lock_keeps_a_snapshot_unlock_is_audited(casework, db, leader_client, union_client):
    w = casework
    _manual(w, "2026-10", w.teacher, 8)
    db.session.commit()
    with pytest.raises(RuleError, match="Công bố phiếu học kỳ"):
        services.lock(w.year, "s1", None, by=w.leader, today=AFTER_S1)
    services.publish(w.year, "s1", by=w.union, today=AFTER_S1)
    db.session.add(EvaluationContest(school_id=w.school.id, evaluation_id=db.session.scalar(
        select(Evaluation.id).where(Evaluation.key == "s1")), user_id=w.teacher.id, reason="Xin xem lại"))
    db.session.commit()
    with pytest.raises(RuleError, match="khiếu nại chưa được trả lời"):
        services.lock(w.year, "s1", None, by=w.leader, today=AFTER_S1)
    db.session.rollback()
    contest = db.session.scalars(select(EvaluationContest)).one()
    services.answer_contest(contest, False, "Giữ nguyên", by=w.union)
    db.session.commit()
    today = local_today()  # the lock over HTTP takes the result as of today
    before = _row(results.semester_sheet(w.year, 1, today), w.teacher)["total"]
    nov_before = _row(results.month_sheet(w.year, NOV, today), w.teacher)["total"]
    unconfirmed = leader_client.post("/emulation/sheet/s1/lock", data={})
    assert unconfirmed.status_code == 200 and "Xác nhận trước khi khóa" in unconfirmed.get_data(as_text=True)
    response = leader_client.post("/emulation/sheet/s1/lock", data={"confirm": "y"})
    assert response.status_code == 302
    # later changes to the data: B's November note arrives late, a score is attempted
    _note(w, w.b, w.asg_b, NOV, on_time=False, rating=Rating.STEADY)
    db.session.commit()
    with pytest.raises(RuleError, match="khóa"):
        _manual(w, "2026-11", w.teacher, 10)
    db.session.rollback()
    refused = union_client.post("/emulation/sheet/2026-11/scores", data={f"p-{_cell(w, w.teacher)}": "10"})
    assert refused.status_code == 200 and "Học kỳ của tháng này đã được khóa" in refused.get_data(as_text=True)
    locked = results.semester_sheet(w.year, 1, AFTER_S1)
    assert _row(locked, w.teacher)["total"] == before and locked["evaluation"]["status"] == "locked"
    assert _row(results.month_sheet(w.year, NOV, AFTER_S1), w.teacher)["total"] == nov_before  # from the snapshot
    assert "Kết quả này đã được Ban giám hiệu duyệt và khóa" in union_client.get(
        "/emulation/sheet/s1").get_data(as_text=True)
    # unlocking needs a reason and is audited; the result is computed again from today's data
    assert "Ghi lý do mở khóa" in leader_client.post("/emulation/sheet/s1/unlock", data={"reason": ""}).get_data(
        as_text=True)
    assert leader_client.post("/emulation/sheet/s1/unlock", data={"reason": "Sai sót dữ liệu tháng 12"}).status_code == 302
    db.session.expire_all()
    assert _row(results.month_sheet(w.year, NOV, today), w.teacher)["total"] == nov_before + 5  # B steady: 20 × ½ ÷ 2
    assert _row(results.semester_sheet(w.year, 1, today), w.teacher)["total"] > before
    actions = [a.action for a in db.session.scalars(select(AuditLog).where(AuditLog.action.like("emulation_%lock%")))]
    assert actions == ["emulation_locked", "emulation_unlocked"]
    history = services.lock_history(w.year)
    assert [h.action for h in history] == ["unlock", "lock"] and history[1].snapshot["rows"]


def test_year_lock_needs_both_semesters_and_commendations_are_approved(casework, db):
    w = casework
    with pytest.raises(RuleError, match="hai học kỳ"):
        services.lock(w.year, "year", None, by=w.leader, today=date(2027, 6, 5))
    for term in (1, 2):
        services.publish(w.year, f"s{term}", by=w.union, today=date(2027, 6, 1))
    # "Tốt" from 30%: both mentors (33,75 with January missing, and 45) and both departments are proposed
    for b in rubric.bands_of(w.year):
        if b.label == "Tốt":
            b.min_percent = 30
    db.session.flush()
    s1 = results.semester_sheet(w.year, 1, date(2027, 6, 1))
    keys = {c["key"] for c in s1["commendations"]}
    assert keys == {f"u{w.homeroom.id}", f"u{w.teacher.id}", f"d{w.homeroom.department_id}", f"d{w.teacher.department_id}"}
    services.lock(w.year, "s1", {f"u{w.homeroom.id}"}, by=w.leader, today=date(2027, 6, 2))
    services.lock(w.year, "s2", None, by=w.leader, today=date(2027, 6, 2))
    services.lock(w.year, "year", None, by=w.leader, today=date(2027, 6, 5))
    db.session.commit()
    approved = results.approved_commendations(w.year, "s1")
    assert [c["name"] for c in approved] == [w.homeroom.full_name]
    assert approved[0]["evidence"]["due"] == 2 and approved[0]["evidence"]["mentees"] == 1
    year = results.year_sheet(w.year, date(2027, 6, 5))
    assert year["evaluation"]["status"] == "locked"
    t = _row(year, w.teacher)
    assert t["total"] == scoring.year_total(t["s1"]["total"], t["s2"]["total"], 1, 2)
    with pytest.raises(RuleError, match="năm học trước"):
        services.unlock(w.year, "s1", "Sửa", by=w.leader)


# --- exports, CLI, privacy, bounded queries ---------------------------------------------------------

def test_xlsx_read_back_and_audited(casework, db, union_client):
    w = casework
    _manual(w, "s1", w.teacher, 4, scope="semester")
    db.session.commit()
    response = union_client.get("/emulation/sheet/s1.xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Cá nhân", "Điểm các tháng", "Tập thể", "Đề nghị khen thưởng"]
    rows = [[c.value for c in r] for r in book["Cá nhân"].iter_rows()]
    header = next(r for r in rows if r[0] == "Hạng")
    teacher = next(r for r in rows if r[1] == w.teacher.full_name)
    assert teacher[0] == 2 and teacher[3] == 1 and "Chưa đạt" in teacher  # second in the school, first in Toán
    expected = _row(results.semester_sheet(w.year, 1, local_today()), w.teacher)  # the export is as of today
    # the scores are numbers the union can sum and sort: the total, the manual score, the percentage
    assert teacher[header.index("Tổng")] == pytest.approx(expected["total"])
    assert teacher[header.index("Tỉ lệ")] == pytest.approx(expected["percent"] / 100)
    assert 4 in teacher and not any(isinstance(v, str) and v.replace(",", "").isdigit() for v in teacher)
    assert all(not (isinstance(c.value, str) and c.value.startswith("=")) for ws in book for r in ws.iter_rows()
               for c in r)
    assert book["Cá nhân"].page_setup.paperSize == 9
    text = " ".join(str(c.value) for ws in book for r in ws.iter_rows() for c in r if c.value)
    assert "Ksor" not in text and "Lò Thị Mai" not in text  # no student in the document
    audit = db.session.scalars(select(AuditLog).where(AuditLog.action == "emulation_exported")).one()
    assert audit.details["key"] == "s1" and set(audit.details["staff"]) == {w.teacher.id, w.homeroom.id}
    page = union_client.get("/emulation/sheet/s1/print").get_data(as_text=True)
    assert "KẾT QUẢ ĐÁNH GIÁ THI ĐUA" in page and w.teacher.full_name in page


def test_cli_report_emulation(casework, runner, tmp_path, db):
    out = tmp_path / "thi-dua.xlsx"
    result = runner.invoke(args=["report", "emulation", "--year", "2026-2027", "--term", "1", "--out", str(out),
                                 "--school", str(casework.school.id)])
    assert result.exit_code == 0, result.output
    assert "2 staff" in result.output
    book = openpyxl.load_workbook(out)
    assert casework.teacher.full_name in [c.value for r in book["Cá nhân"].iter_rows() for c in r]
    result = runner.invoke(args=["report", "emulation", "--year", "1999-2000", "--out", str(out),
                                 "--school", str(casework.school.id)])
    assert result.exit_code != 0 and "Known: 2026-2027" in result.output


def test_union_sheet_has_scores_not_narratives(casework, db, union_client):
    w = casework
    note = db.session.scalars(select(MonthlyNote).where(MonthlyNote.student_id == w.a.id)).first()
    note.concerns = "BÍ-MẬT-GIA-ĐÌNH"
    db.session.commit()
    for url in ("/emulation/sheet/2026-10", "/emulation/sheet/s1", "/emulation/sheet/year", "/emulation/sheet/s1/print",
                "/emulation/contests"):
        body = union_client.get(url).get_data(as_text=True)
        assert "BÍ-MẬT-GIA-ĐÌNH" not in body and "Ksor" not in body and "Lò Thị Mai" not in body, url


def _count_queries(engine):
    seen = []

    def before(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    return seen, lambda: event.remove(engine, "before_cursor_execute", before)


def test_sheets_use_a_bounded_number_of_queries(casework, db, union_client):
    w = casework
    counts = []
    for extra in (0, 6):
        for n in range(extra):
            mentor = f.make_user(w.school, username=f"extra{extra}-{n}", department=w.dept)
            student = f.make_student(w.other_class)
            asg = _mentor(w, mentor, student)
            _note(w, student, asg, OCT)
            _note(w, student, asg, NOV, rating=Rating.STEADY)
        db.session.commit()
        per_page = []
        for url in ("/emulation/sheet/s1", "/emulation/sheet/2026-10", "/emulation/sheet/year", "/emulation/me"):
            union_client.get(url)  # warm up (the session's user, the year)
            seen, stop = _count_queries(db.engine)
            assert union_client.get(url).status_code == 200
            stop()
            per_page.append(len(seen))
        counts.append(per_page)
    assert counts[0] == counts[1], counts
    assert max(counts[1]) <= 30, counts


def test_reports_and_the_year_review_list_the_emulation_commendations(casework, db, leader_client):
    from sponsor_app.reports import export as report_export
    from sponsor_app.reports import services as reports

    w = casework
    for b in rubric.bands_of(w.year):
        if b.label == "Tốt":
            b.min_percent = 30  # both mentors and both departments reach "Tốt" (biểu dương)
    db.session.commit()
    doc = reports.generate(w.school, w.year, 1, as_of=date(2026, 12, 28), today=date(2026, 12, 28))
    part = doc["parts"]["commendations"]
    assert part["status"] == "proposed" and "chưa duyệt" in part["basis"]
    assert {r["who"] for r in part["rows"]} >= {w.teacher.full_name, w.homeroom.full_name, "Tổ Toán"}
    services.publish(w.year, "s1", by=w.union, today=AFTER_S1)
    services.lock(w.year, "s1", {f"u{w.homeroom.id}"}, by=w.leader, today=AFTER_S1)
    db.session.commit()
    doc = reports.generate(w.school, w.year, 1, as_of=date(2026, 12, 28), today=AFTER_S1)
    part = doc["parts"]["commendations"]
    assert part["status"] == "approved" and "duyệt ngày 20/01/2027" in part["basis"]
    assert [(r["kind"], r["who"]) for r in part["rows"]] == [("Biểu dương", w.homeroom.full_name)]
    assert "nhận xét đúng hạn 2/2" in part["rows"][0]["evidence"]
    book = openpyxl.load_workbook(io.BytesIO(render_xlsx(report_export.report_document(doc))))
    cells = [c.value for r in book["Khen thuong"].iter_rows() for c in r]
    assert w.homeroom.full_name in cells and w.teacher.full_name not in cells
    page = leader_client.get(f"/reports/{w.year.id}/review").get_data(as_text=True)
    assert "Tập thể, cá nhân tiêu biểu" in page and "Kết quả thi đua năm học (chưa duyệt)" in page
