"""What people do on the emulation sheets: score the manual criteria, add bonuses and penalties
with evidence, publish a sheet to the staff, contest and answer, lock and unlock a result.

Rules:
- a month sheet can be changed until its semester is locked; a semester sheet until it is locked;
- a published sheet opens a contest window of the year's `contest_days`;
- a semester is locked by leadership once published and with no contest left unanswered; its
  snapshot keeps the semester and its month sheets; the year can be locked once both semesters are;
- unlocking needs a reason, is audited and keeps the earlier snapshot in the lock history.

Functions add and flush; the request commits. They raise RuleError with a user-facing message.
"""

from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from .. import audit
from ..exceptions import RuleError
from ..extensions import db
from ..models import (
    ContestStatus,
    CriterionSource,
    EmulationCriterion,
    Evaluation,
    EvaluationAdjustment,
    EvaluationContest,
    EvaluationKind,
    EvaluationLock,
    EvaluationScore,
    EvaluationStatus,
    SchoolYear,
    User,
)
from ..timeutil import utcnow
from . import results
from .rubric import ensure_rubric


def get_or_create(year: SchoolYear, key: str) -> Evaluation:
    parsed = results.parse_key(year, key)
    if parsed is None:
        raise RuleError(_("Không có phiếu đánh giá này trong năm học."))
    evaluation = db.session.scalar(select(Evaluation).where(Evaluation.school_year_id == year.id,
                                                            Evaluation.key == key))
    if evaluation is None:
        kind, month, term = parsed
        evaluation = Evaluation(school_id=year.school_id, school_year_id=year.id, key=key, kind=kind,
                                month=month, term=term)
        db.session.add(evaluation)
        db.session.flush()
    return evaluation


def frozen_reason(year: SchoolYear, key: str, stored: dict[str, Evaluation] | None = None) -> str | None:
    """Why the sheet can no longer be changed (None when it can)."""
    stored = results.evaluations_of(year) if stored is None else stored
    evaluation = stored.get(key)
    if evaluation is not None and evaluation.status == EvaluationStatus.LOCKED:
        return _("Kết quả này đã được Ban giám hiệu duyệt và khóa.")
    parsed = results.parse_key(year, key)
    if parsed and parsed[0] == EvaluationKind.MONTH:
        semester = stored.get(results.semester_key(results.semester_of(year, parsed[1])))
        if semester is not None and semester.status == EvaluationStatus.LOCKED:
            return _("Học kỳ của tháng này đã được khóa.")
    return None


def _require_open(year: SchoolYear, key: str) -> None:
    reason = frozen_reason(year, key)
    if reason:
        raise RuleError(reason)


def _criterion(year: SchoolYear, criterion_id: int, sources) -> EmulationCriterion:
    criterion = db.session.get(EmulationCriterion, criterion_id)
    if criterion is None or criterion.school_year_id != year.id or criterion.source not in sources:
        raise RuleError(_("Tiêu chí không có trong bộ tiêu chí của năm học."))
    return criterion


def save_scores(year: SchoolYear, key: str, entries: list[dict], *, by: User, today: date) -> tuple[int, list[dict]]:
    """Save the manual points typed on a sheet. Each entry: user_id, criterion_id, points (None:
    blank), comment, and base_points / base_comment as the form showed them.

    A cell someone else changed since the form was opened is not overwritten: it is returned
    among the conflicts (with what is stored now). Returns (cells saved, conflicts).
    """
    _require_open(year, key)
    evaluation = results.evaluations_of(year).get(key)  # created with the first score
    sheet = results.sheet(year, key, today)
    on_sheet = {r["user_id"] for r in sheet["rows"]}
    criteria = {c["id"]: c for c in sheet["criteria"] if c["source"] == CriterionSource.MANUAL}
    existing = {(s.user_id, s.criterion_id): s for s in db.session.scalars(
        select(EvaluationScore).where(EvaluationScore.evaluation_id == evaluation.id))} if evaluation else {}
    saved, conflicts = 0, []
    for entry in entries:
        criterion = criteria.get(entry["criterion_id"])
        if criterion is None or entry["user_id"] not in on_sheet:
            raise RuleError(_("Một ô điểm không thuộc phiếu này; hãy mở lại trang."))
        points, comment = entry["points"], (entry.get("comment") or "").strip() or None
        stored = existing.get((entry["user_id"], entry["criterion_id"]))
        now = (stored.points, stored.comment) if stored else (None, None)
        base = (entry.get("base_points"), (entry.get("base_comment") or "").strip() or None)
        if (points, comment) == now:
            continue
        if now != base:  # changed by someone else since the form was opened
            conflicts.append(entry | {"stored_points": now[0], "stored_comment": now[1]})
            continue
        if points is None:
            if stored is not None:
                raise RuleError(_("Không xóa được điểm đã chấm; nhập 0 nếu cần."))
            if comment:
                raise RuleError(_("Nhập điểm cho ô có nhận xét."))
            continue
        if not 0 <= points <= criterion["max"]:
            raise RuleError(_("Điểm \"%(label)s\" phải từ 0 đến %(max)s.", label=criterion["label"],
                              max=_number(criterion["max"])))
        if stored is None:
            evaluation = evaluation or get_or_create(year, key)
            stored = EvaluationScore(evaluation_id=evaluation.id, user_id=entry["user_id"],
                                     criterion_id=entry["criterion_id"], points=points, scored_by_id=by.id)
            db.session.add(stored)
        stored.points, stored.comment, stored.scored_by_id, stored.scored_at = points, comment, by.id, utcnow()
        saved += 1
    if saved:
        audit.record("emulation_scored", evaluation, user=by, key=key, cells=saved)
    db.session.flush()
    return saved, conflicts


def _number(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def publish(year: SchoolYear, key: str, *, by: User, today: date) -> Evaluation:
    """Show the sheet to the staff and open the contest window."""
    _require_open(year, key)
    evaluation = get_or_create(year, key)
    if evaluation.kind == EvaluationKind.YEAR:
        raise RuleError(_("Kết quả năm học được tính từ hai học kỳ; Ban giám hiệu duyệt và khóa trực tiếp."))
    if evaluation.status != EvaluationStatus.DRAFT:
        raise RuleError(_("Phiếu này đã được công bố."))
    settings = ensure_rubric(year)
    evaluation.status = EvaluationStatus.PUBLISHED
    evaluation.published_at, evaluation.published_by_id = utcnow(), by.id
    evaluation.contest_until = today + timedelta(days=settings.contest_days)
    audit.record("emulation_published", evaluation, user=by, key=key)
    db.session.flush()
    return evaluation


def add_adjustment(year: SchoolYear, key: str, user_id: int, criterion_id: int, points: float, evidence: str,
                   *, by: User, today: date) -> EvaluationAdjustment:
    """A bonus or a penalty (up to the item's maximum) with its evidence, for someone on the sheet."""
    _require_open(year, key)
    sheet = results.sheet(year, key, today)
    if sheet["kind"] == "year":
        raise RuleError(_("Điểm cộng, điểm trừ được ghi ở phiếu tháng hoặc học kỳ."))
    if user_id not in {r["user_id"] for r in sheet["rows"]}:
        raise RuleError(_("Người này không có trong phiếu đánh giá."))
    criterion = _criterion(year, criterion_id, (CriterionSource.BONUS, CriterionSource.PENALTY))
    if criterion.scope.value != sheet["kind"] or not criterion.active:
        raise RuleError(_("Khoản điểm này không dùng ở phiếu này."))
    if not 0 < points <= criterion.max_points:
        raise RuleError(_("Điểm của khoản \"%(label)s\" phải lớn hơn 0 và không quá %(max)s.",
                          label=criterion.label, max=_number(criterion.max_points)))
    if not (evidence or "").strip():
        raise RuleError(_("Ghi minh chứng cho điểm cộng, điểm trừ."))
    evaluation = get_or_create(year, key)
    adjustment = EvaluationAdjustment(evaluation_id=evaluation.id, user_id=user_id, criterion_id=criterion.id,
                                      points=points, evidence=evidence.strip(), created_by_id=by.id)
    db.session.add(adjustment)
    db.session.flush()
    audit.record("emulation_adjustment_added", adjustment, user=by, school_id=year.school_id, key=key,
                 staff_id=user_id, points=points, kind=criterion.source.value)
    return adjustment


def withdraw_adjustment(year: SchoolYear, adjustment: EvaluationAdjustment, reason: str, *, by: User) -> None:
    evaluation = db.session.get(Evaluation, adjustment.evaluation_id)
    _require_open(year, evaluation.key)
    if adjustment.withdrawn_at is not None:
        raise RuleError(_("Khoản điểm này đã được rút."))
    if not (reason or "").strip():
        raise RuleError(_("Ghi lý do rút khoản điểm."))
    adjustment.withdrawn_at, adjustment.withdrawn_by_id, adjustment.withdraw_reason = utcnow(), by.id, reason.strip()
    audit.record("emulation_adjustment_withdrawn", adjustment, user=by, school_id=year.school_id, key=evaluation.key)
    db.session.flush()


def contest_open(evaluation: Evaluation | None, today: date, frozen: str | None) -> bool:
    return (evaluation is not None and evaluation.status == EvaluationStatus.PUBLISHED and not frozen
            and evaluation.contest_until is not None and today <= evaluation.contest_until)


def file_contest(year: SchoolYear, key: str, criterion_id: int | None, reason: str, *, by: User,
                 today: date) -> EvaluationContest:
    """A staff member contests their own score on a published sheet, within the window."""
    stored = results.evaluations_of(year)
    evaluation = stored.get(key)
    if not contest_open(evaluation, today, frozen_reason(year, key, stored)):
        raise RuleError(_("Đã hết thời hạn khiếu nại của phiếu này (hoặc phiếu chưa được công bố)."))
    sheet = results.sheet(year, key, today)
    if results.row_of(sheet, by.id) is None:
        raise RuleError(_("Bạn không có tên trong phiếu đánh giá này."))
    if criterion_id is not None and criterion_id not in {c["id"] for c in sheet.get("criteria", [])}:
        raise RuleError(_("Tiêu chí không có trong phiếu này."))
    if not (reason or "").strip():
        raise RuleError(_("Ghi lý do khiếu nại."))
    contest = EvaluationContest(school_id=year.school_id, evaluation_id=evaluation.id, user_id=by.id,
                                criterion_id=criterion_id, reason=reason.strip())
    db.session.add(contest)
    db.session.flush()
    audit.record("emulation_contested", contest, user=by, key=key)
    return contest


def answer_contest(contest: EvaluationContest, upheld: bool, answer: str, *, by: User) -> None:
    if contest.status != ContestStatus.OPEN:
        raise RuleError(_("Khiếu nại này đã được trả lời."))
    if not (answer or "").strip():
        raise RuleError(_("Ghi câu trả lời cho người khiếu nại."))
    contest.status = ContestStatus.UPHELD if upheld else ContestStatus.REJECTED
    contest.answer, contest.answered_by_id, contest.answered_at = answer.strip(), by.id, utcnow()
    audit.record("emulation_contest_answered", contest, user=by, status=contest.status.value)
    db.session.flush()


def lock(year: SchoolYear, key: str, approved: set[str] | None, *, by: User, today: date) -> Evaluation:
    """Approve and lock a semester or the year: the result as of now becomes the snapshot.

    `approved` holds the keys of the proposed commendations leadership approves (None: all).
    """
    stored = results.evaluations_of(year)
    parsed = results.parse_key(year, key)
    if parsed is None or parsed[0] == EvaluationKind.MONTH:
        raise RuleError(_("Chỉ khóa kết quả học kỳ hoặc năm học."))
    evaluation = stored.get(key)
    if evaluation is not None and evaluation.status == EvaluationStatus.LOCKED:
        raise RuleError(_("Kết quả này đã được khóa."))
    if parsed[0] == EvaluationKind.SEMESTER:
        if evaluation is None or evaluation.status != EvaluationStatus.PUBLISHED:
            raise RuleError(_("Công bố phiếu học kỳ cho cán bộ, giáo viên trước khi duyệt và khóa."))
        result = results.semester_sheet(year, parsed[2], today, stored)
    else:
        locked = [stored.get(results.semester_key(t)) for t in (1, 2)]
        if not all(e is not None and e.status == EvaluationStatus.LOCKED for e in locked):
            raise RuleError(_("Khóa kết quả hai học kỳ trước khi khóa kết quả năm học."))
        result = results.year_sheet(year, today, stored)
    if result.get("open_contests"):
        raise RuleError(_("Còn %(n)d khiếu nại chưa được trả lời.", n=result["open_contests"]))
    evaluation = evaluation or get_or_create(year, key)
    snapshot = {k: v for k, v in result.items() if k != "evaluation"}
    for c in snapshot.get("commendations", []):
        c["approved"] = approved is None or c["key"] in approved
    snapshot["locked_on"] = today.isoformat()
    evaluation.status = EvaluationStatus.LOCKED
    evaluation.snapshot = snapshot
    evaluation.locked_at, evaluation.locked_by_id = utcnow(), by.id
    db.session.add(EvaluationLock(evaluation_id=evaluation.id, action="lock", by_id=by.id, snapshot=snapshot))
    audit.record("emulation_locked", evaluation, user=by, key=key, staff=len(snapshot.get("rows", [])),
                 commendations=sum(1 for c in snapshot.get("commendations", []) if c["approved"]))
    db.session.flush()
    return evaluation


def unlock(year: SchoolYear, key: str, reason: str, *, by: User) -> Evaluation:
    stored = results.evaluations_of(year)
    evaluation = stored.get(key)
    if evaluation is None or evaluation.status != EvaluationStatus.LOCKED:
        raise RuleError(_("Kết quả này chưa được khóa."))
    if not (reason or "").strip():
        raise RuleError(_("Ghi lý do mở khóa."))
    year_eval = stored.get(results.YEAR_KEY)
    if key != results.YEAR_KEY and year_eval is not None and year_eval.status == EvaluationStatus.LOCKED:
        raise RuleError(_("Mở khóa kết quả năm học trước."))
    evaluation.status = EvaluationStatus.PUBLISHED if evaluation.kind != EvaluationKind.YEAR else EvaluationStatus.DRAFT
    evaluation.snapshot = None
    evaluation.locked_at = evaluation.locked_by_id = None
    db.session.add(EvaluationLock(evaluation_id=evaluation.id, action="unlock", by_id=by.id, reason=reason.strip()))
    audit.record("emulation_unlocked", evaluation, user=by, key=key, reason=reason.strip())
    db.session.flush()
    return evaluation


def contests_of(year: SchoolYear, user: User | None = None) -> list[EvaluationContest]:
    """The year's contests (of one staff member when `user` is given), newest first."""
    stmt = (select(EvaluationContest).join(Evaluation, Evaluation.id == EvaluationContest.evaluation_id)
            .where(Evaluation.school_year_id == year.id))
    if user is not None:
        stmt = stmt.where(EvaluationContest.user_id == user.id)
    stmt = stmt.options(joinedload(EvaluationContest.evaluation), joinedload(EvaluationContest.user).lazyload(User.role_rows),
                        joinedload(EvaluationContest.criterion),
                        joinedload(EvaluationContest.answered_by).lazyload(User.role_rows))
    return list(db.session.scalars(stmt.order_by(EvaluationContest.created_at.desc(), EvaluationContest.id.desc())))


def lock_history(year: SchoolYear) -> list[EvaluationLock]:
    return list(db.session.scalars(select(EvaluationLock).join(Evaluation).where(
        Evaluation.school_year_id == year.id).options(selectinload(EvaluationLock.by), selectinload(EvaluationLock.evaluation))
        .order_by(EvaluationLock.at.desc(), EvaluationLock.id.desc())))
