"""The one message for an optional dependency that is not installed."""

from __future__ import annotations

__all__ = ["missing_extra"]


def missing_extra(what: str, extra: str) -> ImportError:
    """The ``ImportError`` to raise when ``what`` needs an extra that is not installed.

    Example:
        ``raise missing_extra("encryption at rest", "encryption") from error``
    """
    return ImportError(f"{what} needs the {extra} extra: pip install 'langmem-plugin[{extra}]'")
