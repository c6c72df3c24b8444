"""Shared by the hostile-input, XSS, export and field-filtering tests.

- `plant_records(world)`: adds to the `mentoring` world one record of every kind that holds user
  text and that the fixture does not create (a submitted note with its contacts, targets, support,
  revision and review, a contribution, a screening contact, an escalation update, a department
  report, a semester report, a score comment, a contest answer, a pledge, a class's subject teacher).
- `text_columns()`: every free-text column of the models (String/Text, not enums), found by walking
  the mapped classes, minus the machine-readable ones in NOT_FREE_TEXT; a model added later is
  covered without touching these tests.
- `fill_text(value_for)`: writes `value_for(column, row)` into every free-text column of every row.
- `save_figure(name, figure)`: the figures file test-artifacts/security-figures-hostile.json.
"""

import json
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import func, select

from sponsor_app.extensions import db

FIGURES = Path(__file__).resolve().parents[1] / "test-artifacts" / "security-figures-hostile.json"

# Machine-readable strings (keys, codes parsed by the app, hashes, tokens, enum-like keys): not free text.
NOT_FREE_TEXT = {
    "username", "password_hash", "session_token", "sort_key", "search_text", "locale", "key", "action",
    "object_type", "ip", "reminder_days", "kind", "strategy", "parameter", "gender", "code", "moet_id",
    "conduct_rating", "learning_rating",
}
NOT_FREE_TEXT_COLUMNS = {"school_years.name", "evaluations.key"}


def save_figure(name: str, figure: dict) -> None:
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    figures = json.loads(FIGURES.read_text()) if FIGURES.exists() else {}
    figures[name] = figure
    FIGURES.write_text(json.dumps(figures, ensure_ascii=False, indent=2, sort_keys=True))


def mapped_models():
    return sorted((m.class_ for m in db.Model.registry.mappers), key=lambda cls: cls.__tablename__)


def text_columns() -> list[tuple[type, sa.Column]]:
    found = []
    for model in mapped_models():
        for column in model.__table__.columns:
            if not isinstance(column.type, sa.String) or isinstance(column.type, sa.Enum):
                continue
            if column.name in NOT_FREE_TEXT or f"{model.__tablename__}.{column.name}" in NOT_FREE_TEXT_COLUMNS:
                continue
            if column.primary_key or column.foreign_keys:
                continue
            found.append((model, column))
    return found


def fill_text(value_for) -> tuple[int, int, list[str]]:
    """Write value_for(model, column, row) into every free-text column of every row (None: left).

    Returns (columns filled, values written, columns that have no row to hold a value).
    """
    filled, written, empty = 0, 0, []
    for model, column in text_columns():
        attr = next(p.key for p in sa.inspect(model).column_attrs if p.columns[0] is column)
        rows = db.session.scalars(select(model)).all()
        if not rows:
            empty.append(f"{model.__tablename__}.{column.name}")
            continue
        filled += 1
        for row in rows:
            value = value_for(model, column, row)
            if value is None:
                continue
            setattr(row, attr, value)
            written += 1
    db.session.flush()
    return filled, written, empty


def table_counts() -> dict[str, int]:
    """Row count of every table, in one query."""
    tables = list(db.metadata.sorted_tables)
    query = sa.union_all(*(select(sa.literal(t.name).label("t"), func.count().label("n")).select_from(t)
                           for t in tables))
    return {name: n for name, n in db.session.execute(query)}


def plant_records(world) -> None:
    """One record of every user-text kind the `mentoring` fixture lacks (see the module docstring)."""
    from sponsor_app.emulation.rubric import criteria_of
    from sponsor_app.models import (
        ClassTeacher,
        ContactChannel,
        ContactMethod,
        ContactWith,
        CriterionSource,
        DepartmentReport,
        EscalationUpdate,
        EvaluationScore,
        NoteContact,
        NoteContactMethod,
        NoteContribution,
        NoteReview,
        NoteRevision,
        NoteStatus,
        NoteSupport,
        NoteTarget,
        Pledge,
        Rating,
        ReviewStatus,
        ScreeningContact,
        SemesterReport,
        TargetProgress,
        Trend,
    )
    from sponsor_app.timeutil import utcnow

    note = world.note
    note.status = NoteStatus.SUBMITTED
    note.submitted_at = utcnow()
    note.submitted_on_time = True
    note.absences = 2
    note.learning_trend = Trend.BETTER
    note.conduct_trend = Trend.SAME
    note.rating = Rating.PROGRESS
    note.wellbeing = note.concerns = note.next_steps = "x"
    note.review_status = ReviewStatus.SEEN
    note.reviewed_by_id = world.dept_head.id
    note.review_comment = "x"
    with db.session.no_autoflush:
        db.session.add_all([
            NoteContact(note=note, contact_on=note.month + timedelta(days=3), with_whom=next(iter(ContactWith)),
                    method=next(iter(NoteContactMethod)), summary="x"),
        NoteTarget(note=note, goal_id=world.goal.id, progress=next(iter(TargetProgress)), comment="x"),
        NoteSupport(note=note, kind="hoc_bong", value_vnd=500000, donor="x"),
        NoteRevision(note=note, author_id=world.teacher.id, reason="x", changes={"concerns": ["a", "b"]}),
        NoteReview(note=note, reviewer_id=world.dept_head.id, decision=next(iter(ReviewStatus)), comment="x"),
        NoteContribution(school_id=world.school.id, student_id=world.mentee.id, month=note.month,
                         author_id=world.union.id, text="x"),
        ScreeningContact(screening_id=world.mentee_screening.id, author_id=world.leader.id,
                         channel=next(iter(ContactChannel)), method=next(iter(ContactMethod)), person="x",
                         contact_date=world.year.start_date, note="x"),
        EscalationUpdate(escalation_id=world.escalation.id, author_id=world.leader.id, text="x"),
        DepartmentReport(school_id=world.school.id, department_id=world.dept.id, month=date(2026, 10, 1),
                         summary="x", edited_by_id=world.dept_head.id, edited_at=utcnow()),
        SemesterReport(school_id=world.school.id, school_year_id=world.year.id, term=1, number="x",
                       as_of=date(2026, 12, 20), report_date=date(2026, 12, 20), results="x", difficulties="x",
                       proposals="x"),
    ])
    db.session.add_all([
        Pledge(school_id=world.school.id, school_year_id=world.year.id, user_id=world.teacher.id, capacity=1,
               preferred_commune="x", help_subject="x", note="x", pledged_on=world.year.start_date),
        ClassTeacher(class_group_id=world.other_class.id, user_id=world.teacher.id, subject="x"),
    ])
    manual = next((c for c in criteria_of(world.year) if c.source == CriterionSource.MANUAL), None)
    if manual is not None:
        db.session.add(EvaluationScore(evaluation_id=world.evaluation.id, user_id=world.teacher.id,
                                       criterion_id=manual.id, points=1, comment="x",
                                       scored_by_id=world.union.id))
    world.contest.answer = "x"
    world.referral.note = world.referral.outcome = "x"
    world.escalation.outcome = "x"
    world.mentee_screening.decision_reason = "x"
    db.session.flush()
