"""All models, imported from one place (views, services and Alembic use this)."""

from .audit import AuditLog
from .school import ClassGroup, Department, School, SchoolYear
from .student import Enrollment, Student, StudentStatus
from .user import ROLE_ORDER, Role, User, UserRole

__all__ = [
    "ROLE_ORDER",
    "AuditLog",
    "ClassGroup",
    "Department",
    "Enrollment",
    "Role",
    "School",
    "SchoolYear",
    "Student",
    "StudentStatus",
    "User",
    "UserRole",
]
