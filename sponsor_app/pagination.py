"""Pagination of multi-entity selects (Flask-SQLAlchemy's paginate returns only scalars)."""

from dataclasses import dataclass

from sqlalchemy import func, select

from .extensions import db


@dataclass
class Page:
    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def paginate_rows(stmt, page: int, per_page: int) -> Page:
    """Run `stmt` for one page of rows (two queries: a count and the page)."""
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    page = max(1, min(page, max(1, -(-total // per_page))))
    items = db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return Page(items=list(items), page=page, per_page=per_page, total=total)
