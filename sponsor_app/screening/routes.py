"""Risk screening: homeroom boards, proposals, the record and its workflow, the at-risk list,
counts, the export and the criteria editor."""


from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
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
    get_screening_class_or_404,
    get_screening_or_404,
    role_required,
    visible_screenings,
)
from ..roster.services import classes_with_counts, enrollment_in
from . import services, sheet
from .forms import (
    BulkApproveForm,
    ContactForm,
    CriteriaForm,
    DecisionForm,
    ScreeningForm,
    SheetConfirmForm,
    SheetUploadForm,
)

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
    return render_template("screening/class_board.html", class_group=class_group, rows=rows,
                           upload_form=SheetUploadForm(formdata=None))


# --- the class's screening sheet: download, fill in Excel, upload, preview, confirm -----------

SHEET_KIND = "screening_sheet"  # the kind of the upload kept between the preview and the confirmation


@bp.get("/classes/<int:class_id>/sheet.xlsx")
@login_required
def class_sheet(class_id: int):
    """The class's sheet to fill in Excel (the students screened this year pre-filled)."""
    from ..xlsx import send_workbook

    class_group = get_screening_class_or_404(class_id)
    rows = sheet.sheet_students(class_group)
    response = send_workbook(sheet.build_sheet(class_group, rows), sheet.sheet_filename(class_group))
    audit.record("screening_sheet_exported", class_group, year=class_group.school_year.name, rows=len(rows),
                 prefilled=sum(1 for _s, screening in rows if screening is not None))
    db.session.commit()
    return response


def _sheet_preview(class_group, result, filename, token, status=200):
    audit.viewed(class_group, via="screening_sheet")  # the rows name the class's students and their records
    return render_template("screening/sheet_preview.html", class_group=class_group, result=result,
                           filename=filename, confirm_form=SheetConfirmForm(token=token) if token else None,
                           upload_form=SheetUploadForm(formdata=None)), status


@bp.post("/classes/<int:class_id>/sheet")
@login_required
def upload_sheet(class_id: int):
    """Read an uploaded sheet and show every row's problems; keep the file for the confirmation when
    there is none."""
    from ..imports.routes import _filename
    from ..imports.services import store_pending
    from ..imports.xlsx import ImportFileError

    class_group = get_screening_class_or_404(class_id)
    form = SheetUploadForm()
    error = None
    if form.validate_on_submit():
        filename = _filename(form.file.data.filename)
        data = form.file.data.read()
        try:
            result = sheet.parse_sheet(data, class_group)
        except ImportFileError as err:
            error = str(err)
        else:
            token = None
            if not result.has_errors:
                token = store_pending(data, user=current_user, kind=SHEET_KIND, year_id=class_group.school_year_id,
                                      class_name=class_group.name, filename=filename)
            return _sheet_preview(class_group, result, filename, token)
    return render_template("screening/sheet_upload.html", class_group=class_group, upload_form=form,
                           import_error=error), 400


@bp.post("/classes/<int:class_id>/sheet/confirm")
@login_required
def confirm_sheet(class_id: int):
    """Write the previewed sheet: every filled row or none."""
    from ..imports.services import discard_pending, load_pending
    from ..imports.xlsx import ImportFileError

    class_group = get_screening_class_or_404(class_id)
    form = SheetConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    board = url_for(".class_board", class_id=class_group.id)
    pending = load_pending(form.token.data, current_user, kinds=(SHEET_KIND,))
    if pending is None or (pending.meta.get("year_id"), pending.meta.get("class_name")) != (
            class_group.school_year_id, class_group.name):
        flash(_("Không còn tệp đã tải lên (quá 1 giờ hoặc đã nhập xong). Hãy tải tệp lên lại."), "warning")
        return redirect(board)
    filename = pending.meta.get("filename")
    try:
        result = sheet.parse_sheet(pending.data, class_group)
        summary = sheet.apply_sheet(result, class_group, by=current_user, source=filename, planned=True)
        db.session.commit()
    except ImportFileError as err:
        db.session.rollback()
        discard_pending(pending.token)
        flash(str(err), "danger")
        return redirect(board)
    except sheet.SheetRejected as rejected:  # the records changed since the preview: the problems as they are now
        db.session.rollback()
        discard_pending(pending.token)
        return _sheet_preview(class_group, rejected.result, filename, None, status=409)
    except (IntegrityError, StaleDataError, RuleError):
        db.session.rollback()
        flash(_("Dữ liệu vừa được người khác thay đổi trong lúc nhập nên chưa lưu gì. Hãy tải tệp lên lại."),
              "warning")
        return redirect(board)
    discard_pending(pending.token)
    flash(_("Đã nhập bảng rà soát lớp %(c)s: %(new)d phiếu mới (đề xuất), %(upd)d phiếu cập nhật, %(same)d phiếu "
            "không đổi; %(skip)d dòng để trống được bỏ qua.", c=class_group.name, new=len(summary.created),
            upd=len(summary.updated), same=summary.unchanged, skip=summary.skipped), "success")
    return redirect(board)


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


BULK_MAX = 500  # records ticked at once (a page shows far fewer)


def _list_url(back: str | None) -> str:
    """Back to the list as it was filtered (a path of this site's list only)."""
    from urllib.parse import urlsplit

    from ..urls import safe_next

    target = safe_next(back)
    if target and urlsplit(target).path == url_for(".at_risk_list"):
        return target
    return url_for(".at_risk_list")


@bp.post("/list/approve")
@role_required(Role.LEADER)
def approve_selected():
    """Approve the records ticked on the list, each as the single approval does; a record changed since
    the page showed it is reported, not approved."""
    year = require_year()
    form = BulkApproveForm()
    if not form.validate_on_submit():
        abort(400)
    back = _list_url(form.back.data)
    versions: dict[int, int] = {}
    for value in request.form.getlist("screening")[:BULK_MAX]:
        screening_id, _sep, version = value.partition(":")
        screening_id, version = to_int(screening_id, lo=1), to_int(version, lo=0)
        if screening_id is not None and version is not None:
            versions[screening_id] = version
    if not versions:
        flash(_("Chưa chọn hồ sơ nào: hãy đánh dấu các hồ sơ cần duyệt."), "warning")
        return redirect(back)
    screenings = [s for s in db.session.scalars(
        select(Screening).where(Screening.id.in_(list(versions)), Screening.school_id == current_user.school_id,
                                Screening.school_year_id == year.id).order_by(Screening.id))
        if can_decide_screening(current_user, s)]
    try:
        result = services.approve_many(screenings, versions, by=current_user)
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        flash(_("Có hồ sơ vừa được người khác sửa trong lúc duyệt nên chưa duyệt hồ sơ nào. Hãy xem lại danh "
                "sách rồi duyệt lại."), "warning")
        return redirect(back)
    if result.approved:
        flash(_("Đã duyệt %(n)d hồ sơ: cần nhận đỡ đầu.", n=len(result.approved)), "success")
    if result.stale:
        flash(_("Chưa duyệt %(n)d hồ sơ vì vừa được sửa hoặc đã có kết luận sau khi trang hiện ra: %(names)s. "
                "Hãy mở hồ sơ để xem bản mới.", n=len(result.stale),
                names=", ".join(s.student.full_name for s in result.stale)), "warning")
    if result.missing:
        flash(_("%(n)d hồ sơ không còn trong danh sách năm học này nên không được duyệt.", n=result.missing),
              "warning")
    return redirect(back)


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
