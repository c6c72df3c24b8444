"""Finding a staff member from a name written in a spreadsheet (homeroom and teaching imports).

A cell names a teacher as schools write it: the full name in Vietnamese order (họ, tên đệm,
tên: "Đỗ Kim Mai"), with or without diacritics and in any case, perhaps after "Cô"/"Thầy", or by
username, or both ("Đỗ Kim Mai (maidk)") when two staff share a name. Nothing is guessed: a name
that is only part of someone's name ("Mai", "Kim Mai"), or that several accounts carry, is a
problem for the row, with the accounts it could mean.
"""

import re
from collections import defaultdict
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..identity import login_name
from ..models import User
from ..text import fold_key, nfc

# Courtesy titles written before a name: compared with their diacritics ("cô", never "cồ", a surname).
_TITLES = ("thầy giáo", "cô giáo", "thầy", "cô", "gv", "gvcn", "ths.", "ths", "ts.", "ts")
_WITH_USERNAME = re.compile(r"^(?P<name>.*?)\s*[(\[]\s*(?P<username>[^()\[\]]+?)\s*[)\]]$")
SHOWN_CANDIDATES = 4


@dataclass
class Match:
    user: User | None
    problem: str | None = None


def _strip_title(text: str) -> str:
    lowered = text.lower()
    for title in _TITLES:
        if lowered.startswith(title + " ") or (title.endswith(".") and lowered.startswith(title)):
            return text[len(title):].strip(" .:")
    return text


def _described(users: list[User]) -> str:
    shown = ", ".join(f"{u.full_name} ({u.username})" for u in users[:SHOWN_CANDIDATES])
    return shown + (" …" if len(users) > SHOWN_CANDIDATES else "")


class StaffMatcher:
    """The school's accounts, indexed once, to match the names of a whole file."""

    def __init__(self, school_id: int):
        self.users = list(db.session.scalars(select(User).where(User.school_id == school_id).order_by(User.sort_key)))
        self.by_username = {u.username: u for u in self.users}
        self.by_name: dict[str, list[User]] = defaultdict(list)
        for user in self.users:
            self.by_name[fold_key(user.full_name)].append(user)

    def match(self, text: str | None) -> Match:
        """The account a cell names, or the problem (in Vietnamese) why none is chosen."""
        written = nfc(text)
        if not written:
            return Match(None, _("thiếu tên giáo viên"))
        parts = _WITH_USERNAME.match(written)
        if parts:
            return self._with_username(written, parts.group("name"), parts.group("username"))
        user = self.by_username.get(login_name(written))
        if user is not None and " " not in written:
            return self._usable(user, written)
        found = self._by_full_name(written) or self._by_full_name(_strip_title(written))
        if found:
            active = [u for u in found if u.active]
            if len(active) > 1:
                return Match(None, _("có %(n)d cán bộ cùng tên “%(v)s”: %(who)s; ghi thêm tên đăng nhập trong "
                                     "ngoặc, ví dụ “%(ex)s”", n=len(active), v=written, who=_described(active),
                                     ex=f"{active[0].full_name} ({active[0].username})"))
            return self._usable(active[0] if active else found[0], written)
        return Match(None, self._unknown(written))

    def _by_full_name(self, written: str) -> list[User]:
        return self.by_name.get(fold_key(written), []) if written else []

    def _with_username(self, written: str, name: str, username: str) -> Match:
        user = self.by_username.get(login_name(username))
        if user is None:
            return Match(None, _("không có tài khoản tên đăng nhập “%(u)s” trong trường (ô ghi “%(v)s”)",
                                 u=username, v=written))
        if name and fold_key(_strip_title(name)) != fold_key(user.full_name) and \
                fold_key(name) != fold_key(user.full_name):
            return Match(None, _("tên đăng nhập %(u)s là của %(who)s, không phải “%(v)s”",
                                 u=user.username, who=user.full_name, v=name))
        return self._usable(user, written)

    @staticmethod
    def _usable(user: User, written: str) -> Match:
        if not user.active:
            return Match(None, _("tài khoản %(u)s (%(who)s) đang bị khóa", u=user.username, who=user.full_name))
        return Match(user)

    def _unknown(self, written: str) -> str:
        """"Không có cán bộ tên …", with the accounts whose name ends with what is written (the given
        name, or the middle and given names: Vietnamese order), which are never chosen for the user."""
        key = fold_key(_strip_title(written))
        endings = [u for u in self.users if u.active and key and
                   (fold_key(u.full_name).endswith(" " + key))]
        if endings:
            return _("“%(v)s” không phải họ tên đầy đủ của cán bộ nào; có thể là: %(who)s — ghi đủ họ và tên",
                     v=written, who=_described(endings))
        return _("không có cán bộ tên “%(v)s” trong trường; kiểm tra chính tả hoặc nhập danh sách cán bộ trước",
                 v=written)
