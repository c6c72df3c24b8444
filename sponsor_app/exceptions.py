"""Domain exceptions raised by services and shown to the user by routes."""


class RuleError(Exception):
    """A business rule refused the change; the message is user-facing (already translated)."""
