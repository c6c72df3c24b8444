"""Which monthly notes are due, as SQL: the one definition the dashboard and emulation share.

A note of month M is *due* from the main mentoring of the year that had started by M's due day
(the year's `note_day`) and had not ended by then (`ended_on` after the due day). The select
joins the period's months to those mentorings and outer-joins the submitted note, so callers add
their own columns and grouping (one query whatever the number of mentors or months).
"""

from datetime import date, datetime

from sqlalchemy import Date, and_, literal, or_, select, union_all

from ..models import Assignment, MentorRole, MonthlyNote, NoteStatus, SchoolYear
from .calendar import note_due


def months_table(months: list[date], note_day: int):
    """The period's months with their due days, as a small literal table (a CTE)."""
    rows = [select(literal(m, Date).label("month"), literal(note_due(m, note_day), Date).label("due"))
            for m in months]
    return (union_all(*rows) if len(rows) > 1 else rows[0]).cte("period_months")


def due_notes(school_id: int, year: SchoolYear, months: list[date], *, submitted_before: datetime | None = None):
    """(select, months table): the months × the main mentorings owing their note, with the submitted
    note outer-joined (MonthlyNote.id is NULL when it was not sent; with `submitted_before`, also when
    it was sent later: the notes as they stood at that moment). Add columns with add_columns."""
    stmt, table = due_notes_of([year.id], year.note_day, months, submitted_before=submitted_before)
    return stmt.where(Assignment.school_id == school_id), table


def due_notes_of(year_ids: list[int], note_day: int, months: list[date], *, submitted_before: datetime | None = None):
    """`due_notes` for several schools' years sharing the note day (the district's reports): group by
    Assignment.school_year_id."""
    table = months_table(months, note_day)
    sent = MonthlyNote.status == NoteStatus.SUBMITTED
    if submitted_before is not None:
        sent = and_(sent, MonthlyNote.submitted_at < submitted_before)
    stmt = (
        select().select_from(table)
        .join(Assignment, and_(Assignment.started_on <= table.c.due,
                               or_(Assignment.ended_on.is_(None), Assignment.ended_on > table.c.due)))
        .outerjoin(MonthlyNote, and_(MonthlyNote.student_id == Assignment.student_id,
                                     MonthlyNote.month == table.c.month, sent))
        .where(Assignment.school_year_id.in_(year_ids), Assignment.role == MentorRole.MAIN)
    )
    return stmt, table
