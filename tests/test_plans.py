"""Support plans: the main mentor drafts semester goals → monthly targets → weekly actions,
records the agreement, submits; the department head approves or asks for changes."""

from datetime import timedelta

from sponsor_app.models import Assignment, Decision, MentorRole, PlanGoal, PlanStatus, SupportPlan
from sponsor_app.timeutil import format_date, local_today
from tests.factories import make_screening, make_student


def _new_mentee(world, db, mentor):
    student = make_student(world.other_class, "Nay Blim")
    make_screening(student, world.year, world.leader, orphan=True).decision = Decision.APPROVED
    assignment = Assignment(school_id=world.school.id, school_year_id=world.year.id, student_id=student.id,
                            mentor_id=mentor.id, role=MentorRole.MAIN, started_on=local_today() - timedelta(days=3))
    db.session.add(assignment)
    db.session.commit()
    return student, assignment


def _start(client, student, db, year):
    assert client.post(f"/progress/students/{student.id}/plan").status_code == 302
    return db.session.query(SupportPlan).filter_by(student_id=student.id, school_year_id=year.id).one()


def test_main_mentor_starts_a_plan_due_after_the_assignment(teacher_client, mentoring, db):
    student, assignment = _new_mentee(mentoring, db, mentoring.teacher)
    page = teacher_client.get(f"/progress/students/{student.id}/plan").get_data(as_text=True)
    assert "Lập kế hoạch giúp đỡ" in page
    plan = _start(teacher_client, student, db, mentoring.year)
    assert plan.status == PlanStatus.DRAFT and plan.due_on == assignment.started_on + timedelta(days=14)
    again = teacher_client.post(f"/progress/students/{student.id}/plan", follow_redirects=True)
    assert db.session.query(SupportPlan).filter_by(student_id=student.id).count() == 1 and again.status_code == 200


def test_three_horizons_nest(teacher_client, mentoring, db):
    student, _ = _new_mentee(mentoring, db, mentoring.teacher)
    plan = _start(teacher_client, student, db, mentoring.year)
    url = f"/progress/plans/{plan.id}/goals"
    day = format_date(local_today())
    teacher_client.post(url, data={"horizon": "semester", "domain": "conduct", "semester": "1",
                                   "strategy": "tu_van", "text": "Đi học đều, không nghỉ không phép"})
    semester = db.session.query(PlanGoal).filter_by(plan_id=plan.id, horizon="semester").one()
    bad = teacher_client.post(url, data={"horizon": "week", "domain": "learning", "parent_id": semester.id,
                                         "day": day, "text": "Gọi điện cho mẹ"}).get_data(as_text=True)
    assert "việc làm tuần thuộc một mục tiêu tháng" in bad and 'value="Gọi điện cho mẹ"' in bad
    teacher_client.post(url, data={"horizon": "month", "domain": "learning", "parent_id": semester.id, "day": day,
                                   "strategy": "theo_doi_chuyen_can", "text": "Nghỉ không quá 2 buổi"})
    month = db.session.query(PlanGoal).filter_by(plan_id=plan.id, horizon="month").one()
    assert month.domain.value == "conduct"  # a target belongs to its goal's side
    assert month.period_start == local_today().replace(day=1)
    teacher_client.post(url, data={"horizon": "week", "domain": "conduct", "parent_id": month.id, "day": day,
                                   "strategy": "tham_nha", "text": "Thăm nhà, gặp bà ngoại"})
    week = db.session.query(PlanGoal).filter_by(plan_id=plan.id, horizon="week").one()
    assert week.period_start.weekday() == 0
    page = teacher_client.get(f"/progress/plans/{plan.id}").get_data(as_text=True)
    assert "Thăm nhà, gặp bà ngoại" in page and "Theo dõi chuyên cần" in page
    teacher_client.post(f"/progress/goals/{month.id}/archive")
    db.session.expire_all()
    assert db.session.get(PlanGoal, week.id).archived and db.session.get(PlanGoal, month.id).archived
    assert "Thăm nhà, gặp bà ngoại" not in teacher_client.get(f"/progress/plans/{plan.id}").get_data(as_text=True)


def test_agreement_needs_a_past_date(teacher_client, mentoring, db):
    student, _ = _new_mentee(mentoring, db, mentoring.teacher)
    plan = _start(teacher_client, student, db, mentoring.year)
    url = f"/progress/plans/{plan.id}/agreement"
    no_date = teacher_client.post(url, data={"student_agreed": "y", "version": plan.version}).get_data(as_text=True)
    assert "Ghi ngày học sinh, gia đình đồng ý" in no_date
    future = format_date(local_today() + timedelta(days=5))
    assert "tương lai" in teacher_client.post(url, data={"student_agreed": "y", "agreed_on": future,
                                                         "version": plan.version}).get_data(as_text=True)
    teacher_client.post(url, data={"student_agreed": "y", "family_agreed": "y",
                                   "agreed_on": format_date(local_today()), "version": plan.version})
    db.session.refresh(plan)
    assert plan.student_agreed and plan.family_agreed and plan.agreed_on == local_today()


def test_submit_review_changes_resubmit_approve(teacher_client, dept_head_client, mentoring, db):
    student, _ = _new_mentee(mentoring, db, mentoring.teacher)
    plan = _start(teacher_client, student, db, mentoring.year)
    page = teacher_client.post(f"/progress/plans/{plan.id}/submit", follow_redirects=True).get_data(as_text=True)
    assert "Cần ít nhất một mục tiêu học kỳ" in page
    teacher_client.post(f"/progress/plans/{plan.id}/goals", data={
        "horizon": "semester", "domain": "learning", "semester": "1", "text": "Lên mức Đạt môn Toán"})
    teacher_client.post(f"/progress/plans/{plan.id}/submit")
    db.session.refresh(plan)
    assert plan.status == PlanStatus.SUBMITTED and plan.submitted_on_time is True
    blocked = teacher_client.post(f"/progress/plans/{plan.id}/goals", data={
        "horizon": "semester", "domain": "learning", "semester": "2", "text": "Thêm"}).get_data(as_text=True)
    assert "đang chờ tổ trưởng duyệt" in blocked

    queue = dept_head_client.get("/progress/reviews").get_data(as_text=True)
    assert "Nay Blim" in queue
    no_comment = dept_head_client.post(f"/progress/plans/{plan.id}/review", data={"decision": "changes"})
    assert "Hãy ghi cần bổ sung" in no_comment.get_data(as_text=True)
    dept_head_client.post(f"/progress/plans/{plan.id}/review",
                          data={"decision": "changes", "comment": "Bổ sung mục tiêu rèn luyện"})
    mentor_view = teacher_client.get(f"/progress/plans/{plan.id}").get_data(as_text=True)
    assert "Bổ sung mục tiêu rèn luyện" in mentor_view and "Cần bổ sung" in mentor_view

    teacher_client.post(f"/progress/plans/{plan.id}/goals", data={
        "horizon": "semester", "domain": "conduct", "semester": "1", "text": "Không vi phạm nội quy"})
    teacher_client.post(f"/progress/plans/{plan.id}/submit")
    dept_head_client.post(f"/progress/plans/{plan.id}/review", data={"decision": "approve"})
    db.session.refresh(plan)
    assert plan.status == PlanStatus.APPROVED and plan.reviewed_by_id == mentoring.dept_head.id
    assert plan.submitted_on_time is True  # the first submission decided

    teacher_client.post(f"/progress/plans/{plan.id}/goals", data={
        "horizon": "semester", "domain": "learning", "semester": "2", "text": "Học kỳ II: lên Khá"})
    assert "thêm sau khi duyệt" in teacher_client.get(f"/progress/plans/{plan.id}").get_data(as_text=True)


def test_a_late_plan_is_marked_late(teacher_client, mentoring, db):
    student, assignment = _new_mentee(mentoring, db, mentoring.teacher)
    assignment.started_on = local_today() - timedelta(days=30)
    db.session.commit()
    plan = _start(teacher_client, student, db, mentoring.year)
    teacher_client.post(f"/progress/plans/{plan.id}/goals", data={
        "horizon": "semester", "domain": "learning", "semester": "1", "text": "Lên lớp"})
    teacher_client.post(f"/progress/plans/{plan.id}/submit")
    db.session.refresh(plan)
    assert plan.submitted_on_time is False
    assert "gửi muộn" in teacher_client.get(f"/progress/plans/{plan.id}").get_data(as_text=True)


def test_supporting_mentor_reads_but_does_not_edit(union_client, mentoring):
    assert union_client.get(f"/progress/plans/{mentoring.plan.id}").status_code == 200
    assert union_client.post(f"/progress/plans/{mentoring.plan.id}/goals", data={
        "horizon": "semester", "domain": "learning", "semester": "1", "text": "x"}).status_code == 403


def test_other_department_heads_do_not_review(app, mentoring, db):
    from tests.conftest import login

    mentoring.other_dept.head_id = mentoring.homeroom.id
    mentoring.homeroom.set_roles({*mentoring.homeroom.roles, "dept_head"})
    db.session.commit()
    other_head = login(app.test_client(), "homeroom")
    assert "Ksor Hen" not in other_head.get("/progress/reviews").get_data(as_text=True)
    assert other_head.post(f"/progress/plans/{mentoring.plan.id}/review",
                           data={"decision": "approve"}).status_code == 403


def test_mentor_home_links_to_the_plan(teacher_client, mentoring):
    page = teacher_client.get("/home/teacher").get_data(as_text=True)
    assert f"/progress/students/{mentoring.mentee.id}/plan" in page
