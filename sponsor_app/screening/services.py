"""Screening operations and queries. Functions add and flush; the request commits."""

from collections import defaultdict
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import joinedload

from .. import audit
from ..assignments import services as assignment_services
from ..assignments.services import REASON_NOT_AT_RISK, end_student_assignments
from ..exceptions import RuleError
from ..extensions import db
from ..models import (
    CIRCUMSTANCE_FLAGS,
    ClassGroup,
    CriterionKind,
    Decision,
    Enrollment,
    RiskCriterion,
    RiskLevel,
    SchoolYear,
    Screening,
    ScreeningContact,
    Student,
    StudentStatus,
    User,
)
from ..params import to_int
from ..text import fold
from ..timeutil import local_today, utcnow
from .scoring import (
    DEFAULT_CRITERIA,
    DEFAULT_THRESHOLDS,
    WEAK_CONDUCT,
    WEAK_LEARNING,
    RiskResult,
    Rule,
    compute_risk,
)

SCREENING_FIELDS = (*CIRCUMSTANCE_FLAGS, "other_circumstance_text", "rating_scale", "conduct_rating",
                    "learning_rating", "absences", "circumstances_text", "conduct_text")

# The plan's four categories of students to help, derived from the record (for filters and counts).
CATEGORIES = ("hardship", "conduct", "academic", "dropout")


# --- criteria ---------------------------------------------------------------------------

def ensure_default_criteria(year: SchoolYear) -> list[RiskCriterion]:
    """The year's criteria; a year without any gets the defaults (or last year's, if edited)."""
    criteria = list(db.session.scalars(
        select(RiskCriterion).where(RiskCriterion.school_year_id == year.id).order_by(RiskCriterion.position)))
    if criteria:
        return criteria
    previous = db.session.scalar(
        select(SchoolYear).where(SchoolYear.school_id == year.school_id, SchoolYear.start_date < year.start_date,
                                 select(RiskCriterion.id).where(RiskCriterion.school_year_id == SchoolYear.id)
                                 .exists())
        .order_by(SchoolYear.start_date.desc()))
    if previous is not None:
        source = [(c.key, c.label, c.kind, c.parameter, c.weight, c.active) for c in db.session.scalars(
            select(RiskCriterion).where(RiskCriterion.school_year_id == previous.id)
            .order_by(RiskCriterion.position))]
        year.risk_medium_min, year.risk_high_min = previous.risk_medium_min, previous.risk_high_min
    else:
        source = [(*row, True) for row in DEFAULT_CRITERIA]
        year.risk_medium_min = DEFAULT_THRESHOLDS["risk_medium_min"]
        year.risk_high_min = DEFAULT_THRESHOLDS["risk_high_min"]
    for position, (key, label, kind, parameter, weight, active) in enumerate(source):
        criteria.append(RiskCriterion(school_id=year.school_id, school_year_id=year.id, key=key, label=label,
                                      kind=kind, parameter=parameter, weight=weight, active=active,
                                      position=position))
    db.session.add_all(criteria)
    db.session.flush()
    return criteria


def active_rules(year: SchoolYear) -> list[Rule]:
    return [Rule(c.key, c.label, c.kind, c.parameter, c.weight) for c in ensure_default_criteria(year) if c.active]


def validate_criterion(kind: CriterionKind, parameter: str) -> str | None:
    """Why a criterion's parameter is unusable, or None."""
    if kind == CriterionKind.FLAG and parameter not in CIRCUMSTANCE_FLAGS:
        return _("Hoàn cảnh không có trong danh sách.")
    if kind == CriterionKind.ABSENCES and to_int(parameter, lo=1, hi=400) is None:  # "²" is a digit to isdigit
        return _("Số buổi nghỉ phải là số từ 1 đến 400.")
    if kind in (CriterionKind.CONDUCT, CriterionKind.LEARNING) and not parameter.strip("| "):
        return _("Cần ít nhất một mức xếp loại, ngăn cách bằng dấu |.")
    return None


def save_criteria(year: SchoolYear, rows: list[dict], *, medium_min: int, high_min: int) -> int:
    """Save edited criteria and thresholds, then re-score every screening of the year.

    :raises RuleError: thresholds out of order or a criterion unusable.
    :returns: the number of screenings re-scored.
    """
    if not 0 < medium_min < high_min:
        raise RuleError(_("Ngưỡng mức cao phải lớn hơn ngưỡng mức trung bình, và cả hai lớn hơn 0."))
    existing = {c.id: c for c in ensure_default_criteria(year)}
    for row in rows:
        problem = validate_criterion(CriterionKind(row["kind"]), row["parameter"])
        if problem:
            raise RuleError(f"{row['label']}: {problem}")
        criterion = existing.get(row.get("id")) if row.get("id") else None
        if criterion is None:
            key = f"custom_{len(existing) + 1}"
            while any(c.key == key for c in existing.values()):
                key += "_"
            criterion = RiskCriterion(school_id=year.school_id, school_year_id=year.id, key=key,
                                      position=len(existing))
            db.session.add(criterion)
            existing[-len(existing) - 1] = criterion
        criterion.label, criterion.kind, criterion.parameter = row["label"], CriterionKind(row["kind"]), row["parameter"]
        criterion.weight, criterion.active = row["weight"], row["active"]
    year.risk_medium_min, year.risk_high_min = medium_min, high_min
    db.session.flush()
    count = rescore_year(year)
    audit.record("risk_criteria_saved", year, rescored=count)
    return count


def rescore(screening: Screening, rules: list[Rule] | None = None) -> RiskResult:
    year = screening.school_year
    result = compute_risk(screening, rules if rules is not None else active_rules(year),
                          medium_min=year.risk_medium_min, high_min=year.risk_high_min)
    screening.risk_score, screening.risk_level, screening.risk_reasons = result.score, result.level, result.reasons
    return result


def rescore_year(year: SchoolYear) -> int:
    rules = active_rules(year)
    screenings = list(db.session.scalars(select(Screening).where(Screening.school_year_id == year.id)))
    for screening in screenings:
        rescore(screening, rules)
    db.session.flush()
    return len(screenings)


# --- the record and its workflow -----------------------------------------------------------

def screening_for(student: Student, year: SchoolYear) -> Screening | None:
    return db.session.scalar(select(Screening).where(
        Screening.student_id == student.id, Screening.school_year_id == year.id))


def create_screening(student: Student, year: SchoolYear, data: dict, *, by: User) -> Screening:
    """Record a proposal (the first screening of this student this year).

    :raises RuleError: the student already has a screening this year, or is not enrolled.
    """
    if screening_for(student, year) is not None:
        raise RuleError(_("Học sinh này đã có phiếu rà soát trong năm học; hãy bổ sung vào phiếu đó."))
    if student.status != StudentStatus.ENROLLED:
        raise RuleError(_("Học sinh không còn đang học."))
    screening = Screening(school_id=student.school_id, school_year_id=year.id, student_id=student.id,
                          proposed_by_id=by.id, proposed_on=local_today())
    screening.student, screening.school_year = student, year
    _apply(screening, data)
    db.session.add(screening)
    rescore(screening)
    db.session.flush()
    audit.record("screening_created", screening, student_id=student.id, late=screening.is_late)
    return screening


def update_screening(screening: Screening, data: dict, *, by: User) -> Screening:
    _apply(screening, data)
    rescore(screening)
    db.session.flush()
    audit.record("screening_updated", screening)
    return screening


def _apply(screening: Screening, data: dict) -> None:
    for name in SCREENING_FIELDS:
        if name in data:
            setattr(screening, name, data[name])
    if not screening.other_circumstance:
        screening.other_circumstance_text = None
    screening.absences = screening.absences or 0


def add_contact(screening: Screening, data: dict, *, by: User) -> ScreeningContact:
    contact = ScreeningContact(screening_id=screening.id, author_id=by.id, channel=data["channel"],
                               method=data["method"], person=data["person"], contact_date=data["contact_date"],
                               note=data.get("note") or "")
    db.session.add(contact)
    db.session.flush()
    audit.record("screening_contact_added", screening, contact_id=contact.id)
    return contact


def verify(screening: Screening, *, by: User) -> None:
    if screening.verified_at is None:
        screening.verified_at, screening.verified_by_id = utcnow(), by.id
        audit.record("screening_verified", screening)


def decide(screening: Screening, decision: Decision, reason: str | None, *, by: User) -> None:
    """Approve for sponsorship or mark "not needed" (which needs a reason); verifies if not yet.

    :raises RuleError: "not needed" without a reason.
    """
    reason = (reason or "").strip() or None
    if decision == Decision.NOT_NEEDED and not reason:
        raise RuleError(_("Cần ghi lý do khi kết luận không cần đỡ đầu."))
    verify(screening, by=by)
    screening.decision, screening.decision_reason = decision, reason
    screening.decided_by_id, screening.decided_at = by.id, utcnow()
    audit.record("screening_decided", screening, decision=decision.value)
    if decision == Decision.NOT_NEEDED:
        end_student_assignments(screening.student, REASON_NOT_AT_RISK, by=by, year=screening.school_year)


@dataclass
class BulkApproval:
    approved: list[Screening]
    stale: list[Screening]  # changed (or decided) since the page was shown: not approved
    missing: int  # ids that are not (or no longer) records the user may decide this year


def approve_many(screenings: list[Screening], versions: dict[int, int], *, by: User) -> BulkApproval:
    """Approve each record for sponsorship as the single approval does (`decide`), unless it changed
    since the page showed it (its version is not the one ticked) or has a conclusion already."""
    result = BulkApproval(approved=[], stale=[], missing=len(versions) - len(screenings))
    for screening in screenings:
        if versions.get(screening.id) != screening.version or screening.decision is not None:
            result.stale.append(screening)
            continue
        decide(screening, Decision.APPROVED, None, by=by)
        result.approved.append(screening)
    db.session.flush()
    return result


# --- lists and counts ---------------------------------------------------------------------

@dataclass
class ListFilters:
    q: str = ""
    class_id: int | None = None
    grade: int | None = None
    category: str | None = None
    level: str | None = None
    status: str | None = None
    without_mentor: bool = False
    sort: str = "class"  # class | score


def category_condition(category: str):
    if category == "hardship":
        return or_(*[getattr(Screening, name).is_(True) for name in CIRCUMSTANCE_FLAGS])
    if category == "conduct":
        return Screening.conduct_rating.in_(WEAK_CONDUCT)
    if category == "academic":
        return Screening.learning_rating.in_(WEAK_LEARNING)
    if category == "dropout":
        return Screening.risk_level == RiskLevel.HIGH
    raise ValueError(category)


def status_condition(status: str):
    return {
        "approved": Screening.decision == Decision.APPROVED,
        "not_needed": Screening.decision == Decision.NOT_NEEDED,
        "verified": and_(Screening.decision.is_(None), Screening.verified_at.is_not(None)),
        "proposed": and_(Screening.decision.is_(None), Screening.verified_at.is_(None)),
    }[status]


def filtered_list(base: Select, year: SchoolYear, filters: ListFilters) -> Select:
    """(Screening, Student, ClassGroup) rows of `base` (a visible_screenings select), filtered and sorted."""
    stmt = (base.add_columns(Student, ClassGroup)
            .join(Student, Student.id == Screening.student_id)
            .join(Enrollment, and_(Enrollment.student_id == Student.id, Enrollment.school_year_id == year.id))
            .join(ClassGroup, ClassGroup.id == Enrollment.class_group_id)
            .options(joinedload(Screening.proposed_by).lazyload(User.role_rows)))
    needle = fold(filters.q).strip()
    if needle:
        stmt = stmt.where(or_(Student.search_text.like(f"%{needle}%"), Student.code.like(f"%{filters.q.strip()}%")))
    if filters.class_id:
        stmt = stmt.where(ClassGroup.id == filters.class_id)
    if filters.grade:
        stmt = stmt.where(ClassGroup.grade == filters.grade)
    if filters.category in CATEGORIES:
        stmt = stmt.where(category_condition(filters.category))
    if filters.level in {lv.value for lv in RiskLevel}:
        stmt = stmt.where(Screening.risk_level == RiskLevel(filters.level))
    if filters.status in {"approved", "not_needed", "verified", "proposed"}:
        stmt = stmt.where(status_condition(filters.status))
    if filters.without_mentor:
        stmt = stmt.where(Screening.decision == Decision.APPROVED,
                          Student.id.not_in(assignment_services.active_main_subquery(year)))
    if filters.sort == "score":
        return stmt.order_by(Screening.risk_score.desc(), ClassGroup.grade, ClassGroup.name, Student.sort_key)
    return stmt.order_by(ClassGroup.grade, ClassGroup.name, Student.sort_key)


GRADES = range(1, 13)


@dataclass
class Counts:
    total: int = 0
    late: int = 0
    by_level: dict | None = None
    by_status: dict | None = None
    by_category: dict | None = None
    by_grade: dict | None = None


def year_counts(school_id: int, year: SchoolYear) -> Counts:
    """Totals of the year's screenings (what department heads and the union may see)."""
    counts = Counts()
    # One row of filtered counts (levels, statuses, categories, late, approved by grade) instead of a
    # query each. A class's grade is 1–12 (text.grade_from_class_name gives no other).
    approved = Screening.decision == Decision.APPROVED
    cases = ([("level", level, Screening.risk_level == level) for level in RiskLevel]
             + [("status", name, status_condition(name)) for name in ("proposed", "verified", "approved", "not_needed")]
             + [("category", c, category_condition(c)) for c in CATEGORIES]
             + [("grade", g, and_(approved, ClassGroup.grade == g)) for g in GRADES]
             + [("late", "late", or_(Screening.proposed_on < year.screening_start,
                                      Screening.proposed_on > year.screening_end))])
    row = db.session.execute(
        select(func.count(), *[func.count().filter(cond) for _, _, cond in cases])
        .select_from(Screening)
        .outerjoin(Enrollment, and_(Enrollment.student_id == Screening.student_id,
                                    Enrollment.school_year_id == Screening.school_year_id))
        .outerjoin(ClassGroup, ClassGroup.id == Enrollment.class_group_id)
        .where(Screening.school_id == school_id, Screening.school_year_id == year.id)).one()
    found: dict[str, dict] = defaultdict(dict)
    for (group, key, _cond), n in zip(cases, row[1:], strict=True):
        found[group][key] = n
    counts.total = row[0]
    counts.by_level = {level: n for level, n in found["level"].items() if n}
    counts.by_status = found["status"]
    counts.by_category = found["category"]
    counts.by_grade = {g: n for g, n in found["grade"].items() if n}
    counts.late = found["late"]["late"]
    return counts


@dataclass
class Capacity:
    approved: int  # approved for sponsorship and still without a main mentor
    available_staff: int  # places staff can still take (pledged capacity minus current load)

    @property
    def short(self) -> int:
        return max(0, self.approved - self.available_staff)


def capacity(school_id: int, year: SchoolYear, coverage=None) -> Capacity:
    """Students still waiting for a main mentor against the places staff can still take.

    Pass the year's `assignments.services.coverage` when the page has it already.
    """
    coverage = coverage or assignment_services.coverage(school_id, year)
    return Capacity(approved=coverage.approved - coverage.with_main, available_staff=coverage.places_left)


def class_board(class_group: ClassGroup) -> list[tuple[Student, Screening | None]]:
    """A homeroom class with each student's screening of that year (one query)."""
    rows = db.session.execute(
        select(Student, Screening)
        .join(Enrollment, Enrollment.student_id == Student.id)
        .outerjoin(Screening, and_(Screening.student_id == Student.id,
                                   Screening.school_year_id == class_group.school_year_id))
        .where(Enrollment.class_group_id == class_group.id)
        .order_by(Student.sort_key)).all()
    return [(student, screening) for student, screening in rows]


def student_history(student: Student) -> list[Screening]:
    """A student's screenings across years, newest first (caller filters by permission)."""
    return list(db.session.scalars(
        select(Screening).join(SchoolYear, SchoolYear.id == Screening.school_year_id)
        .where(Screening.student_id == student.id)
        .options(joinedload(Screening.school_year), joinedload(Screening.decided_by).lazyload(User.role_rows))
        .order_by(SchoolYear.start_date.desc())))


def searchable_students(school_id: int, year: SchoolYear, query: str, limit: int = 20):
    """Students a teacher may propose: enrolled this year; name, code and class only."""
    needle = fold(query).strip()
    if len(needle) < 2:
        return []
    return db.session.execute(
        select(Student, ClassGroup)
        .join(Enrollment, and_(Enrollment.student_id == Student.id, Enrollment.school_year_id == year.id))
        .join(ClassGroup, ClassGroup.id == Enrollment.class_group_id)
        .where(Student.school_id == school_id, Student.status == StudentStatus.ENROLLED,
               or_(Student.search_text.like(f"%{needle}%"), Student.code == query.strip()))
        .order_by(Student.sort_key).limit(limit)).all()
