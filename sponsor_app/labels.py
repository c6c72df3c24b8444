"""Translatable labels for enum values and calendar keys (shared by templates, forms, exports)."""

from flask_babel import lazy_gettext as _l

from .models import Role, StudentStatus

ROLE_LABELS = {
    Role.ADMIN: _l("Quản trị"),
    Role.LEADER: _l("Ban giám hiệu"),
    Role.DEPT_HEAD: _l("Tổ trưởng"),
    Role.UNION: _l("BCH Công đoàn"),
    Role.TEACHER: _l("Giáo viên"),
}

STATUS_LABELS = {
    StudentStatus.ENROLLED: _l("Đang học"),
    StudentStatus.TRANSFERRED: _l("Chuyển trường"),
    StudentStatus.DROPPED_OUT: _l("Bỏ học"),
}

MILESTONE_LABELS = {
    "pledge": _l("Hạn đăng ký nhận đỡ đầu"),
    "screening": _l("Rà soát, khảo sát học sinh"),
    "assignment": _l("Hạn phân công GV đỡ đầu"),
    "report1": _l("Hạn báo cáo học kỳ I"),
    "semester1_end": _l("Kết thúc học kỳ I"),
    "report2": _l("Hạn báo cáo cuối năm"),
}


def role_label(role) -> str:
    return str(ROLE_LABELS[Role(role)])


def status_label(status) -> str:
    return str(STATUS_LABELS[StudentStatus(status)])


def milestone_label(key: str) -> str:
    return str(MILESTONE_LABELS[key])


TEMPLATE_LABELS = {"role_label": role_label, "status_label": status_label, "milestone_label": milestone_label}
