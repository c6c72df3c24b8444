"""Emulation scoring: the rubric, the month / semester / year sheets, the staff member's own
breakdown with contests, the union's answers, leadership's lock; xlsx, PDF and print view."""


from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm.exc import StaleDataError
from wtforms.fields.choices import SelectChoice

from ..context import require_year
from ..exceptions import RuleError
from ..extensions import db
from ..forms import format_points, parse_points, version_conflict
from ..models import ContestStatus, CriterionSource, Evaluation, Metric, Role
from ..pagecache import cached_page
from ..params import to_int
from ..periods import year_months
from ..permissions import (
    can_answer_contests,
    can_edit_rubric,
    can_lock_emulation,
    can_score_emulation,
    can_view_emulation,
    get_adjustment_or_404,
    get_contest_or_404,
    role_required,
)
from ..text import nfc
from ..timeutil import local_today
from . import export, results, rubric, services
from .forms import (
    AdjustmentForm,
    AnswerForm,
    ContestForm,
    LockForm,
    PublishForm,
    RubricForm,
    ScoresForm,
    UnlockForm,
    WithdrawForm,
)

bp = Blueprint("emulation", __name__)

VIEWERS = (Role.UNION, Role.LEADER)
EXTRA_BAND_ROWS = 2


def _refusal(err: Exception) -> str:
    """The message of a refused change: the rule's own, or a concurrent change to the sheet."""
    return str(err) if isinstance(err, RuleError) else _("Phiếu vừa được người khác thay đổi; hãy thử lại.")


def _sheet_or_404(year, key, stored=None, contests=None):
    today = local_today()
    result = results.sheet(year, key, today, stored, contests)
    if result is None:
        abort(404)
    return result, today


# --- overview -----------------------------------------------------------------------------------

@bp.get("/")
@login_required
def index():
    if not can_view_emulation(current_user):
        return redirect(url_for("emulation.mine"))
    year = require_year()
    rubric.ensure_rubric(year)
    db.session.commit()  # the default rubric of a new year is kept
    stored = results.evaluations_of(year)
    today = local_today()
    months = [(m, results.month_key(m), stored.get(results.month_key(m))) for m in year_months(year)]
    open_contests = sum(1 for c in services.contests_of(year) if c.status == ContestStatus.OPEN)
    return render_template("emulation/index.html", year=year, months=months, stored=stored, today=today,
                           semester_of=lambda m: results.semester_of(year, m), open_contests=open_contests,
                           history=services.lock_history(year)[:10])


# --- the rubric ----------------------------------------------------------------------------------

def _rubric_form_data(year):
    settings = rubric.ensure_rubric(year)
    criteria = rubric.criteria_of(year, include_archived=True)
    bands = rubric.bands_of(year)
    return {
        "criteria": [{"id": str(c.id), "source": c.source.value, "metric": c.metric.value if c.metric else "",
                      "label": c.label, "scope": c.scope.value, "max_points": c.max_points, "active": c.active}
                     for c in criteria],
        "bands": [{"label": b.label, "min_percent": b.min_percent,
                   "commendation": b.commendation.value if b.commendation else ""} for b in bands]
        + [{"label": "", "min_percent": None, "commendation": ""}] * EXTRA_BAND_ROWS,
        "semester_method": settings.semester_method.value, "year_weight1": settings.year_weight1,
        "year_weight2": settings.year_weight2, "contest_days": settings.contest_days, "version": settings.version,
    }


def _rubric_changed() -> str:
    """The conflict of a rubric edit: a stale or missing version, or a StaleDataError at commit."""
    return _("Bộ tiêu chí vừa được người khác sửa. Nội dung bạn nhập vẫn còn bên dưới; "
             "hãy mở lại trang trong thẻ khác để xem bản mới.")


@bp.route("/rubric", methods=["GET", "POST"])
@role_required(*VIEWERS)
def rubric_page():
    year = require_year()
    editable = can_edit_rubric(current_user)
    form = RubricForm() if request.method == "POST" else RubricForm(data=_rubric_form_data(year))
    if request.method == "POST":
        if not editable:
            abort(403)
        if form.validate_on_submit() and not version_conflict(form, rubric.ensure_rubric(year), _rubric_changed()):
            known = {c.id: c for c in rubric.criteria_of(year, include_archived=True)}
            rows = []
            for r in form.criteria.data:
                criterion = known.get(to_int(r["id"]))
                if criterion is None:
                    continue  # a row of another year or a forged id: ignored
                rows.append({"id": criterion.id, "label": r["label"], "source": criterion.source.value,
                             "metric": criterion.metric.value if criterion.metric else None, "scope": r["scope"],
                             "max_points": r["max_points"], "active": r["active"]})
            if form.new_label.data:
                rows.append({"id": None, "label": form.new_label.data, "source": form.new_source.data,
                             "metric": form.new_metric.data or None, "scope": form.new_scope.data,
                             "max_points": form.new_max.data, "active": True})
            bands = [{"label": b["label"], "min_percent": b["min_percent"], "commendation": b["commendation"] or None}
                     for b in form.bands.data]
            try:
                rubric.save_rubric(year, rows, bands, {
                    "semester_method": form.semester_method.data, "w1": form.year_weight1.data,
                    "w2": form.year_weight2.data, "contest_days": form.contest_days.data})
                db.session.commit()
            except RuleError as err:
                db.session.rollback()
                form.form_errors.append(str(err))
            except StaleDataError:
                db.session.rollback()
                form.form_errors.append(_rubric_changed())
            else:
                flash(_("Đã lưu bộ tiêu chí thi đua. Các kết quả chưa khóa được tính lại theo bộ tiêu chí mới."),
                      "success")
                return redirect(url_for("emulation.rubric_page"))
    else:
        db.session.commit()
    criteria = {c.id: c for c in rubric.criteria_of(year, include_archived=True)}
    return render_template("emulation/rubric.html", year=year, form=form, editable=editable, criteria=criteria,
                           metrics=list(Metric))


# --- the sheets ----------------------------------------------------------------------------------

def _typed_cells(result):
    """The manual cells typed in the request: {name: text} (for re-rendering a rejected grid)."""
    return {k: v for k, v in request.form.items() if k[:2] in ("p-", "c-", "b-") or k[:3] == "bc-"}


def _render_sheet(year, key, result, today, *, typed=None, errors=None, conflicts=None, status=200,
                  adjustment_form=None, lock_form=None, unlock_form=None, stored=None, contests=None):
    frozen = services.frozen_reason(year, key, stored)
    scorer = can_score_emulation(current_user) and not frozen and result["kind"] != "year"
    manual = [c for c in result.get("criteria", []) if c["source"] == CriterionSource.MANUAL]
    items = result.get("items", [])
    if adjustment_form is None and scorer and items and result["rows"]:
        adjustment_form = AdjustmentForm()
    if adjustment_form is not None:
        adjustment_form.user_id.choices = [SelectChoice(r["user_id"], r["name"])
                                           for r in sorted(result["rows"], key=lambda r: r["sort_key"])]
        adjustment_form.criterion_id.choices = [
            SelectChoice(c["id"], f"{'+' if c['source'] == 'bonus' else '−'} {c['label']} "
                                  f"({_('tối đa')} {format_points(c['max'])})") for c in items]
    contests = [c for c in (services.contests_of(year) if contests is None else contests) if c.evaluation.key == key
                or (result["kind"] == "semester" and c.evaluation.key in result.get("months", []))]
    return render_template(
        "emulation/sheet.html", year=year, key=key, result=result, today=today, frozen=frozen, scorer=scorer,
        manual=manual, typed=typed or {}, errors=errors or {}, conflicts=conflicts or [],
        adjustment_form=adjustment_form, publish_form=PublishForm(), scores_form=ScoresForm(),
        lock_form=lock_form or LockForm(), unlock_form=unlock_form or UnlockForm(), withdraw_form=WithdrawForm(),
        can_lock=can_lock_emulation(current_user), contests=contests,
        month_title=export.month_title, period=export.period_text(result, year)), status


@bp.get("/sheet/<key>")
@role_required(*VIEWERS)
def sheet(key: str):
    year = require_year()

    def render() -> str:
        stored, contests = results.evaluations_of(year), services.contests_of(year)  # loaded once for the page
        result, today = _sheet_or_404(year, key, stored, contests)
        return _render_sheet(year, key, result, today, stored=stored, contests=contests)[0]
    page = cached_page(render)
    db.session.commit()  # a new year's default rubric is kept (committed last: nothing loaded expires)
    return page


def _grid(result):
    """The manual cells of the posted grid: (entries, errors by cell name)."""
    entries, errors = [], {}
    manual = [c for c in result["criteria"] if c["source"] == CriterionSource.MANUAL]
    for row in result["rows"]:
        for c in manual:
            name = f"{row['user_id']}-{c['id']}"
            if f"p-{name}" not in request.form:
                continue
            try:
                points = parse_points(request.form.get(f"p-{name}"))
                base = parse_points(request.form.get(f"b-{name}"))
            except ValueError:
                errors[name] = _("Điểm không hợp lệ: ghi một số, ví dụ 7 hoặc 7,5.")
                continue
            comment = nfc(request.form.get(f"c-{name}", "")).strip()
            if len(comment) > 500:
                errors[name] = _("Nhận xét tối đa 500 ký tự.")
                continue
            if points is not None and not 0 <= points <= c["max"]:
                errors[name] = _("Điểm từ 0 đến %(max)s.", max=format_points(c["max"]))
                continue
            entries.append({"user_id": row["user_id"], "criterion_id": c["id"], "points": points, "comment": comment,
                            "base_points": base, "base_comment": nfc(request.form.get(f"bc-{name}", "")).strip(),
                            "name": row["name"], "label": c["label"]})
    return entries, errors


@bp.post("/sheet/<key>/scores")
@role_required(*VIEWERS)
def save_scores(key: str):
    year = require_year()
    if not can_score_emulation(current_user):
        abort(403)
    result, today = _sheet_or_404(year, key)
    form = ScoresForm()
    if not form.validate_on_submit():
        return _render_sheet(year, key, result, today, typed=_typed_cells(result))
    entries, errors = _grid(result)
    if errors:
        flash(_("Chưa lưu: có ô điểm không hợp lệ (đánh dấu đỏ bên dưới)."), "danger")
        return _render_sheet(year, key, result, today, typed=_typed_cells(result), errors=errors)
    try:
        saved, conflicts = services.save_scores(year, key, entries, by=current_user, today=today)
        db.session.commit()
    except RuleError as err:
        db.session.rollback()
        flash(str(err), "danger")
        return _render_sheet(year, key, result, today, typed=_typed_cells(result))
    if conflicts:
        result, today = _sheet_or_404(year, key)
        typed = {}
        for c in conflicts:  # keep what was typed; the stored value becomes the base (saving again overwrites it)
            name = f"{c['user_id']}-{c['criterion_id']}"
            typed[f"p-{name}"] = format_points(c["points"])
            typed[f"c-{name}"] = c["comment"] or ""
        flash(_("Đã lưu %(n)d ô. Một số ô vừa được người khác sửa nên chưa lưu giá trị của bạn (xem bên dưới).",
                n=saved), "warning")
        return _render_sheet(year, key, result, today, typed=typed, conflicts=conflicts, status=409)
    flash(_("Đã lưu %(n)d ô điểm.", n=saved) if saved else _("Không có thay đổi."), "success")
    return redirect(url_for("emulation.sheet", key=key))


@bp.post("/sheet/<key>/publish")
@role_required(*VIEWERS)
def publish(key: str):
    year = require_year()
    if not can_score_emulation(current_user) or not PublishForm().validate_on_submit():
        abort(403 if not can_score_emulation(current_user) else 400)
    try:
        evaluation = services.publish(year, key, by=current_user, today=local_today())
        db.session.commit()
    except (RuleError, StaleDataError) as err:
        db.session.rollback()
        flash(_refusal(err), "danger")
    else:
        flash(_("Đã công bố. Cán bộ, giáo viên xem được điểm của mình và có thể khiếu nại đến hết ngày %(day)s.",
                day=evaluation.contest_until.strftime("%d/%m/%Y")), "success")
    return redirect(url_for("emulation.sheet", key=key))


@bp.post("/sheet/<key>/adjustments")
@role_required(*VIEWERS)
def add_adjustment(key: str):
    year = require_year()
    if not can_score_emulation(current_user):
        abort(403)
    result, today = _sheet_or_404(year, key)
    form = AdjustmentForm()
    form.user_id.choices = [SelectChoice(r["user_id"], r["name"]) for r in result["rows"]]
    form.criterion_id.choices = [SelectChoice(c["id"], c["label"]) for c in result.get("items", [])]
    if form.validate_on_submit():
        try:
            services.add_adjustment(year, key, form.user_id.data, form.criterion_id.data, form.points.data,
                                    form.evidence.data, by=current_user, today=today)
            db.session.commit()
        except RuleError as err:
            db.session.rollback()
            form.form_errors.append(str(err))
        else:
            flash(_("Đã ghi khoản điểm."), "success")
            return redirect(url_for("emulation.sheet", key=key) + "#adjustments")
    return _render_sheet(year, key, result, today, adjustment_form=form)


@bp.post("/adjustments/<int:adjustment_id>/withdraw")
@login_required
def withdraw_adjustment(adjustment_id: int):
    adjustment = get_adjustment_or_404(adjustment_id)
    year = require_year()
    evaluation = db.session.get(Evaluation, adjustment.evaluation_id)
    if evaluation.school_year_id != year.id:
        abort(404)
    form = WithdrawForm()
    if not form.validate_on_submit():
        flash(_("Ghi lý do rút khoản điểm."), "danger")
    else:
        try:
            services.withdraw_adjustment(year, adjustment, form.reason.data, by=current_user)
            db.session.commit()
            flash(_("Đã rút khoản điểm (vẫn lưu trong lịch sử)."), "success")
        except RuleError as err:
            db.session.rollback()
            flash(str(err), "danger")
    return redirect(url_for("emulation.sheet", key=evaluation.key) + "#adjustments")


@bp.post("/sheet/<key>/lock")
@role_required(Role.LEADER)
def lock(key: str):
    year = require_year()
    form = LockForm()
    result, today = _sheet_or_404(year, key)
    if not form.validate_on_submit():
        return _render_sheet(year, key, result, today, lock_form=form)
    approved = set(request.form.getlist("approve"))
    try:
        services.lock(year, key, approved, by=current_user, today=today)
        db.session.commit()
    except (RuleError, StaleDataError) as err:
        db.session.rollback()
        form.form_errors.append(_refusal(err))
        return _render_sheet(year, key, result, today, lock_form=form, status=409)
    flash(_("Đã duyệt và khóa kết quả. Dữ liệu thay đổi sau này không làm thay đổi kết quả đã khóa."), "success")
    return redirect(url_for("emulation.sheet", key=key))


@bp.post("/sheet/<key>/unlock")
@role_required(Role.LEADER)
def unlock(key: str):
    year = require_year()
    form = UnlockForm()
    result, today = _sheet_or_404(year, key)
    if not form.validate_on_submit():
        return _render_sheet(year, key, result, today, unlock_form=form)
    try:
        services.unlock(year, key, form.reason.data, by=current_user)
        db.session.commit()
    except (RuleError, StaleDataError) as err:
        db.session.rollback()
        form.form_errors.append(_refusal(err))
        return _render_sheet(year, key, result, today, unlock_form=form, status=409)
    flash(_("Đã mở khóa (ghi vào nhật ký). Kết quả được tính lại từ dữ liệu hiện tại."), "warning")
    return redirect(url_for("emulation.sheet", key=key))


def _sheet_file(key: str, fmt: str):
    from ..documents.web import send_document

    year = require_year()
    result, today = _sheet_or_404(year, key)
    response = send_document(export.document(result, current_user.school, year, today), fmt)
    export.record_export(result, year, fmt)
    db.session.commit()
    return response


@bp.get("/sheet/<key>.xlsx")
@role_required(*VIEWERS)
def sheet_xlsx(key: str):
    return _sheet_file(key, "xlsx")


@bp.get("/sheet/<key>.pdf")
@role_required(*VIEWERS)
def sheet_pdf(key: str):
    return _sheet_file(key, "pdf")


@bp.get("/sheet/<key>/print")
@role_required(*VIEWERS)
def sheet_print(key: str):
    from ..documents.web import render_html

    year = require_year()
    result, today = _sheet_or_404(year, key)
    doc = export.document(result, current_user.school, year, today)
    page = render_template("emulation/print.html", year=year, key=key, doc=doc, document=render_html(doc))
    export.record_export(result, year, "print")
    db.session.commit()
    return page


# --- the staff member's own score -------------------------------------------------------------------

def _my_sheets(year, today):
    """The published or locked sheets the user is on: [(key, result, row, evaluation, contest open)]."""
    stored = results.evaluations_of(year)
    found = []
    semesters = {t: results.semester_sheet(year, t, today, stored) for t in (1, 2)}
    for term in (1, 2):
        sem = semesters[term]
        for mkey, month in sem.get("month_sheets", {}).items():
            evaluation = stored.get(mkey)
            visible = (evaluation is not None and evaluation.status.value != "draft") or \
                sem["evaluation"]["status"] == "locked"
            row = results.row_of(month, current_user.id)
            if visible and row:
                found.append((mkey, month, row, evaluation))
        evaluation = stored.get(results.semester_key(term))
        row = results.row_of(sem, current_user.id)
        if evaluation is not None and evaluation.status.value != "draft" and row:
            found.append((sem["key"], sem, row, evaluation))
    year_eval = stored.get(results.YEAR_KEY)
    if year_eval is not None and year_eval.status.value == "locked":
        ys = results.year_sheet(year, today, stored)
        row = results.row_of(ys, current_user.id)
        if row:
            found.append((ys["key"], ys, row, year_eval))
    out = []
    for key, result, row, evaluation in found:
        frozen = services.frozen_reason(year, key, stored)
        out.append({"key": key, "result": result, "row": row, "evaluation": evaluation, "frozen": frozen,
                    "contest_open": services.contest_open(evaluation, today, frozen)})
    return out


def _mine_page(year, sheets, chosen, form, today):
    return render_template("emulation/mine.html", year=year, sheets=sheets, chosen=chosen, form=form, today=today,
                           contests=services.contests_of(year, current_user), month_title=export.month_title,
                           period_text=lambda r: export.period_text(r, year))


def _contest_choices(chosen) -> list[SelectChoice]:
    return [SelectChoice(0, _("Tổng điểm / điểm cộng, trừ"))] + [
        SelectChoice(c["id"], c["label"]) for c in chosen["result"].get("criteria", [])]


@bp.get("/me")
@login_required
def mine():
    year = require_year()
    today = local_today()
    sheets = _my_sheets(year, today)
    wanted = request.args.get("key")
    chosen = next((s for s in sheets if s["key"] == wanted), None) or (sheets[-1] if sheets else None)
    form = None
    if chosen and chosen["contest_open"]:
        form = ContestForm()
        form.criterion_id.choices = _contest_choices(chosen)
    db.session.commit()
    return _mine_page(year, sheets, chosen, form, today)


@bp.post("/sheet/<key>/contest")
@login_required
def contest(key: str):
    year = require_year()
    today = local_today()
    sheets = {s["key"]: s for s in _my_sheets(year, today)}
    chosen = sheets.get(key)
    if chosen is None:
        abort(404)
    form = ContestForm()
    form.criterion_id.choices = _contest_choices(chosen)
    if form.validate_on_submit():
        try:
            services.file_contest(year, key, form.criterion_id.data or None, form.reason.data, by=current_user,
                                  today=today)
            db.session.commit()
        except RuleError as err:
            db.session.rollback()
            form.form_errors.append(str(err))
        else:
            flash(_("Đã gửi khiếu nại tới BCH Công đoàn."), "success")
            return redirect(url_for("emulation.mine", key=key))
    return _mine_page(year, list(sheets.values()), chosen, form, today)


# --- contests: the union answers ----------------------------------------------------------------------

@bp.get("/contests")
@role_required(*VIEWERS)
def contests():
    year = require_year()
    return render_template("emulation/contests.html", year=year, contests=services.contests_of(year),
                           form=AnswerForm(), can_answer=can_answer_contests(current_user),
                           month_title=export.month_title)


@bp.post("/contests/<int:contest_id>/answer")
@login_required
def answer(contest_id: int):
    contest_row = get_contest_or_404(contest_id)
    if not can_answer_contests(current_user):
        abort(403)
    year = require_year()
    form = AnswerForm()
    if form.validate_on_submit():
        try:
            services.answer_contest(contest_row, form.decision.data == "upheld", form.answer.data, by=current_user)
            db.session.commit()
        except (RuleError, StaleDataError) as err:
            db.session.rollback()
            form.form_errors.append(str(err) if isinstance(err, RuleError) else
                                    _("Khiếu nại vừa được người khác trả lời."))
        else:
            flash(_("Đã trả lời khiếu nại."), "success")
            return redirect(url_for("emulation.contests"))
    return render_template("emulation/contests.html", year=year, contests=services.contests_of(year), form=form,
                           failed_id=contest_row.id, can_answer=True, month_title=export.month_title)
