"""How a use case refuses: a ServiceError with a message for the user, and the commit that raises one."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from ..extensions import db

# (markers found in the database's error text, the message for the user, the form field it belongs beside);
# no markers means "any constraint".
Conflict = tuple[tuple[str, ...], str, str | None]


class ServiceError(Exception):
    """A use case refused its input; ``field`` names the form field the message belongs beside."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def commit_or_refuse(*conflicts: Conflict) -> None:
    """Commit; if a constraint refuses (another request won a race), roll back and say which, as a ServiceError."""
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        detail = str(error.orig)
        for markers, message, field in conflicts:
            if not markers or any(marker in detail for marker in markers):
                raise ServiceError(message, field) from None
        raise ServiceError("That conflicts with a change made meanwhile. Reload and try again.") from None
