"""How LangGraph items map onto SQL rows and Chroma vector records.

Items live in SQL (see ``_sql``); Chroma's ``<prefix>_vectors`` collection holds one record
per indexed text of an item (``<item id>:<version>:<i>``): its embedding, and the item id,
version, field path, a hash of the text and the namespace (joined with ``.``, its depth,
and one ``ns<i>`` field per label, so that a prefix filter can be pushed down to Chroma).

Writes go vectors first, then the item rows that name their version (one transaction), then
the previous versions' vectors are removed. Readers only trust vectors whose version equals
the item's, so a write interrupted at any point leaves the store answering with the previous
values and their vectors, or with the new values and theirs: never a mix.
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

from langmem_plugin.errors import InvalidValueError
from langmem_plugin.store._sql import StoredItem, iid_of

item_id = iid_of


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
    global _last_sequence  # noqa: PLW0603 -- this function is the process-wide clock
    with _counter_lock:
        now = time.time_ns()
        _last_sequence = max(now, _last_sequence + 1)
        return _last_sequence


_last_sequence = 0


def new_version() -> str:
    """A unique version tag for one write of one item (time-ordered)."""
    return f"{new_sequence():x}{os.getpid():x}{next(_counter):x}"


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


def decode_legacy_items(result: Mapping[str, Any]) -> list[StoredItem]:
    """Item records of the previous layout (a Chroma ``<prefix>_items`` collection).

    Used once, to migrate a store written before items moved to SQL; the ids, versions
    and sequences are kept, so the vectors already in Chroma stay valid.
    """
    ids = result.get("ids") or []
    metas = result.get("metadatas") or [None] * len(ids)
    docs = result.get("documents") or [None] * len(ids)
    items = []
    for iid, raw_meta, doc in zip(ids, metas, docs, strict=True):
        meta = dict(raw_meta or {})
        if doc is None or "ns" not in meta:
            continue
        items.append(
            StoredItem(
                tuple(str(meta["ns"]).split(".")) if meta["ns"] else (),
                str(meta.get("key")),
                str(iid),
                str(doc),
                float(meta.get("ca", 0.0)),
                float(meta.get("ua", 0.0)),
                int(meta.get("nseq", 0)),
                int(meta.get("kseq", 0)),
                str(meta.get("ver", "")),
                int(meta.get("nvec", 0)),
                float(meta.get("ttl") or 0.0),
                float(meta.get("exp") or 0.0),
            )
        )
    return items


@dataclass(frozen=True)
class StoredRecord:
    """An item as :meth:`ChromaStore.dump` reads it and :meth:`ChromaStore.restore` writes it.

    Attributes:
        namespace: The item's namespace.
        key: Its key.
        value: Its value.
        created_at: When it was first put (epoch seconds).
        updated_at: When it was last put (epoch seconds).
        ttl: Its TTL in minutes, or None.
        expires_at: When it expires (epoch seconds), or None.
        indexed: Whether it has vectors (False: put with ``index=False`` or no text).
    """

    namespace: tuple[str, ...]
    key: str
    value: dict[str, Any]
    created_at: float
    updated_at: float
    ttl: float | None = None
    expires_at: float | None = None
    indexed: bool = True


@dataclass(frozen=True)
class CorruptItem:
    """An item whose stored value does not open (see ``ChromaStore.dump(skipped=...)``).

    Attributes:
        namespace: The item's namespace.
        key: Its key.
        reason: What failed (``"authentication failed ..."``, ``"not JSON"``...), never
            the content.
    """

    namespace: tuple[str, ...]
    key: str
    reason: str

    def line(self) -> str:
        """``namespace/key: reason``, one line of ``langmem check``."""
        return f"{'/'.join((*self.namespace, self.key))}: {self.reason}"
