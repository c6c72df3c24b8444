"""The union's rubric of a school year: criteria with their maximum points, bonus and penalty
items, the classification bands and how months combine. Sensible defaults ship; the school
edits them without code. Criteria are archived, never deleted (scores refer to them).

Functions read, or add and flush; the request commits.
"""

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import flag_modified

from ..exceptions import RuleError
from ..extensions import db
from ..models import (
    Commendation,
    CriterionSource,
    EmulationBand,
    EmulationCriterion,
    EmulationSettings,
    Metric,
    SchoolYear,
    SemesterMethod,
    SheetScope,
)
from .scoring import MONTH_METRICS

# The default rubric (stored data: it stays Vietnamese in the English interface). 70 points a
# month, 30 for the semester: a semester out of 100 with the default "mean of the months".
DEFAULT_CRITERIA = (
    ("Nộp nhận xét hằng tháng đúng hạn (trước ngày 25)", CriterionSource.AUTO, Metric.NOTES_ON_TIME, 20),
    ("Nhận xét được tổ trưởng xác nhận \"đã xem\"", CriterionSource.AUTO, Metric.SIGNOFFS, 10),
    ("Liên hệ với gia đình học sinh trong tháng", CriterionSource.AUTO, Metric.FAMILY_CONTACT, 10),
    ("Tiến bộ của học sinh (đánh giá tháng)", CriterionSource.AUTO, Metric.RATING_TREND, 20),
    ("Tinh thần trách nhiệm, phối hợp với GVCN và gia đình", CriterionSource.MANUAL, SheetScope.MONTH, 10),
    ("Đăng ký nhận đỡ đầu", CriterionSource.AUTO, Metric.PLEDGED, 5),
    ("Kế hoạch giúp đỡ nộp đúng hạn và được duyệt", CriterionSource.AUTO, Metric.PLAN_ON_TIME, 5),
    ("Học sinh được đỡ đầu duy trì đi học đến cuối học kỳ", CriterionSource.AUTO, Metric.RETAINED, 15),
    ("Đánh giá chung của BCH Công đoàn và Ban giám hiệu", CriterionSource.MANUAL, SheetScope.SEMESTER, 5),
    ("Vận động hỗ trợ vật chất, học bổng cho học sinh", CriterionSource.BONUS, SheetScope.MONTH, 3),
    ("Học sinh có tiến bộ nổi bật (có minh chứng)", CriterionSource.BONUS, SheetScope.SEMESTER, 5),
    ("Học sinh bỏ học mà không có biện pháp can thiệp được ghi nhận", CriterionSource.PENALTY, SheetScope.SEMESTER, 10),
    ("Không tham gia sinh hoạt, họp của cuộc vận động", CriterionSource.PENALTY, SheetScope.MONTH, 3),
)
DEFAULT_BANDS = (
    ("Xuất sắc", 90, Commendation.REWARD),
    ("Tốt", 80, Commendation.PRAISE),
    ("Khá", 65, None),
    ("Đạt", 50, None),
    ("Chưa đạt", 0, None),
)
MAX_POINTS = 100
MAX_WEIGHT = 10
MAX_CONTEST_DAYS = 60


def scope_of_metric(metric: Metric) -> SheetScope:
    return SheetScope.MONTH if metric in MONTH_METRICS else SheetScope.SEMESTER


def _add_defaults(year: SchoolYear) -> None:
    for position, (label, source, what, points) in enumerate(DEFAULT_CRITERIA):
        metric = what if isinstance(what, Metric) else None
        scope = scope_of_metric(metric) if metric else what
        db.session.add(EmulationCriterion(school_id=year.school_id, school_year_id=year.id, label=label,
                                          source=source, metric=metric, scope=scope, max_points=points,
                                          position=position))
    for label, minimum, commendation in DEFAULT_BANDS:
        db.session.add(EmulationBand(school_year_id=year.id, label=label, min_percent=minimum,
                                     commendation=commendation))


def ensure_rubric(year: SchoolYear) -> EmulationSettings:
    """The year's settings, with the default rubric added the first time (safe if two requests race)."""
    settings = settings_of(year)
    if settings is not None:
        return settings
    try:
        with db.session.begin_nested():
            settings = EmulationSettings(school_id=year.school_id, school_year_id=year.id)
            db.session.add(settings)
            db.session.flush()
            _add_defaults(year)
            db.session.flush()
    except IntegrityError:  # another request added them first
        settings = settings_of(year)
    return settings


def settings_of(year: SchoolYear) -> EmulationSettings | None:
    return db.session.scalar(select(EmulationSettings).where(EmulationSettings.school_year_id == year.id))


def criteria_of(year: SchoolYear, *, include_archived: bool = False) -> list[EmulationCriterion]:
    stmt = select(EmulationCriterion).where(EmulationCriterion.school_year_id == year.id)
    if not include_archived:
        stmt = stmt.where(EmulationCriterion.active.is_(True))
    return list(db.session.scalars(stmt.order_by(EmulationCriterion.position, EmulationCriterion.id)))


def bands_of(year: SchoolYear) -> list[EmulationBand]:
    return list(db.session.scalars(select(EmulationBand).where(EmulationBand.school_year_id == year.id)
                                   .order_by(EmulationBand.min_percent.desc(), EmulationBand.id)))


def rubric_dict(year: SchoolYear) -> dict:
    """The rubric as plain data (what a result is computed with, and what a snapshot keeps)."""
    settings = ensure_rubric(year)
    return {
        "criteria": [{"id": c.id, "label": c.label, "source": c.source.value,
                      "metric": c.metric.value if c.metric else None, "scope": c.scope.value,
                      "max": c.max_points} for c in criteria_of(year)],
        "bands": [{"label": b.label, "min_percent": b.min_percent,
                   "commendation": b.commendation.value if b.commendation else None} for b in bands_of(year)],
        "settings": {"semester_method": settings.semester_method.value, "w1": settings.year_weight1,
                     "w2": settings.year_weight2, "contest_days": settings.contest_days},
    }


def save_rubric(year: SchoolYear, criteria: list[dict], bands: list[dict], settings: dict) -> None:
    """Replace the rubric with what the union typed.

    `criteria`: dicts with id (None for a new one), label, source, metric, scope, max_points,
    active, in display order. `bands`: label, min_percent, commendation (blank rows dropped).
    `settings`: semester_method, w1, w2, contest_days. Raises RuleError on a rubric that cannot work.
    """
    stored = ensure_rubric(year)
    existing = {c.id: c for c in criteria_of(year, include_archived=True)}
    active_metrics: set[str] = set()
    scoring = 0
    for row in criteria:
        if not row.get("active", True):
            continue
        source = CriterionSource(row["source"])
        if source == CriterionSource.AUTO:
            metric = row.get("metric")
            if metric in active_metrics:
                raise RuleError(_("Mỗi tiêu chí tự động chỉ dùng một lần: \"%(label)s\" bị trùng.", label=row["label"]))
            active_metrics.add(metric)
        if source in (CriterionSource.AUTO, CriterionSource.MANUAL):
            scoring += 1
        if not 0 < row["max_points"] <= MAX_POINTS:
            raise RuleError(_("Điểm tối đa của \"%(label)s\" phải lớn hơn 0 và không quá %(n)d.",
                              label=row["label"], n=MAX_POINTS))
    if scoring == 0:
        raise RuleError(_("Bộ tiêu chí cần ít nhất một tiêu chí được chấm điểm."))
    bands = [b for b in bands if (b.get("label") or "").strip()]
    if not bands:
        raise RuleError(_("Cần ít nhất một mức xếp loại."))
    minimums = [b["min_percent"] for b in bands]
    if len(set(minimums)) != len(minimums):
        raise RuleError(_("Hai mức xếp loại không được có cùng ngưỡng điểm."))
    if any(not 0 <= m <= 100 for m in minimums):
        raise RuleError(_("Ngưỡng của mức xếp loại phải từ 0 đến 100%."))
    if settings["w1"] + settings["w2"] == 0:
        raise RuleError(_("Hệ số của hai học kỳ không được cùng bằng 0."))
    for position, row in enumerate(criteria):
        criterion = existing.get(row.get("id")) if row.get("id") else None
        if criterion is None:
            source = CriterionSource(row["source"])
            metric = Metric(row["metric"]) if source == CriterionSource.AUTO else None
            criterion = EmulationCriterion(school_id=year.school_id, school_year_id=year.id, source=source,
                                           metric=metric, scope=scope_of_metric(metric) if metric
                                           else SheetScope(row["scope"]))
            db.session.add(criterion)
        elif criterion.source != CriterionSource.AUTO:
            criterion.scope = SheetScope(row["scope"])
        criterion.label = row["label"].strip()
        criterion.max_points = float(row["max_points"])
        criterion.active = bool(row.get("active", True))
        criterion.position = position
    for band in bands_of(year):
        db.session.delete(band)  # bands are settings, not anyone's writing: replaced whole
    db.session.flush()
    for b in bands:
        db.session.add(EmulationBand(school_year_id=year.id, label=b["label"].strip(), min_percent=float(b["min_percent"]),
                                     commendation=Commendation(b["commendation"]) if b.get("commendation") else None))
    stored.semester_method = SemesterMethod(settings["semester_method"])
    stored.year_weight1 = settings["w1"]
    stored.year_weight2 = settings["w2"]
    stored.contest_days = settings["contest_days"]
    flag_modified(stored, "contest_days")  # every save is a new version of the rubric, criteria included
    db.session.flush()
