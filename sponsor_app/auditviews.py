"""Which pages are audited: every endpoint that answers GET is classified here, in one place.

- VIEWS: a page that names students (a record, a list, a form showing a record). Every response of
  the endpoint that shows the page (200, or 409 when a conflict shows the record again) writes one
  audit row of the declared action, written by one hook once the page is built
  (`audit.record_page_view`); the route only says what the page shows (`audit.viewed(obj, ...)`).
  POST endpoints are listed when a refused form shows the record again (a view of it).
- EXPORTS: a file or print view. The export writes its own row with what it contained (the same
  function writes the row of the command-line export): one row per request, checked by the tests.
- NAMES_NO_STUDENT: a GET page that names no student, with the reason.

tests/test_audit_views.py reads app.url_map: an endpoint answering GET that is in none of the three
fails it, so a route added later cannot skip its audit silently; and every page of VIEWS and EXPORTS
is requested there, by every role the permission matrix allows, for exactly one row of its action.
"""

VIEWS: dict[str, str] = {
    # the roster
    "roster.student_detail": "view_student",
    "roster.class_detail": "view_class_list",
    "roster.students": "student_list_viewed",  # the search: names, classes, statuses
    "admin.student_edit": "view_student",  # the form shows the whole record
    "main.home": "home_viewed",  # mentees, open concerns, notes still owed, by name
    # screening
    "screening.index": "screening_index_viewed",  # my proposals and the search to propose
    "screening.class_board": "view_screening_board",
    "screening.create": "view_student",  # the form is filled from the student's record
    "screening.detail": "view_screening",
    "screening.edit": "view_screening",
    "screening.add_contact": "view_screening",
    "screening.decide": "view_screening",
    "screening.at_risk_list": "at_risk_list_viewed",
    "screening.upload_sheet": "view_screening_board",  # the preview of a class's sheet: its students' rows
    "screening.confirm_sheet": "view_screening_board",  # the preview again when the records changed (409)
    # assignments
    "assignments.board": "assignment_board_viewed",
    "assignments.student": "view_student",
    "assignments.assign": "view_student",
    "assignments.reassign": "view_student",
    "assignments.end": "view_student",
    # plans and monthly notes
    "progress.student_plan": "plan_viewed",  # the student without a plan yet
    "progress.plan": "plan_viewed",
    "progress.add_goal": "plan_viewed",
    "progress.agreement": "plan_viewed",
    "progress.review": "plan_viewed",
    "progress.reviews": "plan_reviews_viewed",
    "progress.notes_timeline": "notes_timeline_viewed",
    "progress.note": "note_viewed",
    "progress.save_note": "note_viewed",
    "progress.review_note": "note_viewed",
    "progress.contribute": "note_viewed",
    "progress.note_queue": "note_queue_viewed",
    # monitoring
    "attention.index": "attention_list_viewed",
    "departments.dashboard": "department_dashboard_viewed",
    "departments.report": "department_report_viewed",
    "departments.save_report": "department_report_viewed",
    "dashboard.index": "dashboard_viewed",  # names for leadership; the union's figures are recorded too
    # serious concerns
    "escalations.index": "escalation_list_viewed",
    "escalations.new": "view_student",  # the student the concern is about
    "escalations.detail": "escalation_viewed",
    "escalations.add_update": "escalation_viewed",
    "escalations.refer": "escalation_viewed",
    "escalations.referral_outcome": "escalation_viewed",
    "escalations.close": "escalation_viewed",
    # reports
    "reports.report": "semester_report_viewed",  # the union's figures-only page is recorded as such
    "reports.save": "semester_report_viewed",
    "reports.review": "year_review_viewed",
    "reports.rollover_page": "rollover_viewed",
    "reports.decide": "rollover_viewed",
}

EXPORTS: dict[str, str] = {
    "screening.export": "export_at_risk_list",
    "screening.list_pdf": "export_at_risk_list",
    "screening.class_sheet": "screening_sheet_exported",  # the class's sheet to fill in Excel
    "attention.export": "export_attention",
    "attention.list_pdf": "export_attention",
    "dashboard.export": "export_dashboard",
    "dashboard.overview_pdf": "export_dashboard",
    "departments.report_xlsx": "export_department_report_xlsx",
    "departments.report_pdf": "export_department_report_xlsx",  # the PDF: audited as its workbook twin
    "departments.report_print": "export_department_report_print",
    "reports.report_xlsx": "semester_report_exported",
    "reports.report_pdf": "semester_report_exported",
    "reports.report_print": "semester_report_printed",
    "reports.review_xlsx": "year_review_exported",
    "reports.review_pdf": "year_review_exported",
    "assignments.official_list": "export_assignment_list_print",  # the official list's print view
    "assignments.official_list_xlsx": "export_assignment_list",
    "imports.teaching_template": "export_teaching_template",  # the year's classes, staff and teaching
    "assignments.official_list_pdf": "export_assignment_list",
    "emulation.sheet_xlsx": "emulation_exported",  # staff scores: audited as every export is
    "emulation.sheet_pdf": "emulation_exported",
    "emulation.sheet_print": "emulation_exported",
}

NAMES_NO_STUDENT: dict[str, str] = {
    "static": "style sheets, scripts and images",
    "main.healthz": "the health check",
    "main.index": "a redirect to the user's home page",
    "auth.login": "the login form",
    "auth.password": "the user's own password form",
    "auth.invite": "an invitation to log in: the invitee's own name and username",
    "admin.users": "staff accounts",
    "admin.user_new": "a staff account form",
    "admin.user_edit": "a staff account form",
    "admin.departments": "departments and their heads",
    "admin.department_edit": "a department form",
    "admin.classes": "classes with their homeroom teachers and head counts",
    "admin.class_edit": "a class form",
    "admin.years": "school years and their calendars",
    "admin.year_edit": "a school year form",
    "admin.school": "the school's own details",
    "admin.audit_log": "user names, action codes and record numbers, never a student's name",
    "logins.accounts": "staff accounts, whether each has a password or a login code waiting",
    "imports.upload": "the upload form (the preview of a file is a POST: the admin's own file)",
    "roster.classes": "classes with head counts",
    "screening.summary": "counts only",
    "screening.criteria": "the school's risk criteria",
    "assignments.pledge": "the user's own pledge form",
    "assignments.pledges": "staff pledges and loads",
    "assignments.coverage": "counts only",
    "escalations.directory": "the directory of referral services",
    "escalations.service_edit": "a referral service form",
    "escalations.holidays": "the school's holidays",
    "emulation.index": "the list of emulation sheets",
    "emulation.rubric_page": "the emulation criteria",
    "emulation.sheet": "staff emulation scores",
    "emulation.mine": "the user's own emulation scores",
    "emulation.contests": "staff contests of their scores",
    "reports.index": "the reports' deadlines and states",
}

