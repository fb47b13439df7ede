"""Export and import a whole memory as JSON Lines (``langmem export`` / ``langmem import``).

The file is UTF-8 text, one JSON object per line:

1. a header: ``{"type": "langmem-export", "version": 1, "exported_at": <epoch s>,
   "counts": {"items": n, "sessions": n, "messages": n}}``;
2. every live store item, in the store's insertion order: ``{"type": "item",
   "namespace": [...], "key": ..., "value": {...}, "created_at": <epoch s>,
   "updated_at": <epoch s>, "ttl": <minutes or null>, "expires_at": <epoch s or null>,
   "indexed": <bool>}``;
3. every chat session: ``{"type": "session", "session_id": ..., "user_id": ...,
   "created_at": <epoch s>, "last_active": <epoch s>, "title": ..., "summary": ...}``;
4. every chat message, in each session's order: ``{"type": "message", "id": <record
   id>, "session_id": ..., "user_id": ..., "seq": <int>, "writer": ..., "ts": <epoch s>,
   "message": <LangChain message dict>}``.

Times are the stored floats (JSON keeps them exactly), so importing an export into an
empty memory reproduces its items, timestamps, TTLs, ordering, sessions and messages
exactly. Vectors are not exported: the importing memory embeds the texts again with its
own embeddings (so an export also moves memories to another embedding model). Items
imported with ``"indexed": true`` are indexed on the store's default fields; per-item
``index=[...]`` field lists are not recorded. Checkpoints (short-term thread state) are
not part of an export.

Import validates the whole file before writing anything: a malformed line raises
``ExportFormatError`` naming the line and the offending value, and a session that
belongs to another user in the target raises ``SessionOwnershipError``; in both cases
nothing is written. Records already present (same item key, session id or message
record id) are replaced.

Store items are read and written through ``ChromaStore``'s record layout (see
``langmem_plugin.store._records``), which is how their timestamps and TTL survive.
"""

from __future__ import annotations

import io
import json
import math
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

from langchain_core.messages import BaseMessage
from langgraph.store.base import PutOp
from langgraph.store.base import _validate_namespace as validate_put_namespace
from tqdm import tqdm

from langmem_plugin._admin import chroma_store, history_storage
from langmem_plugin.history import HistoryStorage, SessionOwnershipError
from langmem_plugin.history._codec import decode_message, encode_message, search_text
from langmem_plugin.memory import Memory
from langmem_plugin.store import _records as rec

__all__ = [
    "EXPORT_FORMAT",
    "EXPORT_VERSION",
    "ExportFormatError",
    "TransferCounts",
    "export_memory",
    "import_memory",
]

EXPORT_FORMAT = "langmem-export"
EXPORT_VERSION = 1
_CHUNK = 256
_DUMMY_VECTOR = [1.0]
_T = TypeVar("_T")

Source = str | Path | IO[str]


class ExportFormatError(ValueError):
    """A line of an export file is malformed; nothing was imported."""


@dataclass(frozen=True)
class TransferCounts:
    """How many records an export or import moved.

    Attributes:
        items: Store items.
        sessions: Chat sessions.
        messages: Chat messages.
    """

    items: int = 0
    sessions: int = 0
    messages: int = 0

    @property
    def total(self) -> int:
        """All records."""
        return self.items + self.sessions + self.messages


def _chunks(seq: Sequence[_T], size: int) -> Iterator[Sequence[_T]]:
    for start in range(0, len(seq), size):
        yield seq[start : start + size]


def _items_collection(memory: Memory) -> Any:
    store = chroma_store(memory)
    return store.client.get_or_create_collection(
        f"{store.collection_prefix}_items", embedding_function=None
    )


def _progress(total: int, desc: str, enabled: bool) -> tqdm[Any]:
    return tqdm(
        total=total,
        desc=desc,
        unit="rec",
        file=sys.stderr,
        disable=not enabled,
        dynamic_ncols=True,
        leave=True,
    )


# ---------------------------------------------------------------------------- export
def _item_records(memory: Memory, now: float) -> tuple[list[rec.StoredItem], Any]:
    collection = _items_collection(memory)
    heads = rec.decode_items(collection.get(include=["metadatas"]), with_values=False)
    live = sorted((i for i in heads if not i.expired(now)), key=lambda i: i.order)
    return live, collection


def _message_heads(storage: HistoryStorage) -> list[tuple[str, dict[str, Any]]]:
    found = storage.messages.get(include=["metadatas"])
    rows = list(zip(found["ids"], found["metadatas"], strict=True))
    rows.sort(
        key=lambda row: (
            str(row[1]["user_id"]),
            str(row[1]["session_id"]),
            int(row[1]["seq"]),
            str(row[1]["writer"]),
        )
    )
    return rows


def _optional(value: Any) -> float | None:
    number = float(value or 0.0)
    return number if number else None


def export_memory(memory: Memory, destination: Source, *, progress: bool = False) -> TransferCounts:
    """Write every store item, session and message of ``memory`` as JSON Lines.

    Args:
        memory: The memory to export (any ``Memory``: folder or server).
        destination: A file path (created or overwritten) or a writable text stream.
        progress: Show a progress bar on stderr.

    Returns:
        The counts written.
    """
    now = time.time()
    items, item_collection = _item_records(memory, now)
    storage = history_storage(memory)
    sessions = storage.sessions.get(include=["metadatas"])
    session_rows = sorted(
        zip(sessions["ids"], sessions["metadatas"], strict=True),
        key=lambda row: (str(row[1]["user_id"]), float(row[1]["created_at"]), row[0]),
    )
    messages = _message_heads(storage)
    counts = TransferCounts(len(items), len(session_rows), len(messages))
    batch = max(1, int(chroma_store(memory).client.get_max_batch_size()))

    def lines() -> Iterator[dict[str, Any]]:
        yield {
            "type": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "exported_at": now,
            "counts": asdict(counts),
        }
        for chunk in _chunks(items, min(batch, _CHUNK)):
            got = item_collection.get(ids=[i.iid for i in chunk], include=["documents"])
            documents = dict(zip(got["ids"], got["documents"], strict=True))
            for item in chunk:
                if item.iid not in documents:  # deleted while exporting
                    continue
                yield {
                    "type": "item",
                    "namespace": list(item.namespace),
                    "key": item.key,
                    "value": json.loads(documents[item.iid]),
                    "created_at": float(item.meta["ca"]),
                    "updated_at": float(item.meta["ua"]),
                    "ttl": _optional(item.meta.get("ttl")),
                    "expires_at": _optional(item.meta.get("exp")),
                    "indexed": item.n_vectors > 0,
                }
        for session_id, meta in session_rows:
            yield {
                "type": "session",
                "session_id": session_id,
                "user_id": str(meta["user_id"]),
                "created_at": float(meta["created_at"]),
                "last_active": float(meta["last_active"]),
                "title": meta.get("title"),
                "summary": meta.get("summary"),
            }
        for rows in _chunks(messages, min(batch, _CHUNK)):
            got = storage.messages.get(ids=[rid for rid, _ in rows], include=["documents"])
            documents = dict(zip(got["ids"], got["documents"], strict=True))
            for record_id, meta in rows:
                if record_id not in documents:
                    continue
                yield {
                    "type": "message",
                    "id": record_id,
                    "session_id": str(meta["session_id"]),
                    "user_id": str(meta["user_id"]),
                    "seq": int(meta["seq"]),
                    "writer": str(meta["writer"]),
                    "ts": float(meta["ts"]),
                    "message": json.loads(documents[record_id]),
                }

    with _open(destination, "w") as out, _progress(counts.total, "export", progress) as bar:
        for record in lines():
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            if record["type"] != EXPORT_FORMAT:
                bar.update(1)
    return counts


@contextmanager
def _open(target: Source, mode: str) -> Iterator[IO[str]]:
    if isinstance(target, str | Path):
        with open(target, mode, encoding="utf-8") as handle:
            yield handle
    else:
        yield target


# ---------------------------------------------------------------------------- import
@dataclass
class _Plan:
    """The validated content of an export file."""

    items: list[dict[str, Any]]
    sessions: list[dict[str, Any]]
    messages: list[tuple[dict[str, Any], BaseMessage]]


def _fail(where: str, problem: str, value: Any) -> ExportFormatError:
    return ExportFormatError(f"{where}: {problem}, got {value!r:.200}")


def _need(record: dict[str, Any], name: str, kind: type | tuple[type, ...], where: str) -> Any:
    if name not in record:
        raise _fail(where, f"{record.get('type')} record lacks {name!r}", record)
    value = record[name]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        expected = " or ".join(k.__name__ for k in kinds)
        raise _fail(where, f"{name!r} must be of type {expected}", value)
    return value


def _time(record: dict[str, Any], name: str, where: str, *, optional: bool = False) -> None:
    value = record.get(name)
    if optional and value is None:
        return
    number = _need(record, name, (int, float), where)
    if not math.isfinite(number) or number < 0:
        raise _fail(where, f"{name!r} must be a non-negative epoch time", number)


def _text(record: dict[str, Any], name: str, where: str) -> str:
    value = _need(record, name, str, where)
    if not value.strip():
        raise _fail(where, f"{name!r} must be a non-empty string", value)
    return str(value)


def _check_item(record: dict[str, Any], where: str) -> None:
    namespace = _need(record, "namespace", list, where)
    if not all(isinstance(label, str) for label in namespace):
        raise _fail(where, "namespace labels must be strings", namespace)
    try:
        validate_put_namespace(tuple(namespace))
    except Exception as error:
        raise _fail(where, f"invalid namespace ({error})", namespace) from error
    _need(record, "key", str, where)
    _need(record, "value", dict, where)
    _time(record, "created_at", where)
    _time(record, "updated_at", where)
    _time(record, "expires_at", where, optional=True)
    ttl = record.get("ttl")
    if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, int | float) or ttl <= 0):
        raise _fail(where, "'ttl' must be a positive number of minutes or null", ttl)
    if not isinstance(record.get("indexed", True), bool):
        raise _fail(where, "'indexed' must be true or false", record.get("indexed"))


def _check_session(record: dict[str, Any], where: str) -> None:
    _text(record, "session_id", where)
    _text(record, "user_id", where)
    _time(record, "created_at", where)
    _time(record, "last_active", where)
    for name in ("title", "summary"):
        if record.get(name) is not None and not isinstance(record[name], str):
            raise _fail(where, f"{name!r} must be a string or null", record[name])


def _check_message(record: dict[str, Any], where: str) -> BaseMessage:
    _text(record, "id", where)
    _text(record, "session_id", where)
    _text(record, "user_id", where)
    _need(record, "seq", int, where)
    _text(record, "writer", where)
    _time(record, "ts", where)
    raw = _need(record, "message", dict, where)
    try:
        return decode_message(json.dumps(raw))
    except Exception as error:
        raise _fail(where, f"'message' is not a LangChain message ({error})", raw) from error


def _read_plan(lines: Sequence[str], name: str) -> _Plan:
    plan = _Plan([], [], [])
    owners: dict[str, str] = {}
    header_seen = False
    for number, line in enumerate(lines, start=1):
        where = f"{name}:{number}"
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise _fail(where, f"not JSON ({error.msg})", line.strip()) from error
        if not isinstance(record, dict):
            raise _fail(where, "each line must be a JSON object", record)
        kind = record.get("type")
        if not header_seen:
            if kind != EXPORT_FORMAT:
                raise _fail(where, f"the first line must be a {EXPORT_FORMAT!r} header", record)
            if record.get("version") != EXPORT_VERSION:
                raise _fail(where, f"unsupported export version (this is {EXPORT_VERSION})", record)
            header_seen = True
            continue
        if kind == "item":
            _check_item(record, where)
            plan.items.append(record)
        elif kind == "session":
            _check_session(record, where)
            previous = owners.setdefault(record["session_id"], record["user_id"])
            if previous != record["user_id"]:
                raise _fail(where, "session listed for two users", record["session_id"])
            plan.sessions.append(record)
        elif kind == "message":
            message = _check_message(record, where)
            if owners.get(record["session_id"]) != record["user_id"]:
                raise _fail(
                    where,
                    "message of a session not declared before it for that user",
                    (record["session_id"], record["user_id"]),
                )
            plan.messages.append((record, message))
        else:
            raise _fail(where, "unknown record type", kind)
    if not header_seen:
        raise ExportFormatError(f"{name}: empty file, expected a {EXPORT_FORMAT!r} header")
    return plan


def _read_lines(source: Source) -> tuple[list[str], str]:
    if isinstance(source, str | Path):
        path = Path(source)
        with open(path, encoding="utf-8") as handle:
            return handle.readlines(), str(path)
    if isinstance(source, io.TextIOBase) or hasattr(source, "read"):
        return source.read().splitlines(), getattr(source, "name", "<stream>")
    raise TypeError(f"source must be a path or a text stream, got {source!r}")


def import_memory(memory: Memory, source: Source, *, progress: bool = False) -> TransferCounts:
    """Load an export into ``memory`` (items, sessions and messages, with their times).

    Args:
        memory: The target memory; normally empty (existing records with the same ids
            are replaced).
        source: A file path or a readable text stream of an ``export_memory`` file.
        progress: Show a progress bar on stderr.

    Returns:
        The counts imported.

    Raises:
        ExportFormatError: A line is malformed (nothing imported).
        SessionOwnershipError: A session id belongs to another user in ``memory``
            (nothing imported).
        FileNotFoundError: ``source`` does not exist.
    """
    lines, name = _read_lines(source)
    plan = _read_plan(lines, name)
    storage = history_storage(memory)
    for session in plan.sessions:
        owner = storage.owner(session["session_id"])
        if owner is not None and owner != session["user_id"]:
            raise SessionOwnershipError(
                f"{name}: session_id {session['session_id']!r} of user "
                f"{session['user_id']!r} belongs to user {owner!r} in the target memory"
            )
    counts = TransferCounts(len(plan.items), len(plan.sessions), len(plan.messages))
    batch = max(1, min(_CHUNK, int(chroma_store(memory).client.get_max_batch_size())))
    with _progress(counts.total, "import", progress) as bar:
        collection = _items_collection(memory)
        for chunk in _chunks(plan.items, batch):
            _import_items(memory, collection, chunk)
            bar.update(len(chunk))
        for chunk in _chunks(plan.sessions, batch):
            storage.sessions.upsert(
                ids=[s["session_id"] for s in chunk],
                embeddings=[_DUMMY_VECTOR for _ in chunk],
                metadatas=[_session_metadata(s) for s in chunk],
            )
            bar.update(len(chunk))
        for pairs in _chunks(plan.messages, batch):
            vectors = storage.embeddings.embed_documents([search_text(m) for _, m in pairs])
            storage.messages.upsert(
                ids=[r["id"] for r, _ in pairs],
                documents=[encode_message(m) for _, m in pairs],
                embeddings=vectors,
                metadatas=[_message_metadata(r, m) for r, m in pairs],
            )
            bar.update(len(pairs))
    return counts


def _import_items(memory: Memory, collection: Any, chunk: Sequence[dict[str, Any]]) -> None:
    """Put a chunk of items (in order), then restore their times and expiry."""
    ops = [
        PutOp(
            tuple(r["namespace"]),
            r["key"],
            r["value"],
            index=None if r.get("indexed", True) else False,
            ttl=r.get("ttl"),
        )
        for r in chunk
    ]
    memory.store.batch(ops)
    collection.update(
        ids=[rec.item_id(tuple(r["namespace"]), r["key"]) for r in chunk],
        metadatas=[
            {
                "ca": float(r["created_at"]),
                "ua": float(r["updated_at"]),
                "exp": float(r.get("expires_at") or 0.0),
            }
            for r in chunk
        ],
    )


def _session_metadata(record: dict[str, Any]) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "user_id": record["user_id"],
        "session_id": record["session_id"],
        "created_at": float(record["created_at"]),
        "last_active": float(record["last_active"]),
    }
    for name in ("title", "summary"):
        if record.get(name) is not None:
            meta[name] = record[name]
    return meta


def _message_metadata(record: dict[str, Any], message: BaseMessage) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "user_id": record["user_id"],
        "session_id": record["session_id"],
        "seq": int(record["seq"]),
        "writer": record["writer"],
        "ts": float(record["ts"]),
        "type": message.type,
    }
    if message.id:
        meta["message_id"] = message.id
    return meta
