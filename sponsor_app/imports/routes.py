"""Upload, preview and confirm Excel imports (filled in by the import feature)."""

from flask import Blueprint

from ..models import Role
from ..permissions import role_required

bp = Blueprint("imports", __name__)


@bp.get("/")
@role_required(Role.ADMIN)
def upload():
    return "todo"
