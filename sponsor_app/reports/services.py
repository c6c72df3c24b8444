"""The twice-yearly reports to the Department of Education: report 1 (term 1, before 30/12) and
report 2 (term 2, before 25/5).

A report is generated from the data *as of a date* D (`as_of`) of its school year Y, as a plain
JSON-ready dict of named parts (see `PART_BUILDERS`):

- ``header``: the official header (governing body, school, "Số: …/BC-…", place and date, title);
- ``figures``: the summary figures in sections, each row {key, label, value, kind};
- ``students``: the appendix table (TT | Họ và tên | Lớp | Hoàn cảnh gia đình, bản thân | Sự rèn
  luyện của bản thân | GV nhận đỡ đầu), with a progress column in report 2;
- ``changes``: what changed since the previous submitted report of the school (report 1 for
  report 2; the previous year's report 2 for report 1): every figure before/after, students
  added to and gone from the table;
- ``narrative``: leadership's texts (results, difficulties, proposals).

A draft is regenerated each time it is shown; submitting stores the dict in
`SemesterReport.snapshot` and locks the row, so later data changes never alter a sent report.
A later part (the commendation list of the emulation results) is one more builder in
`PART_BUILDERS` and one more sheet writer in `export.SHEET_WRITERS`.

Definitions (D = as_of, Y = the school year; "by D" means up to the end of D, Vietnam time):
- staff: active staff accounts (the teacher role; accounts have no history, so as generated);
- pledged: active staff with a *willing* pledge of Y made by D; places: their pledged capacity;
- screened: screenings of Y proposed by D, by the plan's four categories (a student may be in
  several); approved: those approved for sponsorship by D, by category;
- assigned: approved students with a main mentoring running on D (started by D, not ended by D);
  main / supporting mentors: distinct staff with such a main / supporting mentoring; staff with a
  mentee: distinct staff with either; coverage: assigned / approved and staff with a mentee / staff;
- monthly notes: the dashboard's definition with D as today: a note of month M is due from every
  main mentoring that had started by M's due day and not ended by it, for the months of Y whose
  due day is at most D; on time or late as stored at submission when submitted by D, else missing;
- ratings: each mentee's latest note submitted by D (tiến bộ / giữ vững / sa sút);
- material support: the support lines of notes submitted by D (lines, students, VND);
- retained / transferred / dropped out: of the approved students, those still at school on D, those
  whose status became "transferred" / "dropped out" by D; plus the whole school's dropouts from Y's
  first day to D;
- escalations of Y raised by D and closed by D; referrals made by D.

Functions read, or add and flush; the caller commits.
"""

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, func, literal, or_, select, union_all

from .. import audit
from ..assignments.official_list import _class_key, mentors_text_of, year_label
from ..documents.model import date_line
from ..emulation import export as emulation_export
from ..emulation import results as emulation_results
from ..exceptions import RuleError
from ..extensions import db
from ..kept import kept, kept_many
from ..models import (
    Assignment,
    ClassGroup,
    Decision,
    Enrollment,
    Escalation,
    EscalationStatus,
    MentorRole,
    MonthlyNote,
    NoteStatus,
    NoteSupport,
    Pledge,
    Rating,
    Referral,
    ReportStatus,
    School,
    SchoolYear,
    Screening,
    SemesterReport,
    Student,
    StudentStatus,
    User,
)
from ..progress.calendar import campaign_months, note_due
from ..progress.due import due_notes_of
from ..screening.services import CATEGORIES, category_condition
from ..text import join_name
from ..timeutil import SCHOOL_TZ, local_today, utcnow

FORMAT = 1  # the snapshot's layout version
TERMS = (1, 2)
NATIONAL_NAME = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
NATIONAL_MOTTO = "Độc lập - Tự do - Hạnh phúc"
CAMPAIGN = ("CUỘC VẬN ĐỘNG \"MỖI CÁN BỘ, GIÁO VIÊN NHẬN ĐỠ ĐẦU MỘT HỌC SINH CÓ NGUY CƠ BỎ HỌC "
            "VÌ ĐANG GẶP KHÓ KHĂN TRONG HỌC TẬP\"")
TERM_TITLE = {1: "HỌC KỲ I", 2: "NĂM HỌC"}
TERM_NAME = {1: "Báo cáo lần 1 (học kỳ I)", 2: "Báo cáo lần 2 (cuối năm học)"}
STUDENT_HEADERS = ("TT", "Họ và tên", "Lớp", "Hoàn cảnh gia đình, bản thân", "Sự rèn luyện của bản thân",
                   "GV nhận đỡ đầu")
PROGRESS_HEADER = "Sự tiến bộ"
SIGNER = "HIỆU TRƯỞNG"
SIGNER_HINT = "(Ký tên, đóng dấu)"
NARRATIVE_TITLES = (("results", "Kết quả đạt được"), ("difficulties", "Khó khăn, hạn chế"),
                    ("proposals", "Đề xuất, kiến nghị"))
RATING_TEXT = {Rating.PROGRESS.value: "tiến bộ", Rating.STEADY.value: "giữ vững", Rating.DECLINE.value: "sa sút"}
CATEGORY_TEXT = {"hardship": "khó khăn về kinh tế, gia cảnh", "conduct": "rèn luyện, hạnh kiểm yếu",
                 "academic": "học tập, học lực yếu, kém", "dropout": "nguy cơ bỏ học giữa chừng"}


def deadline(year: SchoolYear, term: int) -> date:
    return year.report1_deadline if term == 1 else year.report2_deadline


def default_as_of(year: SchoolYear, term: int, today: date) -> date:
    """Today, but not after the report's deadline nor before the year's first day."""
    return max(year.start_date, min(today, deadline(year, term)))


def end_of(day: date) -> datetime:
    """The first instant after `day` in Vietnam, in UTC (for "by D" on UTC timestamps)."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=SCHOOL_TZ).astimezone(UTC)


def pct(part: int, whole: int) -> str:
    """87.5 → "87,5%" (the document's format); "—" when there is nothing to divide by."""
    if not whole:
        return "—"
    return f"{round(100 * part / whole, 1):.1f}".replace(".", ",") + "%"


def vnd(amount: int) -> str:
    return f"{amount:,}".replace(",", ".")


# --- the figures ------------------------------------------------------------------------------

def _running_on(day: date):
    return and_(Assignment.started_on <= day, or_(Assignment.ended_on.is_(None), Assignment.ended_on > day))


def _decided_by(as_of: date):
    """Decided by the end of `as_of` (a decision without its time, from old data, counts as decided)."""
    return or_(Screening.decided_at.is_(None), Screening.decided_at < end_of(as_of))


def _at_school_on(day: date):
    """Still at school on `day`: enrolled or graduated, or left only after it."""
    return or_(Student.status.in_([StudentStatus.ENROLLED, StudentStatus.GRADUATED]),
               Student.status_date.is_(None), Student.status_date > day)


def cohort(year: SchoolYear, as_of: date) -> tuple:
    """What the statements of `figures_of` share: years with the same key are computed together."""
    return (as_of, year.start_date, year.end_date, year.note_day)


def figures(school_id: int, year: SchoolYear, as_of: date) -> dict[str, int | str]:
    """Every figure of the report, by key (see the module docstring). A fixed number of queries."""
    if year.school_id != school_id:
        raise ValueError("figures: the year is not the school's")
    return figures_of([year], as_of)[year.id]


def figures_of(years: list[SchoolYear], as_of: date) -> dict[int, dict[str, int | str]]:
    """year id → its figures, for several schools' years of one `cohort` at once (the district's
    workbook): six statements whatever the number of schools, each grouped by school year."""
    from ..assignments.services import staff_where

    if len({cohort(y, as_of) for y in years}) != 1:
        raise ValueError("figures_of: the years must share their data date and calendar")
    first, ids = years[0], [y.id for y in years]
    end = end_of(as_of)

    # What is counted for the whole school or the whole year: one statement, a union of grouped counts,
    # each row (what, school or year id, up to three figures).
    school_ids = [y.school_id for y in years]
    staff = (staff_where(User.school_id.in_(school_ids))
             .with_only_columns(literal("staff"), User.school_id, func.count(User.id.distinct()), literal(0), literal(0))
             .group_by(User.school_id))
    pledges = (select(literal("pledges"), Pledge.school_year_id, func.count(Pledge.id),
                      func.coalesce(func.sum(Pledge.capacity), 0), literal(0))
               .join(User, User.id == Pledge.user_id)
               .where(Pledge.school_year_id.in_(ids), Pledge.willing.is_(True), Pledge.pledged_on <= as_of,
                      User.active.is_(True)).group_by(Pledge.school_year_id))
    supports = (select(literal("supports"), MonthlyNote.school_year_id, func.count(NoteSupport.id),
                       func.count(MonthlyNote.student_id.distinct()), func.coalesce(func.sum(NoteSupport.value_vnd), 0))
                .join(MonthlyNote, MonthlyNote.id == NoteSupport.note_id)
                .where(MonthlyNote.school_year_id.in_(ids), MonthlyNote.status == NoteStatus.SUBMITTED,
                       MonthlyNote.submitted_at < end).group_by(MonthlyNote.school_year_id))
    dropouts = (select(literal("dropouts"), Student.school_id, func.count(Student.id), literal(0), literal(0))
                .where(Student.school_id.in_(school_ids), Student.status == StudentStatus.DROPPED_OUT,
                       Student.status_date.between(first.start_date, as_of)).group_by(Student.school_id))
    escalations = (select(literal("escalations"), Escalation.school_year_id, func.count(Escalation.id),
                          func.count(Escalation.id).filter(and_(Escalation.status == EscalationStatus.CLOSED,
                                                                Escalation.closed_at < end)), literal(0))
                   .where(Escalation.school_year_id.in_(ids), Escalation.raised_at < end)
                   .group_by(Escalation.school_year_id))
    referrals = (select(literal("referrals"), Escalation.school_year_id, func.count(Referral.id), literal(0),
                        literal(0))
                 .join(Escalation, Escalation.id == Referral.escalation_id)
                 .where(Escalation.school_year_id.in_(ids), Referral.referred_on <= as_of)
                 .group_by(Escalation.school_year_id))
    counted: dict[tuple[str, int], tuple[int, int, int]] = {
        (what, key): (int(a), int(b), int(c)) for what, key, a, b, c in db.session.execute(
            union_all(staff, pledges, supports, dropouts, escalations, referrals))}

    screened = Screening.proposed_on <= as_of
    approved = and_(screened, Screening.decision == Decision.APPROVED, _decided_by(as_of))
    by_year = {row[0]: row[1:] for row in db.session.execute(select(
        Screening.school_year_id,
        func.count().filter(screened), *[func.count().filter(and_(screened, category_condition(c))) for c in CATEGORIES],
        func.count().filter(approved), *[func.count().filter(and_(approved, category_condition(c))) for c in CATEGORIES],
    ).where(Screening.school_year_id.in_(ids)).group_by(Screening.school_year_id))}

    # The mentorings running on D, each with "is its student approved by D in that year?".
    approved_here = (select(Screening.id).where(Screening.student_id == Assignment.student_id,
                                                Screening.school_year_id == Assignment.school_year_id,
                                                Screening.decision == Decision.APPROVED, _decided_by(as_of))
                     .exists())
    running: dict[int, list[tuple]] = defaultdict(list)
    for year_id, *entry in db.session.execute(
            select(Assignment.school_year_id, Assignment.student_id, Assignment.mentor_id, Assignment.role, approved_here)
            .where(Assignment.school_year_id.in_(ids), _running_on(as_of))):
        running[year_id].append(tuple(entry))

    months = [m for m in campaign_months(first.start_date, min(as_of, first.end_date))
              if note_due(m, first.note_day) <= as_of]
    notes: dict[int, tuple] = {}
    if months:
        stmt, _table = due_notes_of(ids, first.note_day, months, submitted_before=end)
        notes = {row[0]: row[1:] for row in db.session.execute(stmt.add_columns(
            Assignment.school_year_id, func.count(),
            func.count(MonthlyNote.id).filter(MonthlyNote.submitted_on_time.is_(True)),
            func.count(MonthlyNote.id).filter(or_(MonthlyNote.submitted_on_time.is_(False),
                                                  MonthlyNote.submitted_on_time.is_(None))))
            .group_by(Assignment.school_year_id))}

    mentees = {row[0]: row[1:] for row in db.session.execute(
        select(Screening.school_year_id, func.count(),
               func.count().filter(_at_school_on(as_of)),
               func.count().filter(and_(Student.status == StudentStatus.TRANSFERRED, Student.status_date <= as_of)),
               func.count().filter(and_(Student.status == StudentStatus.DROPPED_OUT, Student.status_date <= as_of)))
        .join(Student, Student.id == Screening.student_id)
        .where(Screening.school_year_id.in_(ids), Screening.decision == Decision.APPROVED, _decided_by(as_of))
        .group_by(Screening.school_year_id))}

    # Each mentee's latest rating submitted by D, counted per year and rating in the database.
    ranked = (select(MonthlyNote.school_year_id, MonthlyNote.rating,
                     func.row_number().over(partition_by=(MonthlyNote.school_year_id, MonthlyNote.student_id),
                                            order_by=MonthlyNote.month.desc()).label("rank"))
              .where(MonthlyNote.school_year_id.in_(ids), MonthlyNote.status == NoteStatus.SUBMITTED,
                     MonthlyNote.rating.is_not(None), MonthlyNote.submitted_at < end).subquery())
    ratings = {(year_id, Rating(rating).value): n for year_id, rating, n in db.session.execute(
        select(ranked.c.school_year_id, ranked.c.rating, func.count()).where(ranked.c.rank == 1)
        .group_by(ranked.c.school_year_id, ranked.c.rating))}
    result: dict[int, dict[str, int | str]] = {}
    for y in years:
        year_id, f = y.id, {}
        f["staff"] = counted.get(("staff", y.school_id), (0, 0, 0))[0]
        f["pledged"], f["pledged_places"], _ = counted.get(("pledges", year_id), (0, 0, 0))
        row = by_year.get(year_id) or (0,) * (2 + 2 * len(CATEGORIES))
        f["screened"] = row[0]
        for i, c in enumerate(CATEGORIES, start=1):
            f[f"screened_{c}"] = row[i]
        f["approved"] = row[1 + len(CATEGORIES)]
        for i, c in enumerate(CATEGORIES, start=2 + len(CATEGORIES)):
            f[f"approved_{c}"] = row[i]
        rows = running.get(year_id, [])
        f["assigned"] = len({s for s, _m, r, ok in rows if r == MentorRole.MAIN and ok})
        f["main_mentors"] = len({m for _s, m, r, _a in rows if r == MentorRole.MAIN})
        f["support_mentors"] = len({m for _s, m, r, _a in rows if r == MentorRole.SUPPORT})
        f["staff_with_mentee"] = len({m for _s, m, _r, _a in rows})
        f["coverage_students"] = pct(f["assigned"], f["approved"])
        f["coverage_staff"] = pct(f["staff_with_mentee"], f["staff"])
        due, on_time, late = notes.get(year_id, (0, 0, 0))
        f["notes_due"], f["notes_on_time"], f["notes_late"] = due, on_time, late
        f["notes_missing"] = due - on_time - late
        f["notes_on_time_pct"] = pct(on_time, due)
        f["rating_progress"] = ratings.get((year_id, Rating.PROGRESS.value), 0)
        f["rating_steady"] = ratings.get((year_id, Rating.STEADY.value), 0)
        f["rating_decline"] = ratings.get((year_id, Rating.DECLINE.value), 0)
        f["support_items"], f["support_students"], f["support_vnd"] = counted.get(("supports", year_id), (0, 0, 0))
        f["mentees"], f["retained"], f["transferred"], f["dropped_out"] = mentees.get(year_id, (0, 0, 0, 0))
        f["school_dropouts"] = counted.get(("dropouts", y.school_id), (0, 0, 0))[0]
        f["escalations"], f["escalations_closed"], _ = counted.get(("escalations", year_id), (0, 0, 0))
        f["referrals"] = counted.get(("referrals", year_id), (0, 0, 0))[0]
        result[year_id] = f
    return result


def latest_ratings(school_id: int, year: SchoolYear, as_of: date) -> dict[int, tuple[str, date, Counter]]:
    """student id → (latest rating, its month, Counter of every rating) over the notes of `year`
    submitted by `as_of` (one query)."""
    if year.school_id != school_id:
        raise ValueError("latest_ratings: the year is not the school's")
    return latest_ratings_of([year.id], as_of).get(year.id, {})


def latest_ratings_of(year_ids: list[int], as_of: date) -> dict[int, dict[int, tuple[str, date, Counter]]]:
    """year id → `latest_ratings` of that year, for several years at once (one query)."""
    rows = db.session.execute(
        select(MonthlyNote.school_year_id, MonthlyNote.student_id, MonthlyNote.month, MonthlyNote.rating)
        .where(MonthlyNote.school_year_id.in_(year_ids),
               MonthlyNote.status == NoteStatus.SUBMITTED, MonthlyNote.rating.is_not(None),
               MonthlyNote.submitted_at < end_of(as_of))
        .order_by(MonthlyNote.school_year_id, MonthlyNote.student_id, MonthlyNote.month)).all()
    result: dict[int, dict[int, tuple[str, date, Counter]]] = defaultdict(dict)
    for year_id, student_id, month, rating in rows:
        of_year = result[year_id]
        value = Rating(rating).value
        counter = of_year[student_id][2] if student_id in of_year else Counter()
        counter[value] += 1
        of_year[student_id] = (value, month, counter)
    return result


# (section title, [(key, label, kind)]); kind: count, pct (text), vnd
SECTIONS: list[tuple[str, list[tuple[str, str, str]]]] = [
    ("I. Cán bộ, giáo viên, nhân viên đăng ký nhận đỡ đầu", [
        ("staff", "Tổng số cán bộ, giáo viên, nhân viên", "count"),
        ("pledged", "Số người đăng ký nhận đỡ đầu", "count"),
        ("pledged_places", "Số học sinh đăng ký nhận đỡ đầu", "count"),
    ]),
    ("II. Học sinh được rà soát và duyệt đỡ đầu", [
        ("screened", "Số học sinh được rà soát, khảo sát", "count"),
        *[(f"screened_{c}", f"– trong đó {CATEGORY_TEXT[c]}", "count") for c in CATEGORIES],
        ("approved", "Số học sinh được duyệt đỡ đầu", "count"),
        *[(f"approved_{c}", f"– trong đó {CATEGORY_TEXT[c]}", "count") for c in CATEGORIES],
    ]),
    ("III. Phân công đỡ đầu", [
        ("assigned", "Số học sinh đã có GV đỡ đầu chính", "count"),
        ("coverage_students", "Tỉ lệ học sinh được duyệt đã có GV đỡ đầu chính", "pct"),
        ("main_mentors", "Số GV đỡ đầu chính", "count"),
        ("support_mentors", "Số GV hỗ trợ", "count"),
        ("staff_with_mentee", "Số cán bộ, giáo viên, nhân viên đang đỡ đầu", "count"),
        ("coverage_staff", "Tỉ lệ cán bộ, giáo viên, nhân viên đang đỡ đầu", "pct"),
    ]),
    ("IV. Theo dõi, nhận xét hằng tháng", [
        ("notes_due", "Số nhận xét hằng tháng phải nộp", "count"),
        ("notes_on_time", "Nộp đúng hạn", "count"),
        ("notes_late", "Nộp muộn", "count"),
        ("notes_missing", "Còn thiếu", "count"),
        ("notes_on_time_pct", "Tỉ lệ nộp đúng hạn", "pct"),
        ("rating_progress", "Học sinh tiến bộ (đánh giá gần nhất)", "count"),
        ("rating_steady", "Học sinh giữ vững (đánh giá gần nhất)", "count"),
        ("rating_decline", "Học sinh sa sút (đánh giá gần nhất)", "count"),
    ]),
    ("V. Hỗ trợ vật chất", [
        ("support_items", "Số lượt hỗ trợ", "count"),
        ("support_students", "Số học sinh được hỗ trợ", "count"),
        ("support_vnd", "Tổng giá trị hỗ trợ (đồng)", "vnd"),
    ]),
    ("VI. Duy trì sĩ số", [
        ("mentees", "Số học sinh được đỡ đầu", "count"),
        ("retained", "Tiếp tục đi học", "count"),
        ("transferred", "Chuyển trường", "count"),
        ("dropped_out", "Bỏ học", "count"),
        ("school_dropouts", "Số học sinh bỏ học toàn trường từ đầu năm học", "count"),
    ]),
    ("VII. Vụ việc cần can thiệp, chuyển gửi", [
        ("escalations", "Số vụ việc được báo cáo", "count"),
        ("escalations_closed", "Số vụ việc đã kết thúc", "count"),
        ("referrals", "Số lượt chuyển gửi đến đơn vị hỗ trợ", "count"),
    ]),
]


def figures_part(values: dict) -> dict:
    return {"sections": [{"title": title, "rows": [{"key": key, "label": label, "kind": kind, "value": values[key]}
                                                   for key, label, kind in rows]}
                         for title, rows in SECTIONS]}


def flat_figures(part: dict) -> dict[str, dict]:
    """key → row of a figures part (of a live report or a snapshot)."""
    return {row["key"]: row for section in part.get("sections", []) for row in section["rows"]}


# --- the student table ------------------------------------------------------------------------

def progress_text(latest: tuple[str, date, Counter] | None) -> str:
    if latest is None:
        return "Chưa có nhận xét"
    rating, month, counter = latest
    counts = ", ".join(f"{counter.get(r, 0)} {RATING_TEXT[r]}" for r in RATING_TEXT)
    return f"{RATING_TEXT[rating].capitalize()} (tháng {month.strftime('%m/%Y')}); {counts}"


def student_rows(school_id: int, year: SchoolYear, as_of: date, *, with_progress: bool) -> list[dict]:
    """The appendix table as of `as_of`: students approved by then and still at school, with the
    mentors running on that day (and, in report 2, their progress). Three queries."""
    if year.school_id != school_id:
        raise ValueError("student_rows: the year is not the school's")
    return student_rows_of([year.id], as_of, with_progress=with_progress)[year.id]


def student_rows_of(year_ids: list[int], as_of: date, *, with_progress: bool) -> dict[int, list[dict]]:
    """year id → `student_rows` of that year, for several schools' years at once (three queries)."""
    found = db.session.execute(
        select(Screening.school_year_id, Student.id, Student.family_name, Student.middle_name, Student.given_name,
               Student.sort_key, Screening.circumstances_text, Screening.conduct_text, ClassGroup.name,
               ClassGroup.grade)
        .join(Screening, Screening.student_id == Student.id)
        .join(Enrollment, and_(Enrollment.student_id == Student.id,
                               Enrollment.school_year_id == Screening.school_year_id))
        .join(ClassGroup, ClassGroup.id == Enrollment.class_group_id)
        .where(Screening.school_year_id.in_(year_ids), Screening.decision == Decision.APPROVED,
               _decided_by(as_of), _at_school_on(as_of))).all()
    # Columns, not ORM objects: the table of a large school has hundreds of rows.
    by_student: dict[tuple[int, int], list[tuple]] = defaultdict(list)  # (year id, student id) → mentorings
    if found:
        for year_id, student_id, *entry in db.session.execute(
                select(Assignment.school_year_id, Assignment.student_id, Assignment.id, Assignment.role,
                       Assignment.started_on, User.full_name)
                .join(User, User.id == Assignment.mentor_id)
                .where(Assignment.school_year_id.in_(year_ids), _running_on(as_of))):
            by_student[year_id, student_id].append(tuple(entry))
    latest = latest_ratings_of(year_ids, as_of) if with_progress else {}
    result: dict[int, list[dict]] = {year_id: [] for year_id in year_ids}
    class_keys = {name: _class_key(name) for name in {r.name for r in found}}  # a school has tens of classes
    for r in sorted(found, key=lambda r: (r.grade, class_keys[r.name], r.sort_key, r.id)):
        rows = result[r.school_year_id]
        row = {"tt": len(rows) + 1, "student_id": r.id, "name": join_name(r.family_name, r.middle_name, r.given_name),
               "class": r.name, "circumstances": (r.circumstances_text or "").strip(),
               "conduct": (r.conduct_text or "").strip(), "mentors": mentors_text_of(by_student.get((r.school_year_id, r.id), []))}
        if with_progress:
            row["progress"] = progress_text(latest.get(r.school_year_id, {}).get(r.id))
        rows.append(row)
    return result


def students_part(rows: list[dict], term: int) -> dict:
    headers = list(STUDENT_HEADERS) + ([PROGRESS_HEADER] if term == 2 else [])
    return {"headers": headers, "rows": rows}


# --- the header and the narrative -------------------------------------------------------------

def title_text(year: SchoolYear, term: int) -> str:
    return f"BÁO CÁO KẾT QUẢ THỰC HIỆN {CAMPAIGN} {TERM_TITLE[term]} NĂM HỌC {year_label(year)}"


def header_part(school: School, year: SchoolYear, term: int, report: SemesterReport | None, as_of: date,
                today: date) -> dict:
    number = (report.number if report else None) or ""
    day = report.report_date if report else today
    return {"governing_body": (school.governing_body or "").strip().upper(),
            "school": (school.name or "").strip().upper(),
            "number": f"Số: {number.strip() or '…'}",
            "date_line": date_line(school.place_name, day),
            "title": title_text(year, term),
            "as_of": f"(Số liệu tính đến ngày {as_of.strftime('%d/%m/%Y')})",
            "signer": SIGNER, "signer_hint": SIGNER_HINT,
            "principal": (school.principal_name or "").strip()}


def narrative_part(report: SemesterReport | None) -> dict:
    return {key: ((getattr(report, key) or "").strip() if report else "") for key, _title in NARRATIVE_TITLES}


def generated_results(values: dict, term: int) -> str:
    """A starting text for "Kết quả đạt được": the figures in sentences (no narrative is quoted)."""
    return "\n".join([
        f"Nhà trường có {values['staff']} cán bộ, giáo viên, nhân viên; {values['pledged']} người đăng ký nhận "
        f"đỡ đầu {values['pledged_places']} học sinh.",
        f"Đã rà soát {values['screened']} học sinh, duyệt đỡ đầu {values['approved']} học sinh; "
        f"{values['assigned']} học sinh đã có GV đỡ đầu chính ({values['coverage_students']}), "
        f"với {values['main_mentors']} GV đỡ đầu chính và {values['support_mentors']} GV hỗ trợ.",
        f"Nhận xét hằng tháng: {values['notes_on_time']}/{values['notes_due']} nộp đúng hạn, "
        f"{values['notes_late']} nộp muộn, {values['notes_missing']} còn thiếu.",
        f"Đánh giá gần nhất: {values['rating_progress']} học sinh tiến bộ, {values['rating_steady']} giữ vững, "
        f"{values['rating_decline']} sa sút.",
        f"Hỗ trợ vật chất: {values['support_items']} lượt cho {values['support_students']} học sinh, tổng giá trị "
        f"{vnd(values['support_vnd'])} đồng.",
        f"Trong {values['mentees']} học sinh được đỡ đầu: {values['retained']} tiếp tục đi học, "
        f"{values['transferred']} chuyển trường, {values['dropped_out']} bỏ học.",
    ])


# --- the changes since the previous report ----------------------------------------------------

def previous_report(year: SchoolYear, term: int) -> SemesterReport | None:
    """The school's submitted report just before this one: report 1 of the same year for report 2,
    the latest submitted report of an earlier year for report 1."""
    if term == 2:
        found = db.session.scalar(select(SemesterReport).where(
            SemesterReport.school_year_id == year.id, SemesterReport.term == 1,
            SemesterReport.status == ReportStatus.SUBMITTED))
        if found is not None:
            return found
    return db.session.scalar(
        select(SemesterReport).join(SchoolYear, SchoolYear.id == SemesterReport.school_year_id)
        .where(SemesterReport.school_id == year.school_id, SchoolYear.start_date < year.start_date,
               SemesterReport.status == ReportStatus.SUBMITTED)
        .order_by(SchoolYear.start_date.desc(), SemesterReport.term.desc()).limit(1))


def changes_part(previous: SemesterReport | None, figures: dict, students: dict) -> dict:
    if previous is None or not previous.snapshot:
        return {"previous": None, "figures": [], "added": [], "removed": []}
    old = previous.snapshot["parts"]
    before = flat_figures(old.get("figures", {}))
    rows = []
    for key, row in flat_figures(figures).items():
        old_value = before.get(key, {}).get("value")
        delta = (row["value"] - old_value) if isinstance(row["value"], int) and isinstance(old_value, int) else None
        rows.append({"key": key, "label": row["label"], "kind": row["kind"], "before": old_value,
                     "after": row["value"], "delta": delta})
    old_rows = {r["student_id"]: r for r in old.get("students", {}).get("rows", [])}
    new_rows = {r["student_id"]: r for r in students["rows"]}
    added = [{"student_id": i, "name": r["name"], "class": r["class"]} for i, r in new_rows.items() if i not in old_rows]
    removed = [{"student_id": i, "name": r["name"], "class": r["class"]} for i, r in old_rows.items()
               if i not in new_rows]
    return {"previous": {"term": previous.term, "year": previous.snapshot.get("year"),
                         "as_of": previous.snapshot.get("as_of"), "id": previous.id},
            "figures": rows, "added": added, "removed": removed}


# --- the whole report ---------------------------------------------------------------------

COMMENDATION_HEADERS = ("TT", "Hình thức", "Tập thể / cá nhân", "Tổ", "Xếp loại thi đua", "Thành tích (số liệu)")


def report_emulation_key(year: SchoolYear, term: int) -> str:
    """Report 1 lists semester I's commendations; report 2 the year's once approved, else semester II's."""
    if term == 2 and emulation_results.is_locked(year, emulation_results.YEAR_KEY):
        return emulation_results.YEAR_KEY
    return f"s{term}"


def commendations_part(year: SchoolYear, key: str, as_of: date) -> dict:
    """The commendation list from the emulation result `key` ("s1", "s2", "year"): the collectives
    and individuals leadership approved when locking it, else those proposed by the result as of
    `as_of` (marked as not approved). Staff names and indicators only."""
    found = emulation_results.report_commendations(year, key, as_of)
    with force_locale("vi"):
        rows = [{"tt": n, "kind": emulation_export.KIND_TEXT.get(c["kind"], c["kind"]),
                 "who": f"Tổ {c['name']}" if c["collective"] else c["name"],
                 "department": "" if c["collective"] else c["department"], "band": c["band"] or "",
                 "evidence": emulation_export.evidence_text(c)} for n, c in enumerate(found["items"], start=1)]
    basis = "Kết quả thi đua " + {"s1": "học kỳ I", "s2": "học kỳ II", "year": "năm học"}[key]
    if found["status"] == "approved":
        day = found["locked_on"]
        status = f"{basis}, Ban giám hiệu duyệt ngày {day[8:10]}/{day[5:7]}/{day[:4]}"
    else:
        status = f"{basis} (chưa duyệt): danh sách đề nghị theo số liệu đến ngày {as_of:%d/%m/%Y}"
    return {"status": found["status"], "basis": status, "headers": list(COMMENDATION_HEADERS), "rows": rows}


def generate(school: School, year: SchoolYear, term: int, report: SemesterReport | None = None, *,
             as_of: date | None = None, today: date | None = None) -> dict:
    """The report's parts generated from the data as of `as_of` (the report's, else the default)."""
    today = today or local_today()
    as_of = as_of or (report.as_of if report else default_as_of(year, term, today))
    values = figures(school.id, year, as_of)
    students = students_part(student_rows(school.id, year, as_of, with_progress=term == 2), term)
    fig = figures_part(values)
    parts = {
        "header": header_part(school, year, term, report, as_of, today),
        "figures": fig,
        "narrative": narrative_part(report),
        "students": students,
        "changes": changes_part(previous_report(year, term), fig, students),
        "commendations": commendations_part(year, report_emulation_key(year, term), as_of),
    }
    return {"format": FORMAT, "term": term, "year": year.name, "as_of": as_of.isoformat(),
            "generated_at": utcnow().isoformat(timespec="seconds"), "parts": parts}


def summaries(items: list[tuple[School, SchoolYear, SemesterReport | None]], term: int) -> list[dict]:
    """The parts of each school's report a summary of several schools needs (`reports.district`): its
    date, the figures and the student table, in order. A submitted report's snapshot; else computed
    like `generate` (without the header, narrative, changes and commendations, which a summary does
    not show) and kept while the school's data is unchanged (`kept_many`). The schools computed are
    computed together, a fixed number of statements per `cohort` whatever their number."""
    docs: list[dict | None] = [None] * len(items)
    todo = []
    today = local_today()
    for i, (school, year, report) in enumerate(items):
        if report is not None and report.locked and report.snapshot:
            doc = report.snapshot
            docs[i] = {"term": doc["term"], "year": doc["year"], "as_of": doc["as_of"],
                       "parts": {"figures": doc["parts"]["figures"], "students": doc["parts"]["students"]}}
        else:
            todo.append((i, school, year, report.as_of if report else default_as_of(year, term, today)))

    def compute(indexes: list[int]) -> dict[int, dict]:
        groups: dict[tuple, list[int]] = defaultdict(list)
        for k in indexes:
            _i, _school, year, as_of = todo[k]
            groups[cohort(year, as_of)].append(k)
        out = {}
        for keys in groups.values():
            years, as_of = [todo[k][2] for k in keys], todo[keys[0]][3]
            values = figures_of(years, as_of)
            rows = student_rows_of([y.id for y in years], as_of, with_progress=term == 2)
            for k, year in zip(keys, years, strict=True):
                out[k] = {"term": term, "year": year.name, "as_of": as_of.isoformat(),
                          "parts": {"figures": figures_part(values[year.id]),
                                    "students": students_part(rows[year.id], term)}}
        return out

    entries = [(school, f"report-summary:{year.id}:{term}", {"as_of": as_of}) for _i, school, year, as_of in todo]
    for (i, *_rest), doc in zip(todo, kept_many(entries, compute), strict=True):
        docs[i] = doc
    return docs


def document(school: School, year: SchoolYear, term: int, report: SemesterReport | None) -> dict:
    """What the page, the print view and the workbook show: the snapshot of a submitted report,
    else the report generated now, kept while the school's data is unchanged (`kept`: the page, its
    print view and its workbook share one computation)."""
    if report is not None and report.locked and report.snapshot:
        return report.snapshot
    today = local_today()
    as_of = report.as_of if report else default_as_of(year, term, today)
    return kept(school, f"report:{year.id}:{term}", {"as_of": as_of, "today": today},
                lambda: generate(school, year, term, report, as_of=as_of, today=today))


def draft_values(doc: dict) -> dict[str, int | str]:
    """The figures of a generated document by key (what `figures` returned for it)."""
    return {key: row["value"] for key, row in flat_figures(doc["parts"]["figures"]).items()}


def student_ids(doc: dict) -> list[int]:
    return [r["student_id"] for r in doc["parts"].get("students", {}).get("rows", [])]


# --- the lifecycle --------------------------------------------------------------------------

def report_of(year: SchoolYear, term: int) -> SemesterReport | None:
    return db.session.scalar(select(SemesterReport).where(SemesterReport.school_year_id == year.id,
                                                          SemesterReport.term == term))


def reports_of(year: SchoolYear) -> dict[int, SemesterReport]:
    return {r.term: r for r in db.session.scalars(select(SemesterReport).where(
        SemesterReport.school_year_id == year.id))}


def start_report(year: SchoolYear, term: int, *, by: User, today: date | None = None) -> SemesterReport:
    """The draft of the report, created on the first save with the generated results text."""
    today = today or local_today()
    as_of = default_as_of(year, term, today)
    report = SemesterReport(school_id=year.school_id, school_year_id=year.id, term=term, as_of=as_of,
                            report_date=today, results=generated_results(figures(year.school_id, year, as_of), term))
    db.session.add(report)
    db.session.flush()
    audit.record("semester_report_started", report, user=by, term=term, year=year.name)
    return report


def check_dates(year: SchoolYear, as_of: date, report_date: date) -> None:
    """:raises RuleError: the data date outside the school year or after the report's date."""
    if not year.start_date <= as_of <= year.end_date:
        raise RuleError(_("Ngày chốt số liệu phải nằm trong năm học %(y)s (%(a)s – %(b)s).", y=year.name,
                          a=year.start_date.strftime("%d/%m/%Y"), b=year.end_date.strftime("%d/%m/%Y")))
    if report_date < as_of:
        raise RuleError(_("Ngày báo cáo không được trước ngày chốt số liệu."))


def save_report(report: SemesterReport, data: dict, *, by: User) -> SemesterReport:
    """Save the number, dates and narratives of a draft.

    :raises RuleError: the report is locked, or the dates are unusable.
    """
    if report.locked:
        raise RuleError(_("Báo cáo đã gửi và đã khoá; không sửa được."))
    check_dates(report.school_year, data["as_of"], data["report_date"])
    for key in ("number", "as_of", "report_date", "results", "difficulties", "proposals"):
        setattr(report, key, data[key])
    report.edited_by_id, report.edited_at = by.id, utcnow()
    db.session.flush()
    audit.record("semester_report_saved", report, user=by, term=report.term)
    return report


def submit(report: SemesterReport, school: School, *, by: User, today: date | None = None) -> SemesterReport:
    """Lock the report: its parts, generated as of its date, are stored and never recomputed.

    :raises RuleError: already submitted, or no results written.
    """
    if report.locked:
        raise RuleError(_("Báo cáo này đã được gửi."))
    if not (report.results or "").strip():
        raise RuleError(_("Hãy viết phần kết quả đạt được trước khi gửi."))
    report.snapshot = generate(school, report.school_year, report.term, report, today=today)
    report.status, report.submitted_at, report.submitted_by_id = ReportStatus.SUBMITTED, utcnow(), by.id
    db.session.flush()
    audit.record("semester_report_submitted", report, user=by, term=report.term,
                 as_of=report.as_of.isoformat(), student_ids=student_ids(report.snapshot))
    return report


def unlock(report: SemesterReport, reason: str, *, by: User) -> SemesterReport:
    """Reopen a submitted report (leadership, with a reason); the snapshot that was sent is kept in
    the audit log.

    :raises RuleError: not submitted, or no reason.
    """
    reason = (reason or "").strip()
    if not report.locked:
        raise RuleError(_("Báo cáo chưa gửi."))
    if not reason:
        raise RuleError(_("Cần ghi lý do mở khoá báo cáo."))
    sent = report.snapshot
    report.status, report.snapshot = ReportStatus.DRAFT, None
    report.submitted_at = report.submitted_by_id = None
    report.edited_by_id, report.edited_at = by.id, utcnow()
    db.session.flush()
    audit.record("semester_report_unlocked", report, user=by, term=report.term, reason=reason[:500],
                 sent_snapshot=sent)
    return report


def record_view(report_doc: dict, year: SchoolYear, kind: str, *, school_id: int, **details) -> None:
    """Every view and export of the student table is audited with the students it contained."""
    audit.record(f"semester_report_{kind}", None, school_id=school_id, year=year.name, term=report_doc["term"],
                 as_of=report_doc["as_of"], student_ids=student_ids(report_doc), **details)


def home_status(year: SchoolYear | None, today: date) -> list[dict]:
    """The two reports of `year` for leadership's home: deadline, days left, state (one query)."""
    if year is None:
        return []
    found = reports_of(year)
    items = []
    for term in TERMS:
        report = found.get(term)
        state = "submitted" if report and report.locked else ("draft" if report else "not_started")
        items.append({"term": term, "deadline": deadline(year, term), "days": (deadline(year, term) - today).days,
                      "state": state})
    return items
