"""The results of the emulation sheets, computed from the data by set-based queries.

A result is plain data (dicts and lists, JSON-ready): the page, the workbook, the teacher's
breakdown and a locked snapshot all read the same structure, so a locked result renders exactly
as it was approved. Queries do not depend on the number of staff, mentees or months: one per
kind of input for the whole school (emulation/scoring.py does the arithmetic).

Who is on a sheet: a month sheet lists the staff with a monthly note due that month from a main
mentoring (see progress/due.py); a semester sheet everyone with a main mentoring during the
semester; the year sheet everyone on either semester. Departments are the staff member's
current department. Student names never appear in a result (the union reads them).

Nothing here commits.
"""

from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import and_, func, or_, select

from ..extensions import db
from ..models import (
    Assignment,
    ContactWith,
    ContestStatus,
    CriterionSource,
    Department,
    Evaluation,
    EvaluationAdjustment,
    EvaluationContest,
    EvaluationKind,
    EvaluationScore,
    EvaluationStatus,
    MentorRole,
    Metric,
    MonthlyNote,
    NoteContact,
    PlanStatus,
    Pledge,
    Rating,
    ReviewStatus,
    SchoolYear,
    SemesterMethod,
    Student,
    StudentStatus,
    SupportPlan,
    User,
)
from ..periods import year_months
from ..progress.calendar import note_due
from ..progress.due import due_notes
from . import scoring
from .rubric import rubric_dict
from .scoring import MonthInputs, SemesterInputs

YEAR_KEY = "year"


# --- keys and periods ------------------------------------------------------------------------

def month_key(month: date) -> str:
    return month.strftime("%Y-%m")


def semester_key(term: int) -> str:
    return f"s{term}"


def semester_of(year: SchoolYear, month: date) -> int:
    return 1 if month <= year.semester1_end else 2


def semester_bounds(year: SchoolYear, term: int) -> tuple[date, date]:
    return (year.start_date, year.semester1_end) if term == 1 else (year.semester2_start, year.end_date)


def semester_months(year: SchoolYear, term: int) -> list[date]:
    return [m for m in year_months(year) if semester_of(year, m) == term]


def scored_months(year: SchoolYear, term: int, today: date) -> list[date]:
    """The semester's months whose notes have fallen due by today (the months a semester counts)."""
    return [m for m in semester_months(year, term) if note_due(m, year.note_day) <= today]


def parse_key(year: SchoolYear, key: str) -> tuple[EvaluationKind, date | None, int | None] | None:
    """("month", month, None) | ("semester", None, term) | ("year", None, None) for a sheet key of `year`."""
    if key == YEAR_KEY:
        return EvaluationKind.YEAR, None, None
    if key in ("s1", "s2"):
        return EvaluationKind.SEMESTER, None, int(key[1])
    try:
        y, m = (int(part) for part in key.split("-"))
        month = date(y, m, 1)
    except ValueError:
        return None
    if month not in year_months(year):
        return None
    return EvaluationKind.MONTH, month, None


# --- stored evaluations ------------------------------------------------------------------------

def evaluations_of(year: SchoolYear) -> dict[str, Evaluation]:
    """The year's evaluation rows by key (one query)."""
    return {e.key: e for e in db.session.scalars(select(Evaluation).where(Evaluation.school_year_id == year.id))}


def _scores(evaluation_ids: list[int]) -> dict[tuple[int, int, int], EvaluationScore]:
    if not evaluation_ids:
        return {}
    rows = db.session.scalars(select(EvaluationScore).where(EvaluationScore.evaluation_id.in_(evaluation_ids)))
    return {(s.evaluation_id, s.user_id, s.criterion_id): s for s in rows}


def _adjustments(evaluation_ids: list[int]) -> dict[tuple[int, int], list[EvaluationAdjustment]]:
    found: dict[tuple[int, int], list[EvaluationAdjustment]] = defaultdict(list)
    if evaluation_ids:
        for a in db.session.scalars(select(EvaluationAdjustment).where(
                EvaluationAdjustment.evaluation_id.in_(evaluation_ids), EvaluationAdjustment.withdrawn_at.is_(None))
                .order_by(EvaluationAdjustment.id)):
            found[(a.evaluation_id, a.user_id)].append(a)
    return found


def _open_contests(evaluation_ids: list[int], contests: list | None = None) -> dict[int, int]:
    """Open contests by evaluation id (counted in `contests`, the year's, when the caller has them)."""
    if not evaluation_ids:
        return {}
    if contests is not None:
        found: dict[int, int] = defaultdict(int)
        for c in contests:
            if c.evaluation_id in evaluation_ids and c.status == ContestStatus.OPEN:
                found[c.evaluation_id] += 1
        return dict(found)
    rows = db.session.execute(select(EvaluationContest.evaluation_id, func.count()).where(
        EvaluationContest.evaluation_id.in_(evaluation_ids), EvaluationContest.status == ContestStatus.OPEN)
        .group_by(EvaluationContest.evaluation_id)).all()
    return dict(rows)


# --- inputs from the casework (set-based) -------------------------------------------------------

def month_inputs(year: SchoolYear, months: list[date], today: date) -> dict[tuple[int, date], MonthInputs]:
    """MonthInputs by (mentor id, month) for `months`, in one query."""
    if not months:
        return {}
    stmt, table = due_notes(year.school_id, year, months)
    # A note with a family contact: looked up per note (an aggregate over every school's contacts
    # would grow with the deployment).
    family = (select(NoteContact.id).where(NoteContact.note_id == MonthlyNote.id,
                                           NoteContact.with_whom == ContactWith.FAMILY).exists())
    sent = MonthlyNote.id.is_not(None)
    stmt = (stmt.add_columns(
        Assignment.mentor_id, table.c.month,
        func.count().filter(or_(sent, table.c.due <= today)),
        func.count(MonthlyNote.id).filter(MonthlyNote.submitted_on_time.is_(True)),
        func.count(MonthlyNote.id).filter(or_(MonthlyNote.submitted_on_time.is_(False),
                                              MonthlyNote.submitted_on_time.is_(None))),
        func.count(MonthlyNote.id).filter(MonthlyNote.review_status == ReviewStatus.SEEN),
        func.count(MonthlyNote.id).filter(family),
        func.count(MonthlyNote.id).filter(MonthlyNote.rating == Rating.PROGRESS),
        func.count(MonthlyNote.id).filter(MonthlyNote.rating == Rating.STEADY),
        func.count(MonthlyNote.id).filter(MonthlyNote.rating == Rating.DECLINE))
        .group_by(Assignment.mentor_id, table.c.month))
    found = {}
    for mentor_id, month, *counts in db.session.execute(stmt).all():
        inputs = MonthInputs(*counts)
        if inputs.due:
            found[(mentor_id, _as_date(month))] = inputs
    return found


def semester_inputs(year: SchoolYear, term: int, today: date) -> dict[int, SemesterInputs]:
    """SemesterInputs by mentor id for everyone with a main mentoring during the semester (one query).

    The cut-off is the semester's last day, or today while it runs. A support plan is due
    `plan_due_days` after the mentoring started; it counts as on time when it was submitted on
    time and has been approved. A mentee is retained unless they dropped out by the cut-off;
    mentees who transferred are left out.
    """
    start, end = semester_bounds(year, term)
    cutoff = min(end, today)
    if cutoff < start:  # the semester has not begun
        return {}
    pledged = (select(Pledge.id).where(Pledge.user_id == Assignment.mentor_id, Pledge.school_year_id == year.id,
                                       Pledge.willing.is_(True)).exists())
    rows = db.session.execute(
        select(Assignment.mentor_id, Assignment.student_id, func.min(Assignment.started_on),
               Student.status, Student.status_date, SupportPlan.status, SupportPlan.submitted_on_time, pledged)
        .join(Student, Student.id == Assignment.student_id)
        .outerjoin(SupportPlan, and_(SupportPlan.student_id == Assignment.student_id,
                                     SupportPlan.school_year_id == Assignment.school_year_id))
        .where(Assignment.school_year_id == year.id, Assignment.role == MentorRole.MAIN,
               Assignment.started_on <= cutoff, or_(Assignment.ended_on.is_(None), Assignment.ended_on >= start))
        .group_by(Assignment.mentor_id, Assignment.student_id, Student.status, Student.status_date,
                  SupportPlan.status, SupportPlan.submitted_on_time)).all()
    tally: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    pledged_mentors = set()
    for mentor_id, _student_id, started, status, status_date, plan_status, plan_on_time, has_pledged in rows:
        if has_pledged:
            pledged_mentors.add(mentor_id)
        t = tally[mentor_id]
        if _as_date(started) + timedelta(days=year.plan_due_days) <= cutoff:
            t["plans_due"] += 1
            if plan_status == PlanStatus.APPROVED and plan_on_time:
                t["plans_on_time"] += 1
        left = status_date is None or _as_date(status_date) <= cutoff
        if status == StudentStatus.TRANSFERRED and left:
            t["transferred"] += 1
            continue
        t["mentees"] += 1
        if not (status == StudentStatus.DROPPED_OUT and left):
            t["retained"] += 1
    return {mentor_id: SemesterInputs(pledged=mentor_id in pledged_mentors, **t) for mentor_id, t in tally.items()}


def _people(ids) -> dict[int, dict]:
    """Name, sort key and department of the staff on a sheet (one query)."""
    ids = list(ids)
    if not ids:
        return {}
    rows = db.session.execute(select(User.id, User.full_name, User.sort_key, Department.id, Department.name)
                              .outerjoin(Department, Department.id == User.department_id)
                              .where(User.id.in_(ids))).all()
    return {uid: {"user_id": uid, "name": name, "sort_key": key, "department_id": dept_id,
                  "department": dept_name or "—"} for uid, name, key, dept_id, dept_name in rows}


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


# --- building a sheet ---------------------------------------------------------------------------

def _sheet_criteria(rubric: dict, scope: str) -> tuple[list[dict], list[dict]]:
    """(scoring criteria, bonus and penalty items) of one sheet scope."""
    of_scope = [c for c in rubric["criteria"] if c["scope"] == scope]
    scored = [c for c in of_scope if c["source"] in (CriterionSource.AUTO, CriterionSource.MANUAL)]
    items = [c for c in of_scope if c["source"] in (CriterionSource.BONUS, CriterionSource.PENALTY)]
    return scored, items


def _cells(criteria, user_id, evaluation_id, scores, month: MonthInputs | None, semester: SemesterInputs | None):
    cells, unscored = {}, 0
    for c in criteria:
        if c["source"] == CriterionSource.AUTO:
            points, num, den = scoring.metric_points(Metric(c["metric"]), c["max"], month, semester)
            cells[str(c["id"])] = {"points": points, "num": num, "den": den}
        else:
            score = scores.get((evaluation_id, user_id, c["id"])) if evaluation_id else None
            if score is None:
                unscored += 1
            cells[str(c["id"])] = {"points": score.points if score else None,
                                   "comment": score.comment if score else None}
    return cells, unscored


def _adjustment_rows(adjustments, items_by_id) -> tuple[list[dict], float, float]:
    rows, bonus, penalty = [], 0.0, 0.0
    for a in adjustments:
        item = items_by_id.get(a.criterion_id)
        sign = -1 if item and item["source"] == CriterionSource.PENALTY else 1
        if sign > 0:
            bonus += a.points
        else:
            penalty += a.points
        rows.append({"id": a.id, "label": item["label"] if item else "—", "points": a.points, "sign": sign,
                     "evidence": a.evidence})
    return rows, scoring.round_points(bonus), scoring.round_points(penalty)


def _finish(rows: list[dict], rubric: dict) -> list[dict]:
    """Percent, band and rank of each row; rows in rank order (then Vietnamese name order)."""
    for row in rows:
        row["percent"] = scoring.percent(row["total"], row["max"])
        band = scoring.band_for(row["percent"], rubric["bands"])
        row["band"] = band["label"] if band else None
        row["commendation"] = band["commendation"] if band else None
    ranks = scoring.competition_ranks([r["percent"] for r in rows])
    for row, rank in zip(rows, ranks, strict=True):
        row["rank"] = rank
    by_department: dict[int | None, list[dict]] = defaultdict(list)
    for row in rows:
        by_department[row["department_id"]].append(row)
    for members in by_department.values():  # the ranking within each department
        for row, rank in zip(members, scoring.competition_ranks([m["percent"] for m in members]), strict=True):
            row["department_rank"] = rank
    rows.sort(key=lambda r: (r["rank"], r["sort_key"], r["user_id"]))
    return rows


def _departments(rows: list[dict], rubric: dict) -> list[dict]:
    """The collective result: each department's mean percent over its evaluated members."""
    groups: dict[int | None, list[dict]] = defaultdict(list)
    for row in rows:
        groups[row["department_id"]].append(row)
    result = []
    for dept_id, members in groups.items():
        if dept_id is None:
            continue
        pct = scoring.round_points(sum(m["percent"] for m in members) / len(members))
        band = scoring.band_for(pct, rubric["bands"])
        result.append({"department_id": dept_id, "name": members[0]["department"], "members": len(members),
                       "percent": pct, "band": band["label"] if band else None,
                       "commendation": band["commendation"] if band else None})
    ranks = scoring.competition_ranks([d["percent"] for d in result])
    for d, rank in zip(result, ranks, strict=True):
        d["rank"] = rank
    result.sort(key=lambda d: (d["rank"], d["name"]))
    return result


def _commendations(rows: list[dict], departments: list[dict]) -> list[dict]:
    """The proposed commendations: each collective and individual whose band proposes one."""
    found = []
    for d in departments:
        if d["commendation"]:
            found.append({"key": f"d{d['department_id']}", "collective": True, "name": d["name"],
                          "department": d["name"], "kind": d["commendation"], "band": d["band"],
                          "percent": d["percent"], "evidence": {"members": d["members"]}, "approved": None})
    for r in rows:
        if r["commendation"]:
            found.append({"key": f"u{r['user_id']}", "collective": False, "name": r["name"],
                          "department": r["department"], "kind": r["commendation"], "band": r["band"],
                          "percent": r["percent"], "total": r["total"], "max": r["max"],
                          "evidence": r.get("evidence", {}), "approved": None})
    return found


def _status(evaluation: Evaluation | None) -> dict:
    if evaluation is None:
        return {"id": None, "status": EvaluationStatus.DRAFT.value, "contest_until": None, "version": 0}
    return {"id": evaluation.id, "status": evaluation.status.value, "version": evaluation.version,
            "contest_until": evaluation.contest_until.isoformat() if evaluation.contest_until else None}


def _month_result(year, month, rubric, inputs, evaluation, scores, adjustments, people, today) -> dict:
    criteria, items = _sheet_criteria(rubric, "month")
    items_by_id = {c["id"]: c for c in rubric["criteria"]}
    eval_id = evaluation.id if evaluation else None
    maximum = scoring.round_points(sum(c["max"] for c in criteria))
    rows, unscored = [], 0
    for (mentor_id, m), month_in in inputs.items():
        if m != month or mentor_id not in people:
            continue
        cells, missing = _cells(criteria, mentor_id, eval_id, scores, month_in, None)
        unscored += missing
        adj, bonus, penalty = _adjustment_rows(adjustments.get((eval_id, mentor_id), []), items_by_id)
        total = scoring.sheet_total([c["points"] or 0 for c in cells.values()], bonus, penalty)
        rows.append(people[mentor_id] | {
            "cells": cells, "adjustments": adj, "bonus": bonus, "penalty": penalty, "total": total, "max": maximum,
            "inputs": {"due": month_in.due, "on_time": month_in.on_time, "late": month_in.late,
                       "missing": month_in.missing, "seen": month_in.seen, "family": month_in.family,
                       "progress": month_in.progress, "steady": month_in.steady, "decline": month_in.decline}})
    rows = _finish(rows, rubric)
    return {"key": month_key(month), "kind": "month", "month": month.isoformat(), "term": semester_of(year, month),
            "criteria": criteria, "items": items, "max": maximum, "rows": rows,
            "departments": _departments(rows, rubric), "unscored": unscored,
            "not_due_yet": note_due(month, year.note_day) > today, "as_of": today.isoformat(),
            "bands": rubric["bands"], "settings": rubric["settings"]} | {"evaluation": _status(evaluation)}


def _semester_result(year, term, rubric, today, stored, contests=None) -> dict:
    """The semester sheet, with the month sheets of its months (for a snapshot to keep them)."""
    months = scored_months(year, term, today)
    inputs = month_inputs(year, months, today)
    sem_inputs = semester_inputs(year, term, today)
    key = semester_key(term)
    evaluation = stored.get(key)
    month_evals = {m: stored.get(month_key(m)) for m in months}
    ids = [e.id for e in [evaluation, *month_evals.values()] if e is not None]
    scores, adjustments = _scores(ids), _adjustments(ids)
    people = _people({uid for uid, _m in inputs} | set(sem_inputs))
    month_sheets = {month_key(m): _month_result(year, m, rubric, inputs, month_evals[m], scores, adjustments,
                                                people, today) for m in months}
    criteria, items = _sheet_criteria(rubric, "semester")
    items_by_id = {c["id"]: c for c in rubric["criteria"]}
    method = SemesterMethod(rubric["settings"]["semester_method"])
    month_max = month_sheets[month_key(months[0])]["max"] if months else scoring.round_points(
        sum(c["max"] for c in _sheet_criteria(rubric, "month")[0]))
    eval_id = evaluation.id if evaluation else None
    totals_by_user: dict[int, dict[str, float]] = defaultdict(dict)
    for mkey, sheet in month_sheets.items():
        for row in sheet["rows"]:
            totals_by_user[row["user_id"]][mkey] = row["total"]
    rows, unscored = [], 0
    for user_id, person in people.items():
        month_totals = totals_by_user.get(user_id, {})
        part = scoring.month_part(list(month_totals.values()), method)
        part_max = scoring.month_part_max(month_max, len(month_totals), method)
        sem_in = sem_inputs.get(user_id, SemesterInputs(pledged=False))
        cells, missing = _cells(criteria, user_id, eval_id, scores, None, sem_in)
        unscored += missing
        adj, bonus, penalty = _adjustment_rows(adjustments.get((eval_id, user_id), []), items_by_id)
        total = scoring.sheet_total([part, *(c["points"] or 0 for c in cells.values())], bonus, penalty)
        maximum = scoring.round_points(part_max + sum(c["max"] for c in criteria))
        notes = _sum_inputs(month_sheets, user_id)
        rows.append(person | {
            "months": month_totals, "month_part": part, "month_part_max": part_max, "cells": cells,
            "adjustments": adj, "bonus": bonus, "penalty": penalty, "total": total, "max": maximum,
            "inputs": {"pledged": sem_in.pledged, "plans_due": sem_in.plans_due, "plans_on_time": sem_in.plans_on_time,
                       "mentees": sem_in.mentees, "retained": sem_in.retained, "transferred": sem_in.transferred},
            "evidence": notes | {"retained": sem_in.retained, "mentees": sem_in.mentees,
                                 "plans_on_time": sem_in.plans_on_time, "plans_due": sem_in.plans_due,
                                 "bonus": bonus, "penalty": penalty}})
    rows = _finish(rows, rubric)
    departments = _departments(rows, rubric)
    contests = _open_contests(ids, contests)
    return {"key": key, "kind": "semester", "term": term, "months": [month_key(m) for m in months],
            "criteria": criteria, "items": items, "month_max": month_max, "rows": rows, "departments": departments,
            "commendations": _commendations(rows, departments), "unscored": unscored, "as_of": today.isoformat(),
            "semester_over": semester_bounds(year, term)[1] < today, "open_contests": sum(contests.values()),
            "bands": rubric["bands"], "settings": rubric["settings"], "month_sheets": month_sheets,
            "evaluation": _status(evaluation)}


def _sum_inputs(month_sheets: dict, user_id: int) -> dict[str, int]:
    """The user's note figures over the semester's months (the evidence of a commendation)."""
    total = defaultdict(int)
    for sheet in month_sheets.values():
        for row in sheet["rows"]:
            if row["user_id"] == user_id:
                for k in ("due", "on_time", "seen", "family", "progress"):
                    total[k] += row["inputs"][k]
    return dict(total)


# --- public: the sheets -----------------------------------------------------------------------

def semester_sheet(year: SchoolYear, term: int, today: date, stored: dict[str, Evaluation] | None = None,
                   contests: list | None = None) -> dict:
    """The semester result: the locked snapshot when locked, else computed now."""
    stored = evaluations_of(year) if stored is None else stored
    evaluation = stored.get(semester_key(term))
    if evaluation is not None and evaluation.status == EvaluationStatus.LOCKED and evaluation.snapshot:
        return evaluation.snapshot | {"evaluation": _status(evaluation)}
    return _semester_result(year, term, rubric_dict(year), today, stored, contests)


def month_sheet(year: SchoolYear, month: date, today: date, stored: dict[str, Evaluation] | None = None,
                contests: list | None = None) -> dict:
    """A month's result: from its semester's snapshot when that semester is locked, else computed now."""
    stored = evaluations_of(year) if stored is None else stored
    term = semester_of(year, month)
    semester = stored.get(semester_key(term))
    key = month_key(month)
    evaluation = stored.get(key)
    if semester is not None and semester.status == EvaluationStatus.LOCKED and semester.snapshot:
        kept = semester.snapshot.get("month_sheets", {}).get(key)
        if kept is not None:
            return kept | {"evaluation": _status(evaluation), "semester_locked": True}
    rubric = rubric_dict(year)
    inputs = month_inputs(year, [month], today)
    ids = [evaluation.id] if evaluation else []
    people = _people({uid for uid, _m in inputs})
    result = _month_result(year, month, rubric, inputs, evaluation, _scores(ids), _adjustments(ids), people, today)
    result["open_contests"] = sum(_open_contests(ids, contests).values())
    result["semester_locked"] = False
    return result


def year_sheet(year: SchoolYear, today: date, stored: dict[str, Evaluation] | None = None,
               contests: list | None = None) -> dict:
    """The year result from the two semesters (their snapshots when locked)."""
    stored = evaluations_of(year) if stored is None else stored
    evaluation = stored.get(YEAR_KEY)
    if evaluation is not None and evaluation.status == EvaluationStatus.LOCKED and evaluation.snapshot:
        return evaluation.snapshot | {"evaluation": _status(evaluation)}
    rubric = rubric_dict(year)
    s1 = semester_sheet(year, 1, today, stored, contests)
    s2 = semester_sheet(year, 2, today, stored, contests) if year.semester2_start <= today else None
    w1, w2 = rubric["settings"]["w1"], rubric["settings"]["w2"]
    by_user: dict[int, dict] = {}
    for term, sheet in ((1, s1), (2, s2)):
        for row in (sheet or {}).get("rows", []):
            entry = by_user.setdefault(row["user_id"], {k: row[k] for k in
                                                        ("user_id", "name", "sort_key", "department_id", "department")})
            entry[f"s{term}"] = {"total": row["total"], "max": row["max"], "percent": row["percent"],
                                 "band": row["band"]}
            evidence = entry.setdefault("evidence", defaultdict(int))
            for k, v in row.get("evidence", {}).items():
                evidence[k] += v
    rows = []
    for entry in by_user.values():
        t1, t2 = entry.get("s1"), entry.get("s2")
        entry["total"] = scoring.year_total(t1 and t1["total"], t2 and t2["total"], w1, w2)
        entry["max"] = scoring.year_total(t1 and t1["max"], t2 and t2["max"], w1, w2)
        entry["evidence"] = dict(entry["evidence"])
        rows.append(entry)
    rows = _finish(rows, rubric)
    departments = _departments(rows, rubric)
    return {"key": YEAR_KEY, "kind": "year", "rows": rows, "departments": departments,
            "commendations": _commendations(rows, departments), "as_of": today.isoformat(),
            "semesters_locked": [bool(stored.get(semester_key(t)) and stored[semester_key(t)].status
                                      == EvaluationStatus.LOCKED) for t in (1, 2)],
            "year_over": year.end_date < today, "open_contests": 0,
            "bands": rubric["bands"], "settings": rubric["settings"], "evaluation": _status(evaluation)}


def sheet(year: SchoolYear, key: str, today: date, stored: dict[str, Evaluation] | None = None,
          contests: list | None = None) -> dict | None:
    """Any sheet by key ("2026-11", "s1", "s2", "year"); None for a key not of this year. A page that has
    the year's evaluations (`evaluations_of`) and contests (`services.contests_of`) passes them."""
    parsed = parse_key(year, key)
    if parsed is None:
        return None
    kind, month, term = parsed
    if kind == EvaluationKind.MONTH:
        return month_sheet(year, month, today, stored, contests)
    if kind == EvaluationKind.SEMESTER:
        return semester_sheet(year, term, today, stored, contests)
    return year_sheet(year, today, stored, contests)


def row_of(result: dict, user_id: int) -> dict | None:
    return next((r for r in result.get("rows", []) if r["user_id"] == user_id), None)


def approved_commendations(year: SchoolYear, key: str) -> list[dict]:
    """The commendations leadership approved when locking the semester ("s1", "s2") or the year
    ("year"); empty while that result is not locked. For the twice-yearly reports and the review."""
    evaluation = db.session.scalar(select(Evaluation).where(Evaluation.school_year_id == year.id,
                                                            Evaluation.key == key))
    if evaluation is None or evaluation.status != EvaluationStatus.LOCKED or not evaluation.snapshot:
        return []
    return [c for c in evaluation.snapshot.get("commendations", []) if c.get("approved")]


def is_locked(year: SchoolYear, key: str) -> bool:
    evaluation = evaluations_of(year).get(key)
    return evaluation is not None and evaluation.status == EvaluationStatus.LOCKED


def report_commendations(year: SchoolYear, key: str, as_of: date) -> dict:
    """The commendations a twice-yearly report or the year-end review lists, from the emulation result
    `key` ("s1", "s2", "year"): those leadership approved when the result is locked, else the
    proposals of the result computed as of `as_of` (marked as not approved yet)."""
    stored = evaluations_of(year)
    evaluation = stored.get(key)
    if evaluation is not None and evaluation.status == EvaluationStatus.LOCKED and evaluation.snapshot:
        items = [c for c in evaluation.snapshot.get("commendations", []) if c.get("approved")]
        return {"key": key, "status": "approved", "locked_on": evaluation.snapshot.get("locked_on"), "items": items}
    result = year_sheet(year, as_of, stored) if key == YEAR_KEY else semester_sheet(year, int(key[1]), as_of, stored)
    return {"key": key, "status": "proposed", "locked_on": None, "items": result.get("commendations", [])}
