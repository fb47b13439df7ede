"""How LangGraph items map onto Chroma records.

A store uses two collections:

* ``<prefix>_items``: one record per item. The document is the JSON value; the metadata
  holds the namespace (joined, its depth, and one ``ns<i>`` field per label so that prefix
  searches are pushed down to Chroma), the key, timestamps, the ordering sequences, TTL, the
  item's *version* and how many vectors that version has. Chroma needs an embedding for
  every record; item records carry a constant one-dimensional vector.
* ``<prefix>_vectors``: one record per indexed text of an item (``<item id>:<version>:<i>``),
  its embedding, and the item id, version, field path and a hash of the text.

Writes go vectors first, then the item record that names their version, then the previous
version's vectors are removed. Readers only trust vectors whose version equals the item's,
so a write interrupted at any point leaves the store answering with the previous value and
its vectors, or with the new value and its vectors: never a mix.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from langmem_plugin.store._errors import InvalidValueError

ITEM_VECTOR = [1.0]
"""The placeholder embedding of item records (Chroma requires one)."""


def item_id(namespace: tuple[str, ...], key: str) -> str:
    """A stable, fixed-length Chroma id for the item at ``namespace``/``key``."""
    raw = json.dumps([list(namespace), key], ensure_ascii=False)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def vector_id(iid: str, version: str, ordinal: int) -> str:
    """The Chroma id of one vector of one version of an item."""
    return f"{iid}:{version}:{ordinal}"


def text_hash(text: str) -> str:
    """A short digest used to reuse the embedding of text that did not change."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest()


_counter = itertools.count()
_counter_lock = threading.Lock()


def new_sequence() -> int:
    """A process-wide increasing integer that also orders writes across processes.

    Nanoseconds since the epoch, made strictly increasing within the process.
    """
    global _last_sequence
    with _counter_lock:
        now = time.time_ns()
        _last_sequence = max(now, _last_sequence + 1)
        return _last_sequence


_last_sequence = 0


def new_version() -> str:
    """A unique version tag for one write of one item (time-ordered)."""
    return f"{new_sequence():x}{os.getpid():x}{next(_counter):x}"


def version_time(version: str) -> float:
    """The epoch seconds at which a version was created (for garbage collection)."""
    try:
        return int(version[:16], 16) / 1e9
    except ValueError:
        return 0.0


def encode_value(namespace: tuple[str, ...], key: str, value: Any) -> str:
    """Serialise a value to JSON, with an error that names it when that is impossible."""
    if not isinstance(value, Mapping):
        raise InvalidValueError(
            f"Value for key {key!r} in namespace {namespace} must be a dict, "
            f"got {type(value).__name__}: {value!r}."
        )
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=True)
    except (TypeError, ValueError) as exc:
        raise InvalidValueError(
            f"Value for key {key!r} in namespace {namespace} is not JSON-serialisable "
            f"({exc}): {value!r}."
        ) from exc


def namespace_metadata(namespace: tuple[str, ...]) -> dict[str, Any]:
    """The metadata fields that describe a namespace."""
    meta: dict[str, Any] = {"ns": ".".join(namespace), "nsd": len(namespace)}
    meta.update({f"ns{i}": label for i, label in enumerate(namespace)})
    return meta


def prefix_where(
    prefix: tuple[str, ...], *extra: dict[str, Any], wildcards: bool = False
) -> dict[str, Any] | None:
    """A Chroma ``where`` clause for "namespace starts with ``prefix``", plus extra clauses.

    With ``wildcards`` (``list_namespaces`` conditions), ``"*"`` labels are left out: they
    match any label. Search prefixes have no wildcards: there ``"*"`` is a literal label.
    """
    clauses = [
        {f"ns{i}": label} for i, label in enumerate(prefix) if not (wildcards and label == "*")
    ]
    clauses.extend(extra)
    if not clauses:
        return None
    if len(clauses) == 1:
        return clauses[0]
    return {"$and": clauses}


def epoch_to_datetime(seconds: float) -> datetime:
    """A timezone-aware UTC datetime from epoch seconds."""
    return datetime.fromtimestamp(seconds, tz=UTC)


@dataclass(slots=True)
class StoredItem:
    """An item record as read back from Chroma."""

    iid: str
    namespace: tuple[str, ...]
    key: str
    value: dict[str, Any] | None
    meta: dict[str, Any]

    @property
    def version(self) -> str:
        """The version tag that this item's vectors must carry."""
        return str(self.meta["ver"])

    @property
    def n_vectors(self) -> int:
        """How many vectors the current version has."""
        return int(self.meta.get("nvec", 0))

    @property
    def order(self) -> tuple[int, int]:
        """Insertion order: namespace first seen, then key first put."""
        return int(self.meta["nseq"]), int(self.meta["kseq"])

    def expired(self, now: float) -> bool:
        """Whether the item's TTL has run out."""
        expires = float(self.meta.get("exp") or 0.0)  # 0: no TTL
        return 0.0 < expires <= now

    def vector_ids(self) -> list[str]:
        """The ids of the current version's vectors."""
        return [vector_id(self.iid, self.version, i) for i in range(self.n_vectors)]


def decode_items(result: Mapping[str, Any], *, with_values: bool = True) -> list[StoredItem]:
    """Turn a Chroma ``get`` result of the items collection into :class:`StoredItem` s."""
    ids = result.get("ids") or []
    metas = result.get("metadatas") or [None] * len(ids)
    docs = result.get("documents") if with_values else None
    items = []
    for i, iid in enumerate(ids):
        meta = dict(metas[i] or {})
        namespace = tuple(meta["ns"].split(".")) if meta.get("ns") else ()
        value = json.loads(docs[i]) if docs is not None and docs[i] is not None else None
        items.append(StoredItem(iid, namespace, str(meta.get("key")), value, meta))
    return items
