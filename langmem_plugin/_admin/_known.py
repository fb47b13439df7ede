"""Whether a memory knows a user: the check behind "unknown user" errors (CLI and inspector).

A read of an unknown user (a typo, a user already forgotten) must say so rather than look
like a user with no data. A user is known when a store namespace holds them at the user
position (the second label, as the id's label ``_namespaces.user_label``: ``("profile",
user)``, ``("archive", user, session)``...), the only position a user id is ever matched
at; for the audit log, also when it has events about them (a forgotten user's audit rows
stay).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from langmem_plugin._namespaces import user_label
from langmem_plugin.errors import UnknownUserError

if TYPE_CHECKING:
    from langmem_plugin.memory import Memory

__all__ = ["require_user", "user_known"]


def user_known(memory: Memory, user_id: str, *, audit: bool = False) -> bool:
    """Whether ``memory`` holds anything of ``user_id`` (or, with ``audit``, events).

    Raises:
        ValueError: ``user_id`` is not a valid id.
    """
    label = user_label(user_id)
    found = memory.store.list_namespaces(prefix=("*", label), max_depth=2, limit=10_000)
    if any(ns[1] == label for ns in found):  # exact: the label "*" is no wildcard here
        return True
    return audit and bool(memory.audit_log.events(user_id, limit=1))


def require_user(memory: Memory, user_id: str, *, audit: bool = False) -> None:
    """Raise ``UnknownUserError`` unless ``user_known``.

    Raises:
        UnknownUserError: Nothing of the user is stored.
    """
    if not user_known(memory, user_id, audit=audit):
        what = "no memory and no audit event" if audit else "nothing stored"
        raise UnknownUserError(f"unknown user {user_id!r}: {what} for this user id")
