"""Reading the roster: classes, class lists, student search and records (audited)."""

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user, login_required

from .. import audit
from ..context import require_year
from ..models import StudentStatus
from ..pagecache import cached_page
from ..pagination import paginate_rows
from ..params import int_arg
from ..permissions import (
    ROSTER_READERS,
    can_view_screening,
    get_class_or_404,
    get_student_or_404,
    role_required,
)
from ..screening import services as screening_services
from . import services

bp = Blueprint("roster", __name__)



@bp.get("/classes")
@role_required(*ROSTER_READERS)
def classes():
    year = require_year()
    return render_template("roster/classes.html", rows=services.classes_with_counts(current_user, year), year=year)


@bp.get("/classes/<int:class_id>")
@login_required
def class_detail(class_id: int):
    class_group = get_class_or_404(class_id)
    students = services.class_students(class_group)
    audit.viewed(class_group)  # the row is written once the page is built (audit.record_page_view)
    return render_template("roster/class_detail.html", class_group=class_group, students=students)


@bp.get("/students")
@role_required(*ROSTER_READERS)
def students():
    year = require_year()
    query = request.args.get("q", "")[:100]
    status = request.args.get("status") or None
    status = StudentStatus(status) if status in {s.value for s in StudentStatus} else None
    class_id = int_arg("class_id")
    stmt = services.search_students(current_user, year, query, class_id, status)
    page = paginate_rows(stmt, int_arg("page", 1), current_app.config["PER_PAGE"])
    classes = services.classes_with_counts(current_user, year)
    audit.viewed(year)
    return render_template("roster/students.html", page=page, q=query, status=status, class_id=class_id,
                           classes=classes, year=year)


@bp.get("/students/<int:student_id>")
@login_required
def student_detail(student_id: int):
    year = require_year()
    student = get_student_or_404(student_id, year)  # the permission check, on every view

    def render() -> str:
        screenings = [sc for sc in screening_services.student_history(student)
                      if can_view_screening(current_user, sc)]
        return render_template("roster/student_detail.html", student=student,
                               enrollment=services.enrollment_in(student, year),
                               history=services.student_history(student), screenings=screenings)
    audit.viewed(student)  # every view is on record, from the store or not
    return cached_page(render)
