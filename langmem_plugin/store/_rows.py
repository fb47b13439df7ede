"""The rows of ``ChromaStore``'s SQL tables as Python values, and how they are named.

``StoredItem`` is one item row as read (its value decoded, and opened when encrypted, on
first access: a value that does not open raises ``CorruptRecordError``); ``ItemRow`` and
``VectorRow`` are what a batch writes. The namespace column joins labels with ``SEP`` so
that a namespace prefix is an index range (``prefix_clause``). See ``_sql`` for the tables.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from langmem_plugin.errors import CorruptRecordError, InvalidValueError

__all__ = [
    "SEP",
    "ItemRow",
    "StoredItem",
    "VectorRow",
    "iid_of",
    "join_namespace",
    "prefix_clause",
    "split_namespace",
    "table_base",
]

SEP = "\x1f"
"""Joins namespace labels in the ``ns`` column (below every printable character)."""


def join_namespace(namespace: Sequence[str]) -> str:
    """The ``ns`` column value of a namespace."""
    for label in namespace:
        if SEP in label:
            raise InvalidValueError(
                f"Namespace label {label!r} contains the reserved character \\x1f."
            )
    return SEP.join(namespace)


def split_namespace(ns: str) -> tuple[str, ...]:
    """The namespace of an ``ns`` column value."""
    return tuple(ns.split(SEP)) if ns else ()


def prefix_clause(prefix: Sequence[str], column: str = "ns") -> tuple[str, list[Any]]:
    """SQL for "``column`` is ``prefix`` or lies below it", as an index range."""
    if not prefix:
        return "1 = 1", []
    joined = join_namespace(prefix)
    return (
        f"({column} = ? OR ({column} >= ? AND {column} < ?))",
        [joined, joined + SEP, joined + chr(ord(SEP) + 1)],
    )


@dataclass(slots=True)
class StoredItem:
    """One item row."""

    namespace: tuple[str, ...]
    key: str
    iid: str
    document: str
    created_at: float
    updated_at: float
    nseq: int
    kseq: int
    version: str
    n_vectors: int
    ttl: float
    expires_at: float
    _value: dict[str, Any] | None = None
    decode: Callable[[str, str], str] | None = None
    """Opens the stored document (``(iid, stored) -> JSON``) when values are encrypted."""

    @classmethod
    def from_row(
        cls, row: Sequence[Any], decode: Callable[[str, str], str] | None = None
    ) -> StoredItem:
        """Build from a row of ``_COLUMNS``; ``decode`` is applied lazily, on ``value``."""
        return cls(
            split_namespace(row[0]),
            str(row[1]),
            str(row[2]),
            str(row[3]),
            float(row[4]),
            float(row[5]),
            int(row[6]),
            int(row[7]),
            str(row[8]),
            int(row[9]),
            float(row[10]),
            float(row[11]),
            decode=decode,
        )

    @property
    def value(self) -> dict[str, Any]:
        """The value, decoded (and opened, when encrypted) on first access.

        Raises:
            CorruptRecordError: The stored value does not decode (see :meth:`problem`).
        """
        if self._value is None:
            try:
                text = self.decode(self.iid, self.document) if self.decode else self.document
                value = json.loads(text)
            except ValueError as error:  # the cipher's, JSON's, base64's and UTF-8's errors
                raise self._corrupt(_reason(error)) from error
            if not isinstance(value, dict):
                raise self._corrupt(f"a JSON {type(value).__name__}, not an object")
            self._value = value
        return self._value

    def problem(self) -> str | None:
        """Why the value does not decode (never its content), or None when it does."""
        try:
            self.value  # noqa: B018 -- decodes, or raises the reason
        except CorruptRecordError as error:
            return error.reason
        return None

    def _corrupt(self, reason: str) -> CorruptRecordError:
        return CorruptRecordError(
            f"item {self.key!r} in namespace {self.namespace} is corrupt ({reason}); "
            "put or delete it to repair it, `langmem check` lists every such item",
            self.namespace,
            self.key,
            reason,
        )

    @property
    def order(self) -> tuple[int, int]:
        """Insertion order: namespace first written, then key first written."""
        return self.nseq, self.kseq

    def expired(self, now: float) -> bool:
        """Whether the item's TTL has run out."""
        return 0.0 < self.expires_at <= now


def _reason(error: ValueError) -> str:
    """What failed, in words that carry no byte of the value."""
    if isinstance(error, json.JSONDecodeError):
        return "not JSON"
    if isinstance(error, UnicodeDecodeError):
        return "not UTF-8"
    return str(error) or type(error).__name__


@dataclass(slots=True)
class ItemRow:
    """An item to write.

    Its ``nseq`` and, for an existing live item, ``created_at`` and ``kseq`` are decided
    inside the transaction.
    """

    namespace: tuple[str, ...]
    key: str
    iid: str
    document: str
    now: float
    kseq: int
    version: str
    ttl: float
    vectors: list[VectorRow]


@dataclass(slots=True)
class VectorRow:
    """One embedding of an item version."""

    vid: str
    ordinal: int
    text_hash: str
    embedding: bytes


def iid_of(namespace: Sequence[str], key: str) -> str:
    """A stable, fixed-length id of the item at ``namespace``/``key`` (its vectors name it)."""
    raw = json.dumps([list(namespace), key], ensure_ascii=False)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def table_base(prefix: str) -> str:
    """A safe SQL identifier stem for a collection prefix (distinct prefixes stay distinct)."""
    stem = re.sub(r"[^a-zA-Z0-9_]", "_", prefix)
    if stem != prefix:
        stem += "_" + hashlib.blake2b(prefix.encode(), digest_size=4).hexdigest()
    return f"langmem_store_{stem}"[:60]
