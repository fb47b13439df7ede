"""The one id rule: any non-blank string is an id, and this is how it becomes a label.

User, session, thread and agent ids become store namespace labels, and LangGraph refuses a
label containing a period (``langgraph.store.base``'s namespace validation; ``ChromaStore``
joins labels with it). ``"*"`` is the label wildcard of ``BaseStore.list_namespaces``. So
an id is not put in a namespace as it is: :func:`id_label` encodes it, :func:`label_id`
reads it back, and nothing else does either.

The encoding percent-escapes exactly what must be escaped and nothing else, so that every
id that was valid before (no period, not ``"*"``) keeps its label:

* ``.`` becomes ``%2E`` (``"maria@example.com"`` -> ``"maria@example%2Ecom"``);
* the whole id ``"*"`` becomes ``%2A`` (a ``*`` inside an id is no wildcard and stays);
* a ``%`` becomes ``%25`` only where it starts one of the three escapes (``"a%2Eb"`` ->
  ``"a%252Eb"``), so ``"100%"`` or ``"a%20b"`` stay as they are.

:func:`label_id` replaces each escape (``%2E``, ``%2A``, ``%25``, upper case only) left to
right. It undoes :func:`id_label` for every id, so two ids never share a label: ``"a.b"``
is ``"a%2Eb"`` and the id ``"a%2Eb"`` is ``"a%252Eb"``. A label is never ``"*"``, never
empty and never holds a period.
"""

from __future__ import annotations

import re

from langmem_plugin.errors import InvalidIdError

__all__ = ["id_label", "label_id", "validate_id"]

_ESCAPES = {"%2E": ".", "%2A": "*", "%25": "%"}
_ESCAPE = re.compile("%(?:2E|2A|25)")
_STARTS_ESCAPE = re.compile("%(?=2E|2A|25)")


def validate_id(value: object, what: str = "user_id") -> str:
    """Check that a value is an id: a string with something other than white space.

    Any such string is an id (emails, UUIDs, paths with ``/``, ``%``, spaces, any
    script); :func:`id_label` makes it a namespace label.

    Args:
        value: The candidate id.
        what: Its name, for the error message.

    Returns:
        The id, unchanged.

    Raises:
        InvalidIdError: If it is not a string, is empty or only white space (an id
            nobody means to give; an unset environment variable or form field), or holds
            a NUL character (which SQLite text and Chroma metadata cut short). Also a
            ``ValueError``.
    """
    if not isinstance(value, str) or not value.strip():
        raise InvalidIdError(f"{what} must be a non-empty string, got {value!r}")
    if "\x00" in value:
        raise InvalidIdError(f"{what} may not contain a NUL character, got {value!r}")
    return value


def id_label(value: object, what: str = "user_id") -> str:
    """The namespace label of an id (see the module docstring for the encoding).

    Example:
        >>> id_label("maria@example.com"), id_label("ada"), id_label("*")
        ('maria@example%2Ecom', 'ada', '%2A')

    Raises:
        InvalidIdError: If ``value`` is no id (:func:`validate_id`).
    """
    text = validate_id(value, what)
    if text == "*":
        return "%2A"
    return _STARTS_ESCAPE.sub("%25", text).replace(".", "%2E")


def label_id(label: str) -> str:
    """The id a namespace label stands for: the inverse of :func:`id_label`.

    Example:
        >>> label_id("maria@example%2Ecom"), label_id("a%252Eb"), label_id("100%")
        ('maria@example.com', 'a%2Eb', '100%')
    """
    return _ESCAPE.sub(lambda found: _ESCAPES[found.group()], label)
