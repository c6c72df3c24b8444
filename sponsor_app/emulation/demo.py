"""The demo school's emulation scoring (a step of `flask seed-demo`, see sponsor_app/seed.py).

Each school year gets the default rubric. Every month whose notes fell due (with at least one
mentor on it) is scored by the union (the month's manual criterion, a few bonuses and penalties
with evidence) and published a few days after the due day; a semester that is over is scored,
published and locked by the leader with its commendations approved. Two contests, answered.

Left for the browser journey (and for a tester): the last month of the previous year is still a
draft and its semester II published but not locked, so the union can score that month, a teacher
contest it, the union answer and the leader lock semester II (`demo.emulation_*`).
"""

import random
from datetime import date, timedelta

from sqlalchemy import select

from ..extensions import db
from ..models import CriterionSource, Evaluation, EvaluationContest, User
from ..progress.calendar import note_due
from . import results, services
from .rubric import ensure_rubric

MONTH_COMMENTS = ("Phối hợp tốt với GVCN và gia đình.", "Cần liên hệ gia đình thường xuyên hơn.",
                  "Nhiệt tình, có trách nhiệm.", "Theo dõi học sinh sát sao.", None, None, None)
SEMESTER_COMMENTS = ("Hoàn thành tốt nhiệm vụ đỡ đầu.", "Cần chủ động hơn trong kế hoạch giúp đỡ.", None, None)
BONUS_EVIDENCE = ("Vận động Hội Khuyến học xã tặng 01 xe đạp (biên bản trao ngày {d}).",
                  "Kêu gọi nhà hảo tâm hỗ trợ 500.000 đồng tiền học phí (phiếu thu ngày {d}).")
PENALTY_EVIDENCE = ("Vắng buổi sinh hoạt cuộc vận động ngày {d} không có lý do.",)


def _score_sheet(year, key, rng, union: User, today: date, comments) -> dict:
    result = results.sheet(year, key, today)
    manual = [c for c in result["criteria"] if c["source"] == CriterionSource.MANUAL]
    entries = []
    for row in result["rows"]:
        for c in manual:
            points = min(c["max"], max(0, c["max"] - rng.choice((0, 0, 0, 1, 1, 2, 3))))
            entries.append({"user_id": row["user_id"], "criterion_id": c["id"], "points": float(points),
                            "comment": rng.choice(comments), "base_points": None, "base_comment": None})
    services.save_scores(year, key, entries, by=union, today=today)
    return result


def _adjust(year, key, result, rng, union: User, today: date) -> None:
    items = result.get("items", [])
    bonuses = [c for c in items if c["source"] == CriterionSource.BONUS]
    penalties = [c for c in items if c["source"] == CriterionSource.PENALTY]
    for row in result["rows"]:
        draw = rng.random()
        if bonuses and draw < 0.12:
            item = rng.choice(bonuses)
            evidence = rng.choice(BONUS_EVIDENCE).format(d=today.strftime("%d/%m/%Y"))
            services.add_adjustment(year, key, row["user_id"], item["id"], float(rng.randint(1, int(item["max"]))),
                                    evidence, by=union, today=today)
        elif penalties and draw > 0.97:
            item = rng.choice(penalties)
            services.add_adjustment(year, key, row["user_id"], item["id"], 1.0,
                                    PENALTY_EVIDENCE[0].format(d=today.strftime("%d/%m/%Y")), by=union, today=today)


def _publish(demo, year, key, union: User, day: date) -> Evaluation:
    evaluation = services.publish(year, key, by=union, today=day)
    evaluation.published_at = demo.at(day, 9)
    return evaluation


def _contest(demo, evaluation: Evaluation, user_id: int, day: date, reason: str, upheld: bool, answer: str,
             union: User) -> None:
    contest = EvaluationContest(school_id=evaluation.school_id, evaluation_id=evaluation.id, user_id=user_id,
                                reason=reason, created_at=demo.at(day, 20))
    db.session.add(contest)
    db.session.flush()
    services.answer_contest(contest, upheld, answer, by=union)
    contest.answered_at = demo.at(day + timedelta(days=2), 10)


def add_emulation(demo, rng: random.Random) -> None:
    union, leader = demo.accounts["union"], demo.accounts["leader"]
    for year in demo.years:
        ensure_rubric(year)
        previous = year.id == demo.previous.id
        last_month = results.semester_months(year, 2)[-1] if previous else None
        published: list[tuple[str, Evaluation, dict]] = []
        for term in (1, 2):
            for month in results.semester_months(year, term):
                day = note_due(month, year.note_day) + timedelta(days=4)  # scored after the due day and grace
                if day > demo.today or month == last_month:
                    continue
                key = results.month_key(month)
                result = _score_sheet(year, key, rng, union, day, MONTH_COMMENTS)
                if not result["rows"]:
                    continue
                _adjust(year, key, result, rng, union, day)
                published.append((key, _publish(demo, year, key, union, day), result))
            start, end = results.semester_bounds(year, term)
            day = end + timedelta(days=3)
            if day > demo.today and not (previous and term == 2):
                continue
            key = results.semester_key(term)
            day = min(day, demo.today)
            result = _score_sheet(year, key, rng, union, day, SEMESTER_COMMENTS)
            if not result["rows"]:
                continue
            _adjust(year, key, result, rng, union, day)
            _publish(demo, year, key, union, day)
            if previous and term == 2:
                continue  # left for the journey: the last month is a draft, semester II unlocked
            if term == 1 and previous and published:
                key1, evaluation, month_result = published[0]
                row = month_result["rows"][0]
                _contest(demo, evaluation, row["user_id"], evaluation.published_at.date() + timedelta(days=1),
                         "Em đã gửi nhận xét đúng hạn nhưng hệ thống ghi muộn vì mất mạng.", False,
                         "Nhận xét được ghi nhận lúc gửi thật sự (sau hạn). Đề nghị thầy/cô gửi sớm hơn.", union)
            services.lock(year, key, None, by=leader, today=day + timedelta(days=2))
            stored = db.session.scalar(select(Evaluation).where(Evaluation.school_year_id == year.id,
                                                                Evaluation.key == key))
            stored.locked_at = demo.at(day + timedelta(days=2), 15)
        if previous:
            last_key = results.month_key(last_month)
            sheet = results.sheet(year, last_key, demo.today)
            mentors = {r["user_id"] for r in sheet["rows"]}
            names = {u.id: name for name, u in demo.accounts.items()}
            chosen = next((uid for uid in mentors if names.get(uid) == "teacher"), None)
            if chosen is None and sheet["rows"]:
                chosen = sheet["rows"][0]["user_id"]
            demo.emulation_year_id = year.id
            demo.emulation_month = last_key
            demo.emulation_mentor = (names.get(chosen) or db.session.get(User, chosen).username) if chosen else None
    db.session.flush()
