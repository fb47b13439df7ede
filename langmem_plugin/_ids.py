"""The one id check: user, session, thread and agent ids become store namespace labels."""

from __future__ import annotations

from langmem_plugin.errors import InvalidIdError

__all__ = ["validate_id"]


def validate_id(value: object, what: str = "user_id") -> str:
    """Check that an id can be used as a namespace label.

    Args:
        value: The candidate id.
        what: Its name, for the error message.

    Returns:
        The id, unchanged.

    Raises:
        InvalidIdError: If it is not a non-empty string, contains a period (which
            LangGraph namespace labels may not), or is ``"*"`` (the label wildcard of
            ``BaseStore.list_namespaces``: a user ``"*"`` would list every user's
            namespaces). Also a ``ValueError``.
    """
    if not isinstance(value, str) or not value.strip():
        raise InvalidIdError(f"{what} must be a non-empty string, got {value!r}")
    if "." in value:
        raise InvalidIdError(f"{what} may not contain '.', got {value!r}")
    if value == "*":
        raise InvalidIdError(f"{what} may not be '*' (a namespace wildcard), got {value!r}")
    return value
