"""The demo school's twice-yearly reports (a step of `seed.STEPS`, after the notes and escalations).

The last complete year has both reports submitted (two days before each deadline); the current
year has report 1 submitted (as of two days before its deadline, or as of today when that is
earlier) and report 2 in preparation (a draft as of today, its narratives partly written). Every
date is at most the demo's today, every moment at most its now (`Demo.at`).
"""

import random
from datetime import timedelta

from ..models import SchoolYear
from . import services

DIFFICULTIES = ("Một số gia đình ở xa, khó liên lạc thường xuyên; mùa thu hoạch cà phê học sinh nghỉ học phụ giúp.",
                "Kinh phí hỗ trợ vật chất còn hạn chế; một số học sinh chưa có phương tiện đến trường.")
PROPOSALS = ("Đề nghị Sở hỗ trợ học bổng cho học sinh thuộc hộ nghèo, cận nghèo.",
             "Đề nghị địa phương phối hợp vận động gia đình cho các em đi học đều.")


def _submitted(demo, rng: random.Random, year: SchoolYear, term: int, as_of, number: int) -> None:
    leader = demo.accounts["leader"]
    report = services.start_report(year, term, by=leader, today=as_of)
    report.as_of, report.report_date, report.number = as_of, as_of, f"{number}/BC-THPTHB"
    report.difficulties, report.proposals = rng.choice(DIFFICULTIES), rng.choice(PROPOSALS)
    services.submit(report, demo.school, by=leader, today=as_of)
    report.snapshot = dict(report.snapshot, generated_at=demo.at(as_of, 9).isoformat(timespec="seconds"))
    report.submitted_at = report.created_at = report.updated_at = demo.at(as_of, 9)


def add_semester_reports(demo, rng: random.Random) -> None:
    previous, current, today = demo.previous, demo.current, demo.today
    _submitted(demo, rng, previous, 1, previous.report1_deadline - timedelta(days=2), 21)
    _submitted(demo, rng, previous, 2, previous.report2_deadline - timedelta(days=2), 45)
    as_of = max(current.start_date, min(today, current.report1_deadline - timedelta(days=2)))
    _submitted(demo, rng, current, 1, as_of, 19)
    draft = services.start_report(current, 2, by=demo.accounts["leader"], today=today)
    draft.difficulties = rng.choice(DIFFICULTIES)
    draft.created_at = draft.updated_at = demo.at(today, 7)
