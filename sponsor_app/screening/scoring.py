"""The risk score: pure functions over a screening's values and the school's criteria.

score = sum of the weights of the criteria that fire; level = high when score >= the year's
high threshold, medium when >= the medium threshold, else low. No rule lives in code: the
criteria, weights and thresholds are rows the school edits per school year (the defaults
below are only what a new year starts with).
"""

from dataclasses import dataclass

from ..models import CriterionKind, RiskLevel

# Ratings that count as weak, per scale (Circular 22/2021 and the old hạnh kiểm / học lực scales).
RATINGS = {
    "tt22": {"conduct": ["Tốt", "Khá", "Đạt", "Chưa đạt"], "learning": ["Tốt", "Khá", "Đạt", "Chưa đạt"]},
    "old": {"conduct": ["Tốt", "Khá", "Trung bình", "Yếu"], "learning": ["Giỏi", "Khá", "Trung bình", "Yếu", "Kém"]},
}
WEAK_CONDUCT = ("Chưa đạt", "Yếu")
WEAK_LEARNING = ("Chưa đạt", "Yếu", "Kém")

# (key, label, kind, parameter, weight): what a new school year starts with.
DEFAULT_CRITERIA = (
    ("absences_over_limit", "Nghỉ học từ 45 buổi trở lên (quá số buổi cho phép)", CriterionKind.ABSENCES, "45", 5),
    ("absences_near_limit", "Nghỉ học từ 30 buổi (gần mức 45 buổi)", CriterionKind.ABSENCES, "30", 3),
    ("absences_frequent", "Nghỉ học từ 15 buổi", CriterionKind.ABSENCES, "15", 1),
    ("conduct_weak", "Rèn luyện/hạnh kiểm Chưa đạt hoặc Yếu", CriterionKind.CONDUCT, "Chưa đạt|Yếu", 3),
    ("learning_weak", "Học tập/học lực Chưa đạt, Yếu hoặc Kém", CriterionKind.LEARNING, "Chưa đạt|Yếu|Kém", 3),
    ("poor_household", "Hộ nghèo", CriterionKind.FLAG, "poor_household", 2),
    ("near_poor_household", "Hộ cận nghèo", CriterionKind.FLAG, "near_poor_household", 1),
    ("orphan", "Mồ côi", CriterionKind.FLAG, "orphan", 2),
    ("parents_ill", "Cha mẹ ốm đau, không có khả năng lao động", CriterionKind.FLAG, "parents_ill", 2),
    ("parents_away", "Cha mẹ đi làm ăn xa", CriterionKind.FLAG, "parents_away", 1),
    ("family_breakdown", "Gia đình ly tán", CriterionKind.FLAG, "family_breakdown", 2),
    ("disability", "Khuyết tật", CriterionKind.FLAG, "disability", 1),
    ("ethnic_minority", "Dân tộc thiểu số", CriterionKind.FLAG, "ethnic_minority", 1),
    ("far_from_school", "Nhà xa trường, ở trọ hoặc bán trú", CriterionKind.FLAG, "far_from_school", 1),
    ("works_for_school", "Phải đi làm thêm để có tiền đi học", CriterionKind.FLAG, "works_for_school", 2),
    ("other_circumstance", "Hoàn cảnh khó khăn khác", CriterionKind.FLAG, "other_circumstance", 1),
)
DEFAULT_THRESHOLDS = {"risk_medium_min": 3, "risk_high_min": 6}


@dataclass(frozen=True)
class Rule:
    key: str
    label: str
    kind: CriterionKind
    parameter: str
    weight: int


@dataclass(frozen=True)
class RiskResult:
    score: int
    level: RiskLevel
    reasons: list[dict]  # the criteria that fired: key, label, weight, and what matched


def fires(rule: Rule, values) -> str | None:
    """What in `values` made `rule` fire (a short text), or None. Pure: no database."""
    if rule.kind == CriterionKind.FLAG:
        return "✓" if getattr(values, rule.parameter, False) else None
    if rule.kind == CriterionKind.ABSENCES:
        try:
            limit = int(rule.parameter)
        except ValueError:
            return None
        absences = getattr(values, "absences", 0) or 0
        return str(absences) if absences >= limit else None
    options = {p.strip() for p in rule.parameter.split("|") if p.strip()}
    rating = getattr(values, "conduct_rating" if rule.kind == CriterionKind.CONDUCT else "learning_rating", None)
    return rating if rating in options else None


def compute_risk(values, rules, *, medium_min: int, high_min: int) -> RiskResult:
    """Score `values` (anything with the screening's attributes) against the active `rules`.

    Absence rules are tiers of one measure: only the highest-threshold absence rule that
    fires counts, so 50 absences weigh "over the limit", not all three tiers at once.
    """
    reasons = []
    absence_rules = sorted((r for r in rules if r.kind == CriterionKind.ABSENCES),
                           key=lambda r: int(r.parameter) if r.parameter.isdecimal() else 0, reverse=True)
    for rule in absence_rules:
        matched = fires(rule, values)
        if matched is not None:
            reasons.append({"key": rule.key, "label": rule.label, "weight": rule.weight, "matched": matched})
            break
    for rule in rules:
        if rule.kind == CriterionKind.ABSENCES:
            continue
        matched = fires(rule, values)
        if matched is not None:
            reasons.append({"key": rule.key, "label": rule.label, "weight": rule.weight, "matched": matched})
    score = sum(r["weight"] for r in reasons)
    if score >= high_min:
        level = RiskLevel.HIGH
    elif score >= medium_min:
        level = RiskLevel.MEDIUM
    else:
        level = RiskLevel.LOW
    reasons.sort(key=lambda r: -r["weight"])
    return RiskResult(score=score, level=level, reasons=reasons)
