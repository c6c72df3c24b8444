"""The twice-yearly reports (leadership; the union sees the figures), the year-end review and the
rollover of open cases into the next school year (leadership)."""

from types import SimpleNamespace

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from wtforms.fields.choices import SelectChoice

from .. import audit
from ..context import require_year
from ..exceptions import RuleError
from ..extensions import db
from ..forms import version_conflict
from ..models import Role, School, Student
from ..permissions import can_prepare_reports, get_in_school_or_404, get_year_or_404, role_required
from ..timeutil import local_today
from . import export, rollover, services
from .forms import (
    CLOSE_REASON_LABELS,
    DECISION_LABELS,
    CaseForm,
    ReportForm,
    RolloverForm,
    SubmitReportForm,
    UnlockReportForm,
)

bp = Blueprint("reports", __name__)

OUTCOME_LABELS = {"carried": _l("Tiếp tục đỡ đầu"), "handed_over": _l("Bàn giao GV khác"),
                  "closed": _l("Kết thúc đỡ đầu"), "dropped_out": _l("Bỏ học"), "transferred": _l("Chuyển trường"),
                  "graduated": _l("Ra trường"), "ended": _l("Kết thúc trong năm"), "open": _l("Chưa quyết định")}


@bp.context_processor
def _labels():
    return {"narrative_titles": services.NARRATIVE_TITLES, "outcome_labels": OUTCOME_LABELS,
            "decision_labels": DECISION_LABELS, "close_reason_labels": CLOSE_REASON_LABELS}


def _term_or_404(term: int) -> int:
    if term not in services.TERMS:
        abort(404)
    return term


@bp.get("/")
@role_required(Role.LEADER, Role.UNION)
def index():
    year = require_year()
    found = services.reports_of(year)
    return render_template("reports/index.html", year=year, reports=found,
                           items=services.home_status(year, local_today()),
                           closure=rollover.closure_of(year))


def _report_page(year, term, report, form=None, status=200):
    from ..documents.web import render_html

    school = db.session.get(School, year.school_id)
    doc = services.document(school, year, term, report)
    if not can_prepare_reports(current_user):  # the union: figures only, no names, no narratives
        audit.viewed(None, school_id=year.school_id, year=year.name, term=term, figures_only=True)
        return render_template("reports/figures.html", year=year, term=term, report=report, doc=doc), status
    if form is None:
        # Without a draft the document is the one generated as of the default date: its figures
        # give the starting text of the results.
        form = ReportForm(obj=report) if report else ReportForm(
            as_of=services.default_as_of(year, term, local_today()), report_date=local_today(),
            results=services.generated_results(services.draft_values(doc), term))
        form.version.data = report.version if report else 0
    official = export.report_document(doc)
    page = render_template("reports/report.html", year=year, term=term, report=report, doc=official,
                           document=render_html(official), form=form,
                           submit_form=SubmitReportForm(version=report.version if report else 0),
                           unlock_form=UnlockReportForm(), conflict=status == 409,
                           deadline=services.deadline(year, term))
    # Every view is audited with the students it contained (the row is written once the page is built).
    audit.viewed(None, school_id=year.school_id, year=year.name, term=doc["term"], as_of=doc["as_of"],
                 student_ids=services.student_ids(doc))
    return page, status


@bp.get("/<int:year_id>/<int:term>")
@role_required(Role.LEADER, Role.UNION)
def report(year_id: int, term: int):
    year = get_year_or_404(year_id)
    term = _term_or_404(term)
    return _report_page(year, term, services.report_of(year, term))


@bp.post("/<int:year_id>/<int:term>")
@role_required(Role.LEADER)
def save(year_id: int, term: int):
    year = get_year_or_404(year_id)
    term = _term_or_404(term)
    report = services.report_of(year, term)
    form = ReportForm()
    if not form.validate_on_submit():
        return _report_page(year, term, report, form=form)
    if version_conflict(form, report or SimpleNamespace(version=0)):
        form.version.data = report.version if report else 0
        return _report_page(year, term, report, form=form, status=409)
    data = {k: getattr(form, k).data for k in ("number", "as_of", "report_date", "results", "difficulties",
                                               "proposals")}
    try:
        if report is None:
            report = services.start_report(year, term, by=current_user)
        services.save_report(report, data, by=current_user)
        db.session.commit()
    except RuleError as err:
        db.session.rollback()
        form.form_errors.append(str(err))
        return _report_page(year, term, services.report_of(year, term), form=form)
    except (StaleDataError, IntegrityError):
        db.session.rollback()
        latest = services.report_of(year, term)
        form.version.data = latest.version if latest else 0
        form.form_errors.append(_("Báo cáo vừa được người khác sửa. Nội dung bạn nhập vẫn còn bên dưới; "
                                  "hãy mở lại trang trong thẻ khác để xem bản mới."))
        return _report_page(year, term, latest, form=form, status=409)
    flash(_("Đã lưu bản nháp báo cáo."), "success")
    return redirect(url_for("reports.report", year_id=year.id, term=term))


@bp.post("/<int:year_id>/<int:term>/submit")
@role_required(Role.LEADER)
def submit(year_id: int, term: int):
    year = get_year_or_404(year_id)
    term = _term_or_404(term)
    report = services.report_of(year, term)
    form = SubmitReportForm()
    if report is None:
        flash(_("Hãy lưu bản nháp báo cáo trước khi gửi."), "danger")
    elif not form.validate_on_submit() or version_conflict(form, report):
        flash(_("Báo cáo vừa được sửa sau khi bạn mở trang; hãy xem lại rồi gửi."), "danger")
    else:
        try:
            services.submit(report, db.session.get(School, year.school_id), by=current_user)
            db.session.commit()
            flash(_("Đã khoá và gửi báo cáo. Số liệu của báo cáo không thay đổi nữa."), "success")
        except RuleError as err:
            db.session.rollback()
            flash(str(err), "danger")
        except StaleDataError:
            db.session.rollback()
            flash(_("Báo cáo vừa được người khác sửa; hãy xem lại rồi gửi."), "danger")
    return redirect(url_for("reports.report", year_id=year.id, term=term))


@bp.post("/<int:year_id>/<int:term>/unlock")
@role_required(Role.LEADER)
def unlock(year_id: int, term: int):
    year = get_year_or_404(year_id)
    term = _term_or_404(term)
    report = services.report_of(year, term)
    form = UnlockReportForm()
    if report is None:
        abort(404)
    if not form.validate_on_submit():
        flash(_("Cần ghi lý do mở khoá báo cáo."), "danger")
        return redirect(url_for("reports.report", year_id=year.id, term=term))
    try:
        services.unlock(report, form.reason.data, by=current_user)
        db.session.commit()
        flash(_("Đã mở khoá báo cáo; bản đã gửi được lưu trong nhật ký."), "warning")
    except RuleError as err:
        db.session.rollback()
        flash(str(err), "danger")
    return redirect(url_for("reports.report", year_id=year.id, term=term))


def _report_file(year_id: int, term: int, fmt: str):
    """The report as a workbook or a PDF, one document model for both (audited alike)."""
    from ..documents.web import send_document

    year = get_year_or_404(year_id)
    term = _term_or_404(term)
    doc = services.document(db.session.get(School, year.school_id), year, term, services.report_of(year, term))
    response = send_document(export.report_document(doc), fmt)
    services.record_view(doc, year, "exported", school_id=year.school_id, via="web", format=fmt)
    db.session.commit()
    return response


@bp.get("/<int:year_id>/<int:term>/report.xlsx")
@role_required(Role.LEADER)
def report_xlsx(year_id: int, term: int):
    return _report_file(year_id, term, "xlsx")


@bp.get("/<int:year_id>/<int:term>/report.pdf")
@role_required(Role.LEADER)
def report_pdf(year_id: int, term: int):
    return _report_file(year_id, term, "pdf")


@bp.get("/<int:year_id>/<int:term>/print")
@role_required(Role.LEADER)
def report_print(year_id: int, term: int):
    from ..documents.web import render_html

    year = get_year_or_404(year_id)
    term = _term_or_404(term)
    report = services.report_of(year, term)
    doc = services.document(db.session.get(School, year.school_id), year, term, report)
    official = export.report_document(doc)
    page = render_template("reports/print.html", year=year, term=term, report=report, doc=official,
                           document=render_html(official))
    services.record_view(doc, year, "printed", school_id=year.school_id)  # once the page is built
    db.session.commit()
    return page


# --- the year-end review and the rollover -------------------------------------------------

@bp.get("/<int:year_id>/review")
@role_required(Role.LEADER)
def review(year_id: int):
    year = get_year_or_404(year_id)
    rows = rollover.review(year)
    audit.viewed(year, student_ids=[r.student_id for r in rows])  # the row is written once the page is built
    from ..documents.model import missing_header_fields

    school = db.session.get(School, year.school_id)  # the downloads' header data, warned about when missing
    return render_template("reports/review.html", year=year, rows=rows, counts=rollover.review_counts(rows),
                           closure=rollover.closure_of(year), commendations=_review_commendations(year),
                           doc=SimpleNamespace(missing=missing_header_fields(school)))


def _review_commendations(year):
    """The year's outstanding collectives and individuals, from the emulation result of the year."""
    return services.commendations_part(year, "year", min(local_today(), year.end_date))


def _review_file(year_id: int, fmt: str):
    """The year-end review as a workbook or a PDF, one document model for both (audited alike)."""
    from ..documents.web import send_document

    year = get_year_or_404(year_id)
    rows = rollover.review(year)
    doc = export.review_document(db.session.get(School, year.school_id), year, rows, _review_commendations(year))
    response = send_document(doc, fmt)
    audit.record("year_review_exported", year, student_ids=[r.student_id for r in rows], format=fmt)
    db.session.commit()
    return response


@bp.get("/<int:year_id>/review.xlsx")
@role_required(Role.LEADER)
def review_xlsx(year_id: int):
    return _review_file(year_id, "xlsx")


@bp.get("/<int:year_id>/review.pdf")
@role_required(Role.LEADER)
def review_pdf(year_id: int):
    return _review_file(year_id, "pdf")


def _rollover_page(year, forms=None, status=200):
    target = rollover.next_year_of(year)
    cases = rollover.cases(year, target)
    audit.viewed(year, student_ids=[case.student.id for case in cases])  # also a refused decision shown again
    mentors = rollover.mentor_choices(year.school_id)
    forms = forms or {}
    for case in cases:
        if case.decided is None and case.student.id not in forms:
            forms[case.student.id] = _case_form(mentors, case, formdata=None)
    return render_template("reports/rollover.html", year=year, target=target, cases=cases, forms=forms,
                           action_form=RolloverForm(), closure=rollover.closure_of(year)), status


def _case_form(mentors, case, formdata):
    form = CaseForm(formdata=formdata, prefix=f"c{case.student.id}")
    form.mentor_id.choices = [SelectChoice("", _("— chọn GV —"))] + [SelectChoice(str(u.id), u.full_name)
                                                                      for u in mentors]
    if formdata is None:
        if case.main is not None:
            form.mentor_id.data = str(case.main.mentor_id)
        if not case.mentor_active:
            form.decision.data = "handover"
    return form


@bp.get("/<int:year_id>/rollover")
@role_required(Role.LEADER)
def rollover_page(year_id: int):
    return _rollover_page(get_year_or_404(year_id))


@bp.post("/<int:year_id>/rollover")
@role_required(Role.LEADER)
def rollover_action(year_id: int):
    year = get_year_or_404(year_id)
    form = RolloverForm()
    action = request.form.get("action", "")
    if not form.validate_on_submit() or action not in {"create_year", "promote", "carry_all", "close_year"}:
        flash(_("Yêu cầu không hợp lệ; hãy thử lại."), "danger")
        return redirect(url_for("reports.rollover_page", year_id=year.id))
    target = rollover.next_year_of(year)
    try:
        if action == "create_year":
            created = rollover.create_next_year(year, by=current_user)
            message = _("Đã tạo năm học %(y)s (cùng lịch với năm học cũ, dời sang năm sau).", y=created.name)
        elif target is None:
            raise RuleError(_("Chưa có năm học tiếp theo: hãy tạo năm học mới trước."))
        elif action == "promote":
            classes, students = rollover.promote_classes(year, target, by=current_user)
            message = _("Lên lớp: tạo %(c)d lớp, xếp lớp %(s)d học sinh vào năm học %(y)s.", c=classes, s=students,
                        y=target.name)
        elif action == "carry_all":
            carried, left = rollover.carry_all(year, target, by=current_user)
            message = _("Đã chuyển tiếp %(n)d trường hợp; còn %(m)d trường hợp cần quyết định từng em.", n=carried,
                        m=left)
        else:
            rollover.close_year(year, target, by=current_user)
            message = _("Đã kết thúc năm học %(y)s: số liệu của năm học không thay đổi nữa.", y=year.name)
        db.session.commit()
    except RuleError as err:
        db.session.rollback()
        flash(str(err), "danger")
        return redirect(url_for("reports.rollover_page", year_id=year.id))
    flash(message, "success")
    return redirect(url_for("reports.rollover_page", year_id=year.id))


@bp.post("/<int:year_id>/rollover/<int:student_id>")
@role_required(Role.LEADER)
def decide(year_id: int, student_id: int):
    year = get_year_or_404(year_id)
    student = get_in_school_or_404(Student, student_id)
    target = rollover.next_year_of(year)
    if target is None:
        flash(_("Chưa có năm học tiếp theo: hãy tạo năm học mới trước."), "danger")
        return redirect(url_for("reports.rollover_page", year_id=year.id))
    try:
        case = rollover.case_of(year, target, student)
    except RuleError:
        abort(404)
    form = _case_form(rollover.mentor_choices(year.school_id), case, formdata=request.form)
    if not form.validate_on_submit():
        return _rollover_page(year, forms={student.id: form})
    try:
        rollover.decide(year, target, student, {"decision": form.decision.data, "mentor_id": form.mentor_id.data,
                                                "close_reason": form.close_reason.data, "note": form.note.data},
                        by=current_user)
        db.session.commit()
    except (RuleError, ValueError) as err:
        db.session.rollback()
        form.form_errors.append(str(err))
        return _rollover_page(year, forms={student.id: form})
    flash(_("Đã ghi quyết định cho %(n)s.", n=student.full_name), "success")
    return redirect(url_for("reports.rollover_page", year_id=year.id) + f"#case-{student.id}")
