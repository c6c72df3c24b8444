"""The permission matrix: every role × every route × own/other record, in one table.

A route added to the app without a row here fails `test_every_route_has_a_row`.
Statuses: 200 page, 302 redirect (anonymous → login, or a done action), 403 not allowed,
404 another school's record (indistinguishable from a missing one).
"""

import pytest

# Admin last: its actions (deactivate, reset password) would otherwise lock out the next role.
ROLES = ("anon", "leader", "depthead", "union", "teacher", "homeroom", "admin")


def expect(default, **per_role):
    """Expected status per role: `default` for logged-in roles not named; anon 302 unless given."""
    table = {role: default for role in ROLES}
    table["anon"] = 302
    table.update(per_role)
    return table


ADMIN_ONLY = expect(403, admin=200)
ADMIN_ACTION = expect(403, admin=302)
ROSTER_READ = expect(403, admin=200, leader=200)
EVERYONE = expect(200)
PUBLIC = expect(200, anon=200)


def BLANK_FORM(world):  # noqa: N802 — reads as a constant in the table
    return {"submitted": "1"}

# (endpoint, method, url builder taking the world, expected statuses, request data)
MATRIX = [
    ("main.healthz", "GET", lambda w: "/healthz", PUBLIC, None),
    ("main.index", "GET", lambda w: "/", expect(302), None),
    ("main.home", "GET", lambda w: "/home/admin", expect(403, admin=200), None),
    ("main.home", "GET", lambda w: "/home/leader", expect(403, leader=200), None),
    ("main.home", "GET", lambda w: "/home/dept_head", expect(403, depthead=200), None),
    ("main.home", "GET", lambda w: "/home/union", expect(403, union=200), None),
    ("main.home", "GET", lambda w: "/home/teacher", EVERYONE, None),
    ("main.home", "GET", lambda w: "/home/nobody", expect(404), None),
    ("main.choose_year", "POST", lambda w: "/year", expect(302), lambda w: {"year_id": w.year.id}),
    ("main.choose_year", "POST", lambda w: "/year", expect(404), lambda w: {"year_id": w.other_school_year.id}),
    ("auth.login", "GET", lambda w: "/login", expect(302, anon=200), None),
    ("auth.login", "POST", lambda w: "/login", expect(302, anon=401),
     lambda w: {"username": "admin", "password": "wrong-password"}),
    ("auth.logout", "POST", lambda w: "/logout", expect(302), None),
    ("auth.password", "GET", lambda w: "/account/password", EVERYONE, None),
    ("auth.password", "POST", lambda w: "/account/password", EVERYONE, lambda w: {"confirm": ""}),
    ("auth.invite", "GET", lambda w: "/login/invite/1.forged", expect(404, anon=404), None),
    ("auth.invite", "POST", lambda w: "/login/invite/1.forged", expect(404, anon=404), None),
    ("auth.set_language", "POST", lambda w: "/lang/en", expect(302, anon=302), None),
    # roster reading
    ("roster.classes", "GET", lambda w: "/roster/classes", ROSTER_READ, None),
    ("roster.students", "GET", lambda w: "/roster/students", ROSTER_READ, None),
    ("roster.class_detail", "GET", lambda w: f"/roster/classes/{w.own_class.id}",
     expect(403, admin=200, leader=200, homeroom=200), None),
    ("roster.class_detail", "GET", lambda w: f"/roster/classes/{w.other_class.id}", ROSTER_READ, None),
    ("roster.class_detail", "GET", lambda w: f"/roster/classes/{w.other_school_class.id}", expect(404), None),
    ("roster.student_detail", "GET", lambda w: f"/roster/students/{w.own_student.id}",
     expect(403, admin=200, leader=200, homeroom=200), None),
    ("roster.student_detail", "GET", lambda w: f"/roster/students/{w.other_student.id}", ROSTER_READ, None),
    ("roster.student_detail", "GET", lambda w: f"/roster/students/{w.other_school_student.id}", expect(404), None),
    # admin
    ("admin.users", "GET", lambda w: "/admin/users", ADMIN_ONLY, None),
    ("admin.user_new", "GET", lambda w: "/admin/users/new", ADMIN_ONLY, None),
    ("admin.user_edit", "GET", lambda w: f"/admin/users/{w.teacher.id}/edit", ADMIN_ONLY, None),
    ("admin.user_edit", "GET", lambda w: f"/admin/users/{w.other_school_user.id}/edit",
     expect(403, admin=404), None),
    ("admin.user_deactivate", "POST", lambda w: f"/admin/users/{w.teacher.id}/deactivate", ADMIN_ACTION, None),
    ("admin.user_deactivate", "POST", lambda w: f"/admin/users/{w.other_school_user.id}/deactivate",
     expect(403, admin=404), None),
    ("admin.user_reactivate", "POST", lambda w: f"/admin/users/{w.teacher.id}/reactivate", ADMIN_ACTION, None),
    ("admin.user_unlock_login", "POST", lambda w: f"/admin/users/{w.teacher.id}/unlock-login", ADMIN_ACTION, None),
    ("admin.user_unlock_login", "POST", lambda w: f"/admin/users/{w.other_school_user.id}/unlock-login",
     expect(403, admin=404), None),
    ("admin.user_reset_password", "POST", lambda w: f"/admin/users/{w.teacher.id}/reset-password", ADMIN_ONLY,
     None),
    ("admin.user_reset_password", "POST", lambda w: f"/admin/users/{w.other_school_user.id}/reset-password",
     expect(403, admin=404), None),
    ("admin.departments", "GET", lambda w: "/admin/departments", ADMIN_ONLY, None),
    ("admin.department_edit", "GET", lambda w: "/admin/departments/new", ADMIN_ONLY, None),
    ("admin.department_edit", "GET", lambda w: f"/admin/departments/{w.dept.id}/edit", ADMIN_ONLY, None),
    ("admin.classes", "GET", lambda w: "/admin/classes", ADMIN_ONLY, None),
    ("admin.class_edit", "GET", lambda w: "/admin/classes/new", ADMIN_ONLY, None),
    ("admin.class_edit", "GET", lambda w: f"/admin/classes/{w.own_class.id}/edit", ADMIN_ONLY, None),
    ("admin.class_edit", "GET", lambda w: f"/admin/classes/{w.other_school_class.id}/edit",
     expect(403, admin=404), None),
    ("admin.years", "GET", lambda w: "/admin/years", ADMIN_ONLY, None),
    ("admin.year_edit", "GET", lambda w: "/admin/years/new", ADMIN_ONLY, None),
    ("admin.year_edit", "GET", lambda w: f"/admin/years/{w.year.id}/edit", ADMIN_ONLY, None),
    ("admin.year_make_current", "POST", lambda w: f"/admin/years/{w.year.id}/make-current", ADMIN_ACTION, None),
    ("admin.year_make_current", "POST", lambda w: f"/admin/years/{w.other_school_year.id}/make-current",
     expect(403, admin=404), None),
    ("admin.school", "GET", lambda w: "/admin/school", ADMIN_ONLY, None),
    ("admin.student_edit", "GET", lambda w: "/admin/students/new", ADMIN_ONLY, None),
    ("admin.student_edit", "GET", lambda w: f"/admin/students/{w.own_student.id}/edit", ADMIN_ONLY, None),
    ("admin.student_edit", "GET", lambda w: f"/admin/students/{w.other_school_student.id}/edit",
     expect(403, admin=404), None),
    ("admin.audit_log", "GET", lambda w: "/admin/audit", ADMIN_ONLY, None),
    ("logins.accounts", "GET", lambda w: "/admin/login-slips/", ADMIN_ONLY, None),
    ("logins.issue", "POST", lambda w: "/admin/login-slips/", expect(403, admin=400), BLANK_FORM),
    # form posts with nothing filled in: admins get the form back with its errors
    # (a non-empty body: Flask-WTF treats an empty POST body as "no form data")
    ("admin.user_new", "POST", lambda w: "/admin/users/new", ADMIN_ONLY, BLANK_FORM),
    ("admin.user_edit", "POST", lambda w: f"/admin/users/{w.teacher.id}/edit", ADMIN_ONLY, BLANK_FORM),
    ("admin.user_edit", "POST", lambda w: f"/admin/users/{w.other_school_user.id}/edit",
     expect(403, admin=404), BLANK_FORM),
    ("admin.department_edit", "POST", lambda w: "/admin/departments/new", ADMIN_ONLY, BLANK_FORM),
    ("admin.department_edit", "POST", lambda w: f"/admin/departments/{w.dept.id}/edit", ADMIN_ONLY,
     lambda w: {"code": "", "name": ""}),
    ("admin.class_edit", "POST", lambda w: "/admin/classes/new", ADMIN_ONLY, BLANK_FORM),
    ("admin.class_edit", "POST", lambda w: f"/admin/classes/{w.own_class.id}/edit", ADMIN_ONLY,
     lambda w: {"name": ""}),
    ("admin.year_edit", "POST", lambda w: "/admin/years/new", ADMIN_ONLY, BLANK_FORM),
    ("admin.year_edit", "POST", lambda w: f"/admin/years/{w.year.id}/edit", ADMIN_ONLY, BLANK_FORM),
    ("admin.school", "POST", lambda w: "/admin/school", ADMIN_ONLY, lambda w: {"name": ""}),
    ("admin.student_edit", "POST", lambda w: "/admin/students/new", ADMIN_ONLY, BLANK_FORM),
    ("admin.student_edit", "POST", lambda w: f"/admin/students/{w.own_student.id}/edit", ADMIN_ONLY,
     BLANK_FORM),
]

LEADER_ONLY = expect(403, leader=200)
OWN_SCREENING = expect(403, leader=200, homeroom=200)  # homeroom of the class and proposer
OTHER_SCREENING = expect(403, leader=200, teacher=200)  # proposed by teacher; class has no homeroom
MATRIX += [
    ("imports.upload", "GET", lambda w: "/admin/import/", ADMIN_ONLY, None),
    ("imports.upload", "POST", lambda w: "/admin/import/", expect(403, admin=400), BLANK_FORM),
    ("imports.confirm", "POST", lambda w: "/admin/import/confirm", expect(403, admin=400), BLANK_FORM),
    ("imports.teaching_template", "GET", lambda w: "/admin/import/teaching-template.xlsx", ADMIN_ONLY, None),
    ("imports.teaching_template", "GET",
     lambda w: f"/admin/import/teaching-template.xlsx?year_id={w.other_school_year.id}", expect(403, admin=404), None),
    ("screening.index", "GET", lambda w: "/screening/", EVERYONE, None),
    ("screening.class_board", "GET", lambda w: f"/screening/classes/{w.own_class.id}",
     expect(403, leader=200, homeroom=200), None),
    ("screening.class_board", "GET", lambda w: f"/screening/classes/{w.other_class.id}", LEADER_ONLY, None),
    ("screening.class_board", "GET", lambda w: f"/screening/classes/{w.other_school_class.id}", expect(404), None),
    ("screening.create", "GET", lambda w: f"/screening/students/{w.unscreened_student.id}/new", EVERYONE, None),
    ("screening.create", "GET", lambda w: f"/screening/students/{w.own_student.id}/new", expect(302), None),
    ("screening.create", "GET", lambda w: f"/screening/students/{w.other_school_student.id}/new", expect(404),
     None),
    ("screening.create", "POST", lambda w: f"/screening/students/{w.unscreened_student.id}/new", EVERYONE,
     BLANK_FORM),
    ("screening.detail", "GET", lambda w: f"/screening/{w.own_screening.id}", OWN_SCREENING, None),
    ("screening.detail", "GET", lambda w: f"/screening/{w.other_screening.id}", OTHER_SCREENING, None),
    ("screening.detail", "GET", lambda w: f"/screening/{w.other_school_screening.id}", expect(404), None),
    ("screening.edit", "GET", lambda w: f"/screening/{w.own_screening.id}/edit", OWN_SCREENING, None),
    ("screening.edit", "GET", lambda w: f"/screening/{w.other_screening.id}/edit", OTHER_SCREENING, None),
    ("screening.edit", "POST", lambda w: f"/screening/{w.own_screening.id}/edit", OWN_SCREENING,
     lambda w: {"circumstances_text": ""}),
    ("screening.add_contact", "POST", lambda w: f"/screening/{w.own_screening.id}/contacts",
     expect(403, leader=200, homeroom=200), BLANK_FORM),
    ("screening.add_contact", "POST", lambda w: f"/screening/{w.other_school_screening.id}/contacts",
     expect(404), BLANK_FORM),
    ("screening.verify", "POST", lambda w: f"/screening/{w.own_screening.id}/verify",
     expect(403, leader=302, homeroom=302), None),
    ("screening.verify", "POST", lambda w: f"/screening/{w.other_screening.id}/verify",
     expect(403, leader=302), None),
    ("screening.decide", "POST", lambda w: f"/screening/{w.own_screening.id}/decide",
     expect(403, leader=200), lambda w: {"decision": "not_needed", "reason": ""}),
    ("screening.decide", "POST", lambda w: f"/screening/{w.other_school_screening.id}/decide",
     expect(404), lambda w: {"decision": "approved"}),
    ("screening.class_sheet", "GET", lambda w: f"/screening/classes/{w.own_class.id}/sheet.xlsx",
     expect(403, leader=200, homeroom=200), None),
    ("screening.class_sheet", "GET", lambda w: f"/screening/classes/{w.other_class.id}/sheet.xlsx", LEADER_ONLY,
     None),
    ("screening.class_sheet", "GET", lambda w: f"/screening/classes/{w.other_school_class.id}/sheet.xlsx",
     expect(404), None),
    ("screening.upload_sheet", "POST", lambda w: f"/screening/classes/{w.own_class.id}/sheet",
     expect(403, leader=400, homeroom=400), BLANK_FORM),
    ("screening.upload_sheet", "POST", lambda w: f"/screening/classes/{w.other_school_class.id}/sheet",
     expect(404), BLANK_FORM),
    ("screening.confirm_sheet", "POST", lambda w: f"/screening/classes/{w.own_class.id}/sheet/confirm",
     expect(403, leader=400, homeroom=400), BLANK_FORM),
    ("screening.at_risk_list", "GET", lambda w: "/screening/list", LEADER_ONLY, None),
    ("screening.approve_selected", "POST", lambda w: "/screening/list/approve", expect(403, leader=302),
     BLANK_FORM),
    ("screening.export", "GET", lambda w: "/screening/list.xlsx", LEADER_ONLY, None),
    ("screening.list_pdf", "GET", lambda w: "/screening/list.pdf", LEADER_ONLY, None),
    ("screening.summary", "GET", lambda w: "/screening/summary",
     expect(403, leader=200, depthead=200, union=200), None),
    ("screening.criteria", "GET", lambda w: "/screening/criteria", expect(403, admin=200, leader=200), None),
    ("screening.criteria", "POST", lambda w: "/screening/criteria", expect(403, admin=200, leader=200),
     lambda w: {"risk_medium_min": "0"}),
]

COUNT_READERS = expect(403, leader=200, depthead=200, union=200)
MATRIX += [
    ("assignments.pledge", "GET", lambda w: "/assignments/pledge", EVERYONE, None),
    ("assignments.pledge", "POST", lambda w: "/assignments/pledge", EVERYONE, lambda w: {"capacity": "9"}),
    ("assignments.pledges", "GET", lambda w: "/assignments/pledges", expect(403, leader=200, depthead=200), None),
    ("assignments.board", "GET", lambda w: "/assignments/board", LEADER_ONLY, None),
    ("assignments.student", "GET", lambda w: f"/assignments/students/{w.mentee.id}", LEADER_ONLY, None),
    ("assignments.student", "GET", lambda w: f"/assignments/students/{w.other_school_student.id}",
     expect(403, leader=404), None),
    ("assignments.assign", "POST", lambda w: f"/assignments/students/{w.mentee.id}/assign", LEADER_ONLY,
     BLANK_FORM),
    ("assignments.reassign", "POST", lambda w: f"/assignments/{w.main_assignment.id}/reassign", LEADER_ONLY,
     BLANK_FORM),
    ("assignments.end", "POST", lambda w: f"/assignments/{w.support_assignment.id}/end", LEADER_ONLY,
     BLANK_FORM),
    ("assignments.seen", "POST", lambda w: f"/assignments/{w.main_assignment.id}/seen", expect(403, teacher=302),
     None),
    ("assignments.coverage", "GET", lambda w: "/assignments/coverage", COUNT_READERS, None),
    ("assignments.official_list", "GET", lambda w: "/assignments/official-list", LEADER_ONLY, None),
    ("assignments.official_list_xlsx", "GET", lambda w: "/assignments/official-list.xlsx", LEADER_ONLY, None),
    ("assignments.official_list_pdf", "GET", lambda w: "/assignments/official-list.pdf", LEADER_ONLY, None),
    ("assignments.plan_number", "POST", lambda w: "/assignments/plan-number", expect(403, leader=302),
     lambda w: {"plan_number": "52/KH-THPT"}),
    # mentors (teacher: main, union: support) and the head of the main mentor's department
    ("roster.student_detail", "GET", lambda w: f"/roster/students/{w.mentee.id}",
     expect(403, admin=200, leader=200, teacher=200, union=200, depthead=200), None),
    ("screening.detail", "GET", lambda w: f"/screening/{w.mentee_screening.id}",
     expect(403, leader=200, teacher=200, union=200), None),
]

PLAN_READERS = expect(403, leader=200, teacher=200, union=200, depthead=200)  # mentors, dept head, leader
MATRIX += [
    ("progress.student_plan", "GET", lambda w: f"/progress/students/{w.mentee.id}/plan",
     expect(403, admin=302, leader=302, teacher=302, union=302, depthead=302), None),
    ("progress.student_plan", "GET", lambda w: f"/progress/students/{w.own_student.id}/plan",
     expect(403, admin=200, leader=200, homeroom=200), None),
    ("progress.start", "POST", lambda w: f"/progress/students/{w.mentee.id}/plan", expect(403, teacher=302), None),
    ("progress.plan", "GET", lambda w: f"/progress/plans/{w.plan.id}", PLAN_READERS, None),
    ("progress.add_goal", "POST", lambda w: f"/progress/plans/{w.plan.id}/goals", expect(403, teacher=200),
     BLANK_FORM),
    ("progress.archive_goal", "POST", lambda w: f"/progress/goals/{w.goal.id}/archive", expect(403, teacher=302),
     None),
    ("progress.agreement", "POST", lambda w: f"/progress/plans/{w.plan.id}/agreement", expect(403, teacher=200),
     lambda w: {"agreed_on": "không rõ"}),
    ("progress.submit", "POST", lambda w: f"/progress/plans/{w.plan.id}/submit", expect(403, teacher=302), None),
    ("progress.review", "POST", lambda w: f"/progress/plans/{w.plan.id}/review",
     expect(403, depthead=200, leader=200), lambda w: {"decision": "changes", "comment": ""}),
    ("progress.reviews", "GET", lambda w: "/progress/reviews", expect(403, depthead=200, leader=200), None),
]

NOTE_READERS = expect(403, leader=200, teacher=200, union=200, depthead=200)  # mentors, dept head, leader
NOTE_REVIEWERS = expect(403, leader=200, depthead=200)


def _note_url(w, suffix=""):
    return f"/progress/students/{w.mentee.id}/notes/{w.note_month:%Y-%m}{suffix}"


MATRIX += [
    ("progress.notes_timeline", "GET", lambda w: f"/progress/students/{w.mentee.id}/notes", NOTE_READERS, None),
    ("progress.notes_timeline", "GET", lambda w: f"/progress/students/{w.other_school_student.id}/notes",
     expect(404), None),
    ("progress.note", "GET", _note_url, NOTE_READERS, None),
    ("progress.note", "GET", lambda w: f"/progress/students/{w.other_school_student.id}/notes/{w.note_month:%Y-%m}",
     expect(404), None),
    ("progress.save_note", "POST", _note_url, expect(403, teacher=302),
     lambda w: {"submitted": "1", "version": w.note.version}),  # an edit carries the version it was opened at
    ("progress.review_note", "POST", lambda w: f"/progress/notes/{w.note.id}/review", NOTE_REVIEWERS,
     lambda w: {"decision": "seen"}),
    ("progress.contribute", "POST", lambda w: _note_url(w, "/contributions"), expect(403, union=200), BLANK_FORM),
    ("progress.note_queue", "GET", lambda w: "/progress/notes/queue", NOTE_REVIEWERS, None),
]

RAISERS = expect(403, leader=200, teacher=200, union=200)  # leadership and the mentee's mentors (main, support)
FOLLOWERS = expect(403, leader=200, teacher=200)  # leadership (and focal point), the raiser = main mentor
DIRECTORY = expect(403, admin=200, leader=200)
MATRIX += [
    ("escalations.new", "GET", lambda w: f"/escalations/students/{w.mentee.id}/new", RAISERS, None),
    ("escalations.new", "GET", lambda w: f"/escalations/students/{w.own_student.id}/new",
     expect(403, leader=200, homeroom=200), None),
    ("escalations.new", "GET", lambda w: f"/escalations/students/{w.other_school_student.id}/new", expect(404),
     None),
    ("escalations.new", "POST", lambda w: f"/escalations/students/{w.mentee.id}/new", RAISERS, BLANK_FORM),
    ("escalations.index", "GET", lambda w: "/escalations/", EVERYONE, None),
    ("escalations.detail", "GET", lambda w: f"/escalations/{w.escalation.id}", FOLLOWERS, None),
    ("escalations.detail", "GET", lambda w: f"/escalations/{w.other_school_escalation.id}", expect(404), None),
    ("escalations.add_update", "POST", lambda w: f"/escalations/{w.escalation.id}/updates", FOLLOWERS, BLANK_FORM),
    ("escalations.refer", "POST", lambda w: f"/escalations/{w.escalation.id}/referrals", LEADER_ONLY, BLANK_FORM),
    ("escalations.referral_outcome", "POST", lambda w: f"/escalations/referrals/{w.referral.id}/outcome",
     LEADER_ONLY, BLANK_FORM),
    ("escalations.close", "POST", lambda w: f"/escalations/{w.escalation.id}/close", LEADER_ONLY, BLANK_FORM),
    ("escalations.close", "POST", lambda w: f"/escalations/{w.other_school_escalation.id}/close", expect(404),
     BLANK_FORM),
    ("escalations.directory", "GET", lambda w: "/escalations/services", DIRECTORY, None),
    ("escalations.service_edit", "GET", lambda w: "/escalations/services/new", DIRECTORY, None),
    ("escalations.service_edit", "POST", lambda w: "/escalations/services/new", DIRECTORY, BLANK_FORM),
    ("escalations.service_edit", "GET", lambda w: f"/escalations/services/{w.service.id}/edit", DIRECTORY, None),
    ("escalations.service_edit", "POST", lambda w: f"/escalations/services/{w.service.id}/edit", DIRECTORY,
     lambda w: {"name": ""}),
    ("escalations.service_deactivate", "POST", lambda w: f"/escalations/services/{w.service.id}/deactivate",
     expect(403, admin=302, leader=302), None),
    ("escalations.service_reactivate", "POST", lambda w: f"/escalations/services/{w.service.id}/reactivate",
     expect(403, admin=302, leader=302), None),
    ("escalations.service_defaults", "POST", lambda w: "/escalations/services/defaults",
     expect(403, admin=302, leader=302), None),
    ("escalations.holidays", "GET", lambda w: "/escalations/holidays", ADMIN_ONLY, None),
    ("escalations.holidays", "POST", lambda w: "/escalations/holidays", ADMIN_ONLY, BLANK_FORM),
    ("escalations.holiday_remove", "POST", lambda w: f"/escalations/holidays/{w.holiday.id}/remove", ADMIN_ACTION,
     None),
    ("escalations.holidays_national", "POST", lambda w: "/escalations/holidays/national", ADMIN_ONLY,
     lambda w: {"year": "năm nay"}),
]

MATRIX += [
    ("attention.index", "GET", lambda w: "/attention/", NOTE_REVIEWERS, None),
    ("attention.export", "GET", lambda w: "/attention/export.xlsx", NOTE_REVIEWERS, None),
    ("attention.list_pdf", "GET", lambda w: "/attention/export.pdf", NOTE_REVIEWERS, None),
]

DEPT_MONITORS = expect(403, leader=200, depthead=200)  # the department's head and leadership; never the union
MATRIX += [
    ("departments.dashboard", "GET", lambda w: "/departments/", DEPT_MONITORS, None),
    ("departments.dashboard", "GET", lambda w: f"/departments/?department={w.dept.id}&month=2026-10",
     DEPT_MONITORS, None),
    ("departments.dashboard", "GET", lambda w: f"/departments/?department={w.other_dept.id}",
     expect(403, leader=200), None),
    ("departments.dashboard", "GET", lambda w: f"/departments/?department={w.other_school_dept.id}",
     expect(403, leader=404, depthead=404), None),
    ("departments.report", "GET", lambda w: f"/departments/{w.dept.id}/report", DEPT_MONITORS, None),
    ("departments.report", "GET", lambda w: f"/departments/{w.dept.id}/report?month=2026-10", DEPT_MONITORS, None),
    ("departments.report", "GET", lambda w: f"/departments/{w.other_dept.id}/report", expect(403, leader=200), None),
    ("departments.report", "GET", lambda w: f"/departments/{w.other_school_dept.id}/report", expect(404), None),
    ("departments.save_report", "POST", lambda w: f"/departments/{w.dept.id}/report?month=2026-10",
     DEPT_MONITORS, BLANK_FORM),
    ("departments.save_report", "POST", lambda w: f"/departments/{w.other_dept.id}/report",
     expect(403, leader=200), BLANK_FORM),
    ("departments.report_xlsx", "GET", lambda w: f"/departments/{w.dept.id}/report.xlsx?month=2026-10",
     DEPT_MONITORS, None),
    ("departments.report_xlsx", "GET", lambda w: f"/departments/{w.other_school_dept.id}/report.xlsx",
     expect(404), None),
    ("departments.report_pdf", "GET", lambda w: f"/departments/{w.dept.id}/report.pdf?month=2026-10",
     DEPT_MONITORS, None),
    ("departments.report_pdf", "GET", lambda w: f"/departments/{w.other_dept.id}/report.pdf?month=2026-10",
     expect(403, leader=200), None),
    ("departments.report_pdf", "GET", lambda w: f"/departments/{w.other_school_dept.id}/report.pdf",
     expect(404), None),
    ("departments.report_print", "GET", lambda w: f"/departments/{w.dept.id}/report/print?month=2026-10",
     DEPT_MONITORS, None),
    ("departments.report_print", "GET", lambda w: f"/departments/{w.other_dept.id}/report/print",
     expect(403, leader=200), None),
]

# school dashboard: leadership and the union (the union without names); everyone else 403
DASHBOARD = expect(403, leader=200, union=200)
MATRIX += [
    ("dashboard.index", "GET", lambda w: "/dashboard/", DASHBOARD, None),
    ("dashboard.export", "GET", lambda w: "/dashboard/export.xlsx", DASHBOARD, None),
    ("dashboard.overview_pdf", "GET", lambda w: "/dashboard/export.pdf", DASHBOARD, None),
]


# twice-yearly reports: leadership; the union reads the figures only (no names); the year-end review and rollover
REPORT_READERS = expect(403, leader=200, union=200)
NOT_FOUND_FOR_READERS = expect(403, leader=404, union=404)
MATRIX += [
    ("reports.index", "GET", lambda w: "/reports/", REPORT_READERS, None),
    ("reports.report", "GET", lambda w: f"/reports/{w.year.id}/1", REPORT_READERS, None),
    ("reports.report", "GET", lambda w: f"/reports/{w.year.id}/2", REPORT_READERS, None),
    ("reports.report", "GET", lambda w: f"/reports/{w.year.id}/3", NOT_FOUND_FOR_READERS, None),
    ("reports.report", "GET", lambda w: f"/reports/{w.other_school_year.id}/1", NOT_FOUND_FOR_READERS, None),
    ("reports.save", "POST", lambda w: f"/reports/{w.year.id}/1", LEADER_ONLY, BLANK_FORM),
    ("reports.save", "POST", lambda w: f"/reports/{w.other_school_year.id}/1", expect(403, leader=404), BLANK_FORM),
    ("reports.submit", "POST", lambda w: f"/reports/{w.year.id}/1/submit", expect(403, leader=302), BLANK_FORM),
    ("reports.unlock", "POST", lambda w: f"/reports/{w.year.id}/1/unlock", expect(403, leader=404), BLANK_FORM),
    ("reports.report_xlsx", "GET", lambda w: f"/reports/{w.year.id}/1/report.xlsx", LEADER_ONLY, None),
    ("reports.report_xlsx", "GET", lambda w: f"/reports/{w.other_school_year.id}/2/report.xlsx",
     expect(403, leader=404), None),
    ("reports.report_pdf", "GET", lambda w: f"/reports/{w.year.id}/1/report.pdf", LEADER_ONLY, None),
    ("reports.report_pdf", "GET", lambda w: f"/reports/{w.other_school_year.id}/2/report.pdf",
     expect(403, leader=404), None),
    ("reports.report_print", "GET", lambda w: f"/reports/{w.year.id}/2/print", LEADER_ONLY, None),
    ("reports.review", "GET", lambda w: f"/reports/{w.year.id}/review", LEADER_ONLY, None),
    ("reports.review", "GET", lambda w: f"/reports/{w.other_school_year.id}/review", expect(403, leader=404), None),
    ("reports.review_xlsx", "GET", lambda w: f"/reports/{w.year.id}/review.xlsx", LEADER_ONLY, None),
    ("reports.review_pdf", "GET", lambda w: f"/reports/{w.year.id}/review.pdf", LEADER_ONLY, None),
    ("reports.review_pdf", "GET", lambda w: f"/reports/{w.other_school_year.id}/review.pdf",
     expect(403, leader=404), None),
    ("reports.rollover_page", "GET", lambda w: f"/reports/{w.year.id}/rollover", LEADER_ONLY, None),
    ("reports.rollover_action", "POST", lambda w: f"/reports/{w.year.id}/rollover", expect(403, leader=302),
     BLANK_FORM),
    ("reports.decide", "POST", lambda w: f"/reports/{w.year.id}/rollover/{w.mentee.id}", expect(403, leader=302),
     BLANK_FORM),
    ("reports.decide", "POST", lambda w: f"/reports/{w.year.id}/rollover/{w.other_school_student.id}",
     expect(403, leader=404), BLANK_FORM),
]

# emulation: the union and leadership see the sheets; the union edits the rubric and answers
# contests; leadership locks; everyone sees their own score (the world has no note due yet)
EMULATION = expect(403, leader=200, union=200)
MATRIX += [
    ("emulation.index", "GET", lambda w: "/emulation/", expect(302, leader=200, union=200), None),
    ("emulation.rubric_page", "GET", lambda w: "/emulation/rubric", EMULATION, None),
    ("emulation.rubric_page", "POST", lambda w: "/emulation/rubric", expect(403, union=200), BLANK_FORM),
    ("emulation.sheet", "GET", lambda w: "/emulation/sheet/2026-11", EMULATION, None),
    ("emulation.sheet", "GET", lambda w: "/emulation/sheet/s1", EMULATION, None),
    ("emulation.sheet", "GET", lambda w: "/emulation/sheet/year", EMULATION, None),
    ("emulation.sheet", "GET", lambda w: "/emulation/sheet/1999-01", expect(403, leader=404, union=404), None),
    ("emulation.save_scores", "POST", lambda w: "/emulation/sheet/2026-11/scores",
     expect(403, leader=302, union=302), BLANK_FORM),
    ("emulation.publish", "POST", lambda w: "/emulation/sheet/2026-12/publish", expect(403, leader=302, union=302),
     None),
    ("emulation.add_adjustment", "POST", lambda w: "/emulation/sheet/2026-11/adjustments",
     expect(403, leader=200, union=200), BLANK_FORM),
    ("emulation.withdraw_adjustment", "POST", lambda w: f"/emulation/adjustments/{w.adjustment.id}/withdraw",
     expect(403, leader=302, union=302), BLANK_FORM),
    ("emulation.withdraw_adjustment", "POST",
     lambda w: f"/emulation/adjustments/{w.other_school_adjustment.id}/withdraw", expect(404), BLANK_FORM),
    ("emulation.lock", "POST", lambda w: "/emulation/sheet/s1/lock", expect(403, leader=200), BLANK_FORM),
    ("emulation.unlock", "POST", lambda w: "/emulation/sheet/s1/unlock", expect(403, leader=200), BLANK_FORM),
    ("emulation.sheet_xlsx", "GET", lambda w: "/emulation/sheet/s1.xlsx", EMULATION, None),
    ("emulation.sheet_pdf", "GET", lambda w: "/emulation/sheet/s1.pdf", EMULATION, None),
    ("emulation.sheet_pdf", "GET", lambda w: "/emulation/sheet/2026-11.pdf", EMULATION, None),
    ("emulation.sheet_print", "GET", lambda w: "/emulation/sheet/2026-11/print", EMULATION, None),
    ("emulation.mine", "GET", lambda w: "/emulation/me", EVERYONE, None),
    ("emulation.contest", "POST", lambda w: "/emulation/sheet/2026-11/contest", expect(404), BLANK_FORM),
    ("emulation.contests", "GET", lambda w: "/emulation/contests", EMULATION, None),
    ("emulation.answer", "POST", lambda w: f"/emulation/contests/{w.contest.id}/answer", expect(403, union=200),
     BLANK_FORM),
    ("emulation.answer", "POST", lambda w: f"/emulation/contests/{w.other_school_contest.id}/answer",
     expect(404), BLANK_FORM),
]


# Endpoints deliberately outside the matrix.
EXEMPT = {"static"}


def test_every_route_has_a_row(app, mentoring):
    world = mentoring
    adapter = app.url_map.bind("localhost")
    covered = set()
    for endpoint, method, url, *_ in MATRIX:
        rule, _args = adapter.match(url(world).split("?")[0], method=method, return_rule=True)  # path only
        assert rule.endpoint == endpoint, f"{url(world)} is {rule.endpoint}, not {endpoint}"
        covered.add((rule.rule, method))
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in EXEMPT:
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if (rule.rule, method) not in covered:
                missing.append(f"{method} {rule.rule} ({rule.endpoint})")
    assert not missing, "routes without a permission-matrix row:\n" + "\n".join(sorted(missing))


@pytest.mark.parametrize(("endpoint", "method", "url", "expected", "data"), MATRIX,
                         ids=[f"{m} {e} #{i}" for i, (e, m, *_rest) in enumerate(MATRIX)])
def test_permission_matrix(app, mentoring, client_for, endpoint, method, url, expected, data):
    world = mentoring
    for role in ROLES:
        client = app.test_client() if role == "anon" else client_for(role)
        target = url(world)
        payload = data(world) if data else None
        response = client.open(target, method=method, data=payload)
        assert response.status_code == expected[role], (
            f"{role} {method} {target}: got {response.status_code}, expected {expected[role]}")
        if role == "anon" and expected[role] == 302 and endpoint not in {"auth.set_language"}:
            assert "/login" in response.headers["Location"]
