"""All models, imported from one place (views, services and Alembic use this)."""

from .assignment import Assignment, ClassTeacher, MentorRole, Pledge
from .audit import AuditLog
from .progress import Domain, Horizon, PlanGoal, PlanStatus, SupportPlan
from .school import ClassGroup, Department, School, SchoolYear
from .screening import (
    CIRCUMSTANCE_FLAGS,
    ContactChannel,
    ContactMethod,
    CriterionKind,
    Decision,
    RatingScale,
    RiskCriterion,
    RiskLevel,
    Screening,
    ScreeningContact,
    ScreeningStatus,
)
from .student import Enrollment, Student, StudentStatus
from .user import ROLE_ORDER, Role, User, UserRole

__all__ = [
    "CIRCUMSTANCE_FLAGS",
    "Assignment",
    "ClassTeacher",
    "MentorRole",
    "Pledge",
    "ROLE_ORDER",
    "ContactChannel",
    "ContactMethod",
    "CriterionKind",
    "Domain",
    "Horizon",
    "PlanGoal",
    "PlanStatus",
    "SupportPlan",
    "Decision",
    "RatingScale",
    "RiskCriterion",
    "RiskLevel",
    "Screening",
    "ScreeningContact",
    "ScreeningStatus",
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
