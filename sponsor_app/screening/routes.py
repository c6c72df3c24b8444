"""Risk screening: homeroom boards, proposals, the record and its workflow, the at-risk list,
counts, the export and the criteria editor."""


from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm.exc import StaleDataError

from .. import audit
from ..context import require_year
from ..exceptions import RuleError
from ..extensions import db
from ..forms import version_conflict
from ..main.services import homeroom_classes
from ..models import ClassGroup, Decision, Role, Screening, Student, StudentStatus
from ..pagecache import cached_page
from ..pagination import paginate_rows
from ..params import int_arg, to_int
from ..permissions import (
    SCREENING_COUNT_READERS,
    can_decide_screening,
    can_edit_screening,
    can_manage_criteria,
    can_propose_screening,
    can_verify_screening,
    get_in_school_or_404,
    get_screening_or_404,
    role_required,
    visible_screenings,
)
from ..roster.services import classes_with_counts, enrollment_in
from . import services
from .forms import ContactForm, CriteriaForm, DecisionForm, ScreeningForm

bp = Blueprint("screening", __name__)



def _homeroom_or_leader_class(class_id: int) -> ClassGroup:
    class_group = get_in_school_or_404(ClassGroup, class_id)
    if not (current_user.has_role(Role.LEADER) or class_group.homeroom_teacher_id == current_user.id):
        abort(403)
    return class_group


@bp.get("/")
@login_required
def index():
    """My screening page: homeroom classes, my proposals, and the search to propose a student."""
    if not can_propose_screening(current_user):
        abort(403)
    year = require_year()
    mine = services.filtered_list(
        visible_screenings(current_user, year).where(
            Screening.proposed_by_id == current_user.id), year, services.ListFilters())
    audit.viewed(year)
    return render_template("screening/index.html", year=year, proposals=db.session.execute(mine).all(),
                           homeroom=homeroom_classes(current_user, year),
                           q=request.args.get("q", "")[:100],
                           found=services.searchable_students(current_user.school_id, year,
                                                              request.args.get("q", "")[:100]))


@bp.get("/classes/<int:class_id>")
@login_required
def class_board(class_id: int):
    class_group = _homeroom_or_leader_class(class_id)
    rows = services.class_board(class_group)
    audit.viewed(class_group)  # the row is written once the page is built
    return render_template("screening/class_board.html", class_group=class_group, rows=rows)


@bp.route("/students/<int:student_id>/new", methods=["GET", "POST"])
@login_required
def create(student_id: int):
    if not can_propose_screening(current_user):
        abort(403)
    year = require_year()
    student = get_in_school_or_404(Student, student_id)
    enrollment = enrollment_in(student, year)
    if enrollment is None or student.status != StudentStatus.ENROLLED:
        flash(_("Học sinh này không học ở trường trong năm học %(y)s.", y=year.name), "warning")
        return redirect(url_for("screening.index"))
    existing = services.screening_for(student, year)
    if existing is not None:
        if can_edit_screening(current_user, existing):
            return redirect(url_for("screening.detail", screening_id=existing.id))
        flash(_("Học sinh %(n)s đã có phiếu rà soát năm nay. Hãy trao đổi thông tin với GVCN lớp %(c)s.",
                n=student.full_name, c=enrollment.class_group.name), "info")
        return redirect(url_for("screening.index"))
    form = ScreeningForm()
    if request.method == "GET":
        form.ethnic_minority.data = bool(student.ethnicity and student.ethnicity.strip().lower() != "kinh")
        form.disability.data = bool(student.disability)
        form.poor_household.data = bool(student.policy and "nghèo" in student.policy.lower()
                                        and "cận" not in student.policy.lower())
        form.near_poor_household.data = bool(student.policy and "cận nghèo" in student.policy.lower())
        form.far_from_school.data = bool(student.boarding)
    if form.validate_on_submit():
        try:
            screening = services.create_screening(student, year, form.record_data(), by=current_user)
        except RuleError as err:
            flash(str(err), "warning")
        else:
            db.session.commit()
            flash(_("Đã lưu phiếu rà soát. Hãy ghi thêm các kênh thông tin đã tìm hiểu."), "success")
            return redirect(url_for("screening.detail", screening_id=screening.id))
    audit.viewed(student, via="screening_form")  # the form is filled from the student's record
    return render_template("screening/form.html", form=form, student=student, class_group=enrollment.class_group,
                           year=year, screening=None)


@bp.get("/<int:screening_id>")
@login_required
def detail(screening_id: int):
    screening = get_screening_or_404(screening_id)
    audit.viewed(screening, student_id=screening.student_id)
    enrollment = enrollment_in(screening.student, screening.school_year)
    return render_template("screening/detail.html", screening=screening, enrollment=enrollment,
                           contact_form=ContactForm(), decision_form=DecisionForm(version=screening.version))


def _screening_changed() -> str:
    """The conflict of a screening edit or decision: a stale or missing version, or a StaleDataError."""
    return _("Phiếu này vừa được người khác sửa. Hãy mở lại để xem bản mới.")


@bp.route("/<int:screening_id>/edit", methods=["GET", "POST"])
@login_required
def edit(screening_id: int):
    screening = get_screening_or_404(screening_id, can_edit_screening)
    form = ScreeningForm(obj=screening)
    if request.method == "GET":
        form.rating_scale.data = screening.rating_scale.value
        form.version.data = screening.version
    if form.validate_on_submit() and not version_conflict(form, screening, _screening_changed()):
        services.update_screening(screening, form.record_data(), by=current_user)
        try:
            db.session.commit()
        except StaleDataError:
            db.session.rollback()
            form.form_errors.append(_screening_changed())
        else:
            flash(_("Đã lưu phiếu rà soát."), "success")
            return redirect(url_for("screening.detail", screening_id=screening.id))
    # The form shows the whole record (its narratives too): a view of it, audited as such.
    audit.viewed(screening, student_id=screening.student_id, via="edit")
    enrollment = enrollment_in(screening.student, screening.school_year)
    return render_template("screening/form.html", form=form, student=screening.student,
                           class_group=enrollment.class_group if enrollment else None, year=screening.school_year,
                           screening=screening)


@bp.post("/<int:screening_id>/contacts")
@login_required
def add_contact(screening_id: int):
    screening = get_screening_or_404(screening_id, can_edit_screening)
    form = ContactForm()
    if form.validate_on_submit():
        services.add_contact(screening, form.data, by=current_user)
        db.session.commit()
        flash(_("Đã ghi thêm kênh thông tin."), "success")
        return redirect(url_for("screening.detail", screening_id=screening.id))
    audit.viewed(screening, student_id=screening.student_id)
    enrollment = enrollment_in(screening.student, screening.school_year)
    return render_template("screening/detail.html", screening=screening, enrollment=enrollment,
                           contact_form=form, decision_form=DecisionForm(formdata=None, version=screening.version))


@bp.post("/<int:screening_id>/verify")
@login_required
def verify(screening_id: int):
    screening = get_screening_or_404(screening_id, can_verify_screening)
    services.verify(screening, by=current_user)  # CSRF is checked for every POST by CSRFProtect
    db.session.commit()
    flash(_("Đã xác minh phiếu rà soát."), "success")
    return redirect(url_for("screening.detail", screening_id=screening.id))


@bp.post("/<int:screening_id>/decide")
@login_required
def decide(screening_id: int):
    screening = get_screening_or_404(screening_id, can_decide_screening)
    form = DecisionForm()
    if form.validate_on_submit() and not version_conflict(form, screening, _screening_changed()):
        try:
            services.decide(screening, Decision(form.decision.data), form.reason.data, by=current_user)
            db.session.commit()
        except RuleError as err:
            db.session.rollback()
            form.reason.errors.append(str(err))
        except StaleDataError:
            db.session.rollback()
            form.form_errors.append(_screening_changed())
        else:
            flash(_("Đã ghi kết luận."), "success")
            return redirect(url_for("screening.detail", screening_id=screening.id))
    audit.viewed(screening, student_id=screening.student_id)
    enrollment = enrollment_in(screening.student, screening.school_year)
    return render_template("screening/detail.html", screening=screening, enrollment=enrollment,
                           contact_form=ContactForm(formdata=None), decision_form=form)


def _filters() -> services.ListFilters:
    args = request.args
    return services.ListFilters(
        q=args.get("q", "")[:100], class_id=int_arg("class_id"), grade=int_arg("grade", hi=12),
        category=args.get("category") or None, level=args.get("level") or None, status=args.get("status") or None,
        without_mentor=args.get("without_mentor") == "1", sort="score" if args.get("sort") == "score" else "class")


@bp.get("/list")
@role_required(Role.LEADER)
def at_risk_list():
    year = require_year()

    def render() -> str:
        filters = _filters()
        stmt = services.filtered_list(visible_screenings(current_user, year), year, filters)
        page = paginate_rows(stmt, int_arg("page", 1), current_app.config["PER_PAGE"])
        return render_template("screening/list.html", page=page, filters=filters, year=year,
                               classes=classes_with_counts(current_user, year),
                               counts=services.year_counts(current_user.school_id, year),
                               capacity=services.capacity(current_user.school_id, year),
                               args={k: v for k, v in request.args.items() if k != "page"},
                               doc=_header_check(current_user.school))
    audit.viewed(year)  # every view is on record, from the store or not
    return cached_page(render)


def _header_check(school):
    """What `documents/_missing.html` needs on a page offering a document: the header data still empty."""
    from types import SimpleNamespace

    from ..documents.model import missing_header_fields

    return SimpleNamespace(missing=missing_header_fields(school))


def _export(fmt: str):
    """The at-risk list as a workbook or a PDF, filtered as the page is (audited the same way)."""
    from ..documents.web import send_document
    from .at_risk_list import at_risk_document

    year = require_year()
    filters = _filters()
    rows = db.session.execute(services.filtered_list(visible_screenings(current_user, year), year, filters)).all()
    chosen = db.session.get(ClassGroup, filters.class_id) if filters.class_id else None
    class_name = chosen.name if chosen and chosen.school_year_id == year.id else None
    response = send_document(at_risk_document(current_user.school, year, rows, filters, class_name), fmt)
    audit.record("export_at_risk_list", year, rows=len(rows), filters={k: v for k, v in request.args.items()},
                 format=fmt)
    db.session.commit()
    return response


@bp.get("/list.xlsx")
@role_required(Role.LEADER)
def export():
    return _export("xlsx")


@bp.get("/list.pdf")
@role_required(Role.LEADER)
def list_pdf():
    return _export("pdf")


@bp.get("/summary")
@role_required(*SCREENING_COUNT_READERS)
def summary():
    year = require_year()
    return render_template("screening/summary.html", year=year,
                           counts=services.year_counts(current_user.school_id, year),
                           capacity=services.capacity(current_user.school_id, year))


@bp.route("/criteria", methods=["GET", "POST"])
@login_required
def criteria():
    if not can_manage_criteria(current_user):
        abort(403)
    year = require_year()
    rows = services.ensure_default_criteria(year)
    if request.method == "GET":
        form = CriteriaForm(data={
            "criteria": [{"id": c.id, "label": c.label, "kind": c.kind.value, "parameter": c.parameter,
                          "weight": c.weight, "active": c.active} for c in rows],
            "risk_medium_min": year.risk_medium_min, "risk_high_min": year.risk_high_min})
    else:
        form = CriteriaForm()
    if form.validate_on_submit():
        data = [{"id": to_int(r["id"], lo=1), "label": r["label"], "kind": r["kind"],
                 "parameter": r["parameter"].strip(), "weight": r["weight"], "active": r["active"]}
                for r in form.criteria.data]
        if form.new_label.data:
            data.append({"id": None, "label": form.new_label.data, "kind": form.new_kind.data,
                         "parameter": (form.new_parameter.data or "").strip(), "weight": form.new_weight.data or 1,
                         "active": True})
        try:
            count = services.save_criteria(year, data, medium_min=form.risk_medium_min.data,
                                           high_min=form.risk_high_min.data)
        except RuleError as err:
            db.session.rollback()
            form.form_errors.append(str(err))
        else:
            db.session.commit()
            flash(_("Đã lưu tiêu chí và tính lại điểm của %(n)d phiếu rà soát.", n=count), "success")
            return redirect(url_for("screening.criteria"))
    else:
        db.session.commit()  # the defaults created for a new year are kept
    return render_template("screening/criteria.html", form=form, year=year)
