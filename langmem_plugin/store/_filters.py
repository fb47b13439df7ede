"""Filter and namespace matching with exactly the semantics of LangGraph's InMemoryStore.

Filters are evaluated in Python over the decoded value so that ``ChromaStore`` answers every
filter the way ``InMemoryStore`` does (nested equality, list equality, ``$eq``/``$ne``/
``$gt``/``$gte``/``$lt``/``$lte`` comparing as floats). Unknown operators are rejected before
the store is touched, rather than on the first item compared.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langgraph.store.base import MatchCondition

from langmem_plugin.errors import InvalidFilterError

OPERATORS = frozenset({"$eq", "$ne", "$gt", "$gte", "$lt", "$lte"})
_NUMERIC = frozenset({"$gt", "$gte", "$lt", "$lte"})


def validate_filter(filter: Mapping[str, Any] | None) -> None:
    """Reject a filter that uses an operator LangGraph stores do not define.

    Args:
        filter: The ``filter`` argument of a search.

    Raises:
        InvalidFilterError: Naming the operator or operand that is not supported.
    """
    if filter is None:
        return
    if not isinstance(filter, Mapping):
        raise InvalidFilterError(f"A filter must be a mapping, got {filter!r}.")
    for value in filter.values():
        _validate_condition(value)


def _validate_condition(condition: Any) -> None:
    if isinstance(condition, Mapping):
        if any(isinstance(k, str) and k.startswith("$") for k in condition):
            for op, operand in condition.items():
                if op not in OPERATORS:
                    raise InvalidFilterError(
                        f"Unsupported filter operator {op!r}; use one of {sorted(OPERATORS)}."
                    )
                if op in _NUMERIC and not _is_number_like(operand):
                    raise InvalidFilterError(f"Operator {op!r} compares numbers, got {operand!r}.")
            return
        for value in condition.values():
            _validate_condition(value)
    elif isinstance(condition, (list, tuple)):
        for value in condition:
            _validate_condition(value)


def _is_number_like(value: Any) -> bool:
    if isinstance(value, bool):
        return True
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def matches(value: Mapping[str, Any], filter: Mapping[str, Any] | None) -> bool:
    """Whether an item's value satisfies a search filter.

    Args:
        value: The stored value.
        filter: Field -> expected value, nested mapping, or ``{"$op": operand}``.

    Returns:
        True when every condition holds.
    """
    if not filter:
        return True
    return all(_compare(value.get(key), expected) for key, expected in filter.items())


def _compare(actual: Any, expected: Any) -> bool:
    if isinstance(expected, Mapping):
        if any(isinstance(k, str) and k.startswith("$") for k in expected):
            return all(_apply(actual, op, operand) for op, operand in expected.items())
        if not isinstance(actual, Mapping):
            return False
        return all(_compare(actual.get(k), v) for k, v in expected.items())
    if isinstance(expected, (list, tuple)):
        return (
            isinstance(actual, (list, tuple))
            and len(actual) == len(expected)
            and all(_compare(a, e) for a, e in zip(actual, expected, strict=True))
        )
    return bool(actual == expected)


def _apply(actual: Any, op: str, operand: Any) -> bool:  # noqa: PLR0911 -- one per operator
    if op == "$eq":
        return bool(actual == operand)
    if op == "$ne":
        return bool(actual != operand)
    try:
        left, right = float(actual), float(operand)
    except (TypeError, ValueError):
        # InMemoryStore raises here; an item whose field is not a number simply does not
        # match a numeric comparison (documented difference).
        return False
    if op == "$gt":
        return left > right
    if op == "$gte":
        return left >= right
    if op == "$lt":
        return left < right
    if op == "$lte":
        return left <= right
    raise InvalidFilterError(f"Unsupported filter operator {op!r}.")


def namespace_matches(condition: MatchCondition, namespace: tuple[str, ...]) -> bool:
    """Whether a namespace satisfies a ``list_namespaces`` prefix/suffix condition.

    ``"*"`` in the condition's path matches any single label.
    """
    path = condition.path
    if len(namespace) < len(path):
        return False
    if condition.match_type == "prefix":
        pairs = zip(namespace, path, strict=False)
    elif condition.match_type == "suffix":
        pairs = zip(reversed(namespace), reversed(path), strict=False)
    else:
        raise InvalidFilterError(f"Unsupported match type {condition.match_type!r}.")
    return all(p in ("*", n) for n, p in pairs)
