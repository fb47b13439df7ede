"""Export and import a whole memory as JSON Lines (``langmem export`` / ``langmem import``).

The file is UTF-8 text, one JSON object per line (format version 3):

1. a header: ``{"type": "langmem-export", "version": 3, "exported_at": <epoch s>,
   "counts": {"items": n, "sessions": n, "messages": n, "checkpoints": n}}``;
2. every live store item, namespace by namespace in the store's insertion order:
   ``{"type": "item", "namespace": [...], "key": ..., "value": {...}, "created_at":
   <epoch s>, "updated_at": <epoch s>, "ttl": null, "expires_at": null, "indexed":
   <bool>, "user_id": ...}``; the namespace holds ids as their labels
   (``langmem_plugin._ids.id_label``: ``maria@example%2Ecom``), and ``user_id``, for
   reading only (import ignores it and reads the namespace), is the id as given of the
   user the item belongs to (``_namespaces.namespace_user``; absent when none);
3. per user with entities (``langmem_plugin.knowledge``), one ``{"type": "knowledge",
   "user_id": ..., "entities": [...], "relations": [...], "mentions": [...]}`` record: the
   rows of the knowledge tables, opened (never sealed), with their ids and times;
4. every checkpoint of the checkpointer (``{"type": "checkpoint", ...}``, see
   ``langmem_plugin._admin._export_checkpoints``), read and written with the checkpointer's own
   API, so that a graph resumes its threads on the importing memory (SQLite and
   PostgreSQL alike).

The conversation archive is store items like any other (``("archive", user, session)``
per message, ``("sessions", user)`` per session, ``("session_owners",)`` claims; see
``langmem_plugin.history._storage``), so version 2 has no separate session or message
records: ``counts.sessions`` / ``counts.messages`` count the session and archive items,
``counts.items`` the other items (ownership claims are in none of the three).

Items are read with ``ChromaStore.dump`` and written with ``ChromaStore.restore``, the
store's public backup API, so ``created_at``, ``updated_at``, the TTL (minutes) and the
expiry time survive the round trip, and nothing reaches into the store's tables.
``indexed`` says whether the item had vectors (``False``: put with ``index=False``, or no
text at its indexed fields). Vectors are not exported: the importing memory embeds the
texts again with its own embeddings (so an export also moves memories to another
embedding model).
Version 2 files (no checkpoints) and version 1 files (separate ``session`` and ``message``
records) still import: version 1 sessions become session records and claims, their
messages archive items in their order (``seq`` renumbered 0, 1, 2 ... per session,
``occurred_at`` from the stored time).

The records are pydantic models (``_format``), which say what each field may hold.
Import validates the whole file before writing anything: a malformed line raises
``ExportFormatError`` naming the line and the offending value, and a session that
belongs to another user in the target raises ``SessionOwnershipError``; in both cases
nothing is written. Records already present (same namespace and key) are replaced.
"""

from __future__ import annotations

import io
import json
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from langchain_core.messages import BaseMessage
from pydantic import ValidationError
from tqdm import tqdm

from langmem_plugin._admin._export_checkpoints import (
    CheckpointRecord,
    CorruptCheckpoint,
    checkpoint_order,
    checkpoint_records,
    decode_checkpoint,
    restore_checkpoints,
)
from langmem_plugin._admin._format import (
    ExportHeader,
    ItemRecord,
    MessageRecord,
    Record,
    SessionRecord,
    decode_legacy_message,
)
from langmem_plugin._admin._open import history_storage
from langmem_plugin._namespaces import namespace_user, user_namespace
from langmem_plugin._paging import WRITE_BATCH, chunks
from langmem_plugin._tracing import traced, transfer_attributes
from langmem_plugin.errors import ExportFormatError, SessionOwnershipError
from langmem_plugin.history._storage import ARCHIVE, OWNERS, SESSIONS, archive_value, iso_utc
from langmem_plugin.knowledge._graph import knowledge_of
from langmem_plugin.memory import Memory
from langmem_plugin.store import CorruptItem, StoredRecord

__all__ = [
    "EXPORT_FORMAT",
    "EXPORT_VERSION",
    "TransferCounts",
    "export_memory",
    "import_memory",
]

EXPORT_FORMAT = "langmem-export"
EXPORT_VERSION = 3
_READABLE_VERSIONS = (1, 2, 3)

Source = str | Path | IO[str]


@dataclass(frozen=True)
class TransferCounts:
    """How many records an export or import moved.

    Attributes:
        items: Store items other than the conversation archive.
        sessions: Chat sessions (session records).
        messages: Archived chat messages.
        checkpoints: Checkpoints of the checkpointer (LangGraph thread states).
    """

    items: int = 0
    sessions: int = 0
    messages: int = 0
    checkpoints: int = 0
    skipped_items: tuple[CorruptItem, ...] = ()
    """Export: items left out because their value does not open (``langmem check``)."""
    skipped_checkpoints: tuple[CorruptCheckpoint, ...] = ()
    """Export: checkpoints left out because their blob does not open."""
    knowledge: int = 0
    """Users whose entities and relations were moved (one ``knowledge`` record each)."""

    @property
    def total(self) -> int:
        """All records."""
        return self.items + self.sessions + self.messages + self.checkpoints

    @property
    def skipped(self) -> list[str]:
        """One line per record an export left out (empty when it wrote everything)."""
        return [item.line() for item in self.skipped_items] + [
            found.line() for found in self.skipped_checkpoints
        ]


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


def _kind(namespace: Sequence[str]) -> str | None:
    """Which count an item falls under: items, sessions, messages, or None (claims)."""
    if namespace[0] == ARCHIVE:
        return "messages"
    if namespace[0] == SESSIONS:
        return "sessions"
    if namespace[0] == OWNERS:
        return None
    return "items"


def _count(namespaces: Iterable[Sequence[str]]) -> TransferCounts:
    tally = {"items": 0, "sessions": 0, "messages": 0}
    for namespace in namespaces:
        kind = _kind(namespace)
        if kind is not None:
            tally[kind] += 1
    return TransferCounts(tally["items"], tally["sessions"], tally["messages"])


def count_records(memory: Memory) -> TransferCounts:
    """What ``export_memory`` would write, counted the same way (restore reports it too).

    Args:
        memory: The memory to count.

    Returns:
        Items, sessions and archived messages of the store, the checkpoints, and the users
        with entities.
    """
    counts = _count(item.namespace for item in memory.store.dump())
    graph = knowledge_of(memory.store)
    return replace(
        counts,
        checkpoints=sum(1 for _ in checkpoint_records(memory.checkpointer)),
        knowledge=len(graph.users()) if graph is not None else 0,
    )


# ---------------------------------------------------------------------------- export
@traced("langmem.export", transfer_attributes)
def export_memory(memory: Memory, destination: Source, *, progress: bool = False) -> TransferCounts:
    """Write every store item (the conversation archive included) and checkpoint as JSON Lines.

    Items are read with ``ChromaStore.dump``; checkpoints with ``checkpointer.list``.
    On a memory that another process keeps writing, use ``langmem backup`` for a
    consistent copy (an export reads items and checkpoints one page after the other).

    Args:
        memory: The memory to export (any ``Memory``: folder or server).
        destination: A file path (created or overwritten) or a writable text stream.
        progress: Show a progress bar on stderr.

    Returns:
        The counts written. A record whose stored value does not open (see
        ``langmem check``) is left out, logged, and named in ``skipped_items`` /
        ``skipped_checkpoints``; everything else is exported.
    """
    if getattr(memory, "_memory_runtime", None) is not None:
        memory.flush()  # turns still queued for the archive belong in the export
    now = time.time()
    corrupt: list[CorruptItem] = []
    items = list(memory.store.dump(skipped=corrupt))
    graph = knowledge_of(memory.store)
    knowledge = [
        {"type": "knowledge", "user_id": user, **graph.dump(user)}
        for user in (graph.users() if graph is not None else [])
        if graph is not None
    ]
    damaged: list[CorruptCheckpoint] = []
    checkpoints = list(checkpoint_records(memory.checkpointer, damaged))
    counts = replace(
        _count(item.namespace for item in items),
        checkpoints=len(checkpoints),
        skipped_items=tuple(corrupt),
        skipped_checkpoints=tuple(damaged),
        knowledge=len(knowledge),
    )

    with _open(destination, "w") as out, _progress(counts.total, "export", progress) as bar:
        header = {
            "type": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "exported_at": now,
            "counts": {
                name: getattr(counts, name)
                for name in ("items", "sessions", "messages", "checkpoints")
            },
        }
        out.write(json.dumps(header, ensure_ascii=False) + "\n")
        for item in items:
            record = {
                "type": "item",
                "namespace": list(item.namespace),
                "key": item.key,
                "value": item.value,
                "created_at": item.created_at,
                "updated_at": item.updated_at,
                "ttl": item.ttl,
                "expires_at": item.expires_at,
                "indexed": item.indexed,
            }
            owner = namespace_user(item.namespace)
            if owner is not None:
                record["user_id"] = owner
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            if _kind(item.namespace) is not None:
                bar.update(1)
        for record in knowledge:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        for record in checkpoints:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
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
    checkpoints: list[CheckpointRecord]
    knowledge: list[dict[str, Any]] = field(default_factory=list)


def _fail(where: str, problem: str, value: Any) -> ExportFormatError:
    return ExportFormatError(f"{where}: {problem}, got {value!r:.200}")


def _validated(model: type[Record], record: dict[str, Any], where: str) -> Record:
    """The record parsed by its model; the first problem as an ``ExportFormatError``."""
    try:
        return model.model_validate(record)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        problem = first["msg"].removeprefix("Value error, ")
        kind = record.get("type")
        raise _fail(where, f"{kind} record, {field!r}: {problem}", first.get("input")) from None


def _check_header(record: dict[str, Any], where: str) -> None:
    if record.get("type") != EXPORT_FORMAT:
        raise _fail(where, f"the first line must be a {EXPORT_FORMAT!r} header", record)
    if record.get("version") not in _READABLE_VERSIONS:
        raise _fail(
            where, f"unsupported export version (this reads {list(_READABLE_VERSIONS)})", record
        )
    _validated(ExportHeader, record, where)


_MODELS: dict[str, type[Record]] = {
    "item": ItemRecord,
    "session": SessionRecord,
    "message": MessageRecord,
}


def _collect(
    plan: _Plan, owners: dict[str, str], record: dict[str, Any], parsed: Record, where: str
) -> None:
    """Add a validated record to the plan; version 1 sessions must own their messages."""
    if isinstance(parsed, ItemRecord):
        plan.items.append(record)
    elif isinstance(parsed, SessionRecord):
        previous = owners.setdefault(parsed.session_id, parsed.user_id)
        if previous != parsed.user_id:
            raise _fail(where, "session listed for two users", parsed.session_id)
        plan.sessions.append(record)
    elif isinstance(parsed, MessageRecord):
        if owners.get(parsed.session_id) != parsed.user_id:
            raise _fail(
                where,
                "message of a session not declared before it for that user",
                (parsed.session_id, parsed.user_id),
            )
        plan.messages.append((record, decode_legacy_message(parsed.message)))


def _read_plan(lines: Sequence[str], name: str) -> _Plan:
    plan = _Plan([], [], [], [])
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
            _check_header(record, where)
            header_seen = True
            continue
        if kind == "knowledge":
            plan.knowledge.append(_knowledge_record(record, where))
            continue
        if kind == "checkpoint":
            try:
                plan.checkpoints.append(decode_checkpoint(record))
            except Exception as error:
                raise _fail(where, f"malformed checkpoint ({error})", record) from error
            continue
        if not isinstance(kind, str) or kind not in _MODELS:
            raise _fail(where, "unknown record type", kind)
        _collect(plan, owners, record, _validated(_MODELS[kind], record, where), where)
    if not header_seen:
        raise ExportFormatError(f"{name}: empty file, expected a {EXPORT_FORMAT!r} header")
    return plan


def _knowledge_record(record: dict[str, Any], where: str) -> dict[str, Any]:
    """A ``knowledge`` record checked for its shape (the rows are checked as they are written)."""
    user = record.get("user_id")
    if not isinstance(user, str) or not user:
        raise _fail(where, "knowledge record without a user_id", user)
    needs = {
        "entities": ("id", "name", "first_seen", "last_seen"),
        "relations": ("id", "subject", "object", "predicate", "valid_from", "recorded_at"),
    }
    for name in ("entities", "relations", "mentions"):
        rows = record.get(name, [])
        if not isinstance(rows, list):
            raise _fail(where, f"knowledge record, {name!r} must be a list", rows)
        for row in rows:
            if name == "mentions":
                if not isinstance(row, list) or len(row) != 4:
                    raise _fail(where, "knowledge mention must be [entity, thread, key, at]", row)
            elif not isinstance(row, dict) or any(k not in row for k in needs[name]):
                raise _fail(where, f"knowledge {name[:-1]} needs {list(needs[name])}", row)
    return record


def _read_lines(source: Source) -> tuple[list[str], str]:
    if isinstance(source, str | Path):
        path = Path(source)
        with open(path, encoding="utf-8") as handle:
            return handle.readlines(), str(path)
    if isinstance(source, io.TextIOBase) or hasattr(source, "read"):
        return source.read().splitlines(), getattr(source, "name", "<stream>")
    raise TypeError(f"source must be a path or a text stream, got {source!r}")


def _legacy_items(plan: _Plan) -> list[dict[str, Any]]:
    """Version 1 session and message records as version 2 item records."""
    items: list[dict[str, Any]] = []
    for session in plan.sessions:
        user, session_id = session["user_id"], session["session_id"]
        record = {
            "session_id": session_id,
            "user_id": user,
            "created_at": float(session["created_at"]),
            "last_active": float(session["last_active"]),
        }
        for name in ("title", "summary"):
            if session.get(name) is not None:
                record[name] = session[name]
        times = {"created_at": record["created_at"], "updated_at": record["last_active"]}
        items.append(
            {
                "namespace": list(user_namespace(SESSIONS, user)),
                "key": session_id,
                "value": record,
                **times,
            }
        )
        items.append(
            {"namespace": [OWNERS], "key": session_id, "value": {"user_id": user}, **times}
        )
    ordered = sorted(
        plan.messages,
        key=lambda pair: (
            pair[0]["user_id"],
            pair[0]["session_id"],
            int(pair[0]["seq"]),
            pair[0]["writer"],
        ),
    )
    next_seq: dict[tuple[str, str], int] = {}
    for record, message in ordered:
        user, session_id = record["user_id"], record["session_id"]
        seq = next_seq.get((user, session_id), 0)
        next_seq[user, session_id] = seq + 1
        value = archive_value(
            message,
            user_id=user,
            session_id=session_id,
            seq=seq,
            occurred_at=iso_utc(datetime.fromtimestamp(float(record["ts"]), tz=UTC)),
            stored_at=float(record["ts"]),
        )
        items.append(
            {
                "namespace": list(user_namespace(ARCHIVE, user, session_id)),
                "key": str(message.id or record["id"]),
                "value": value,
                "created_at": float(record["ts"]),
                "updated_at": float(record["ts"]),
                "indexed": bool(message.text),
            }
        )
    return items


@traced("langmem.import", transfer_attributes)
def import_memory(memory: Memory, source: Source, *, progress: bool = False) -> TransferCounts:
    """Load an export (version 1, 2 or 3) into ``memory``: items, archive and checkpoints.

    Checkpoints are written with the checkpointer's ``put`` / ``put_writes``: a graph
    compiled with ``memory.compile`` resumes the exported threads from the same state.

    Args:
        memory: The target memory; normally empty (existing items with the same
            namespace and key are replaced).
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
    items = [*plan.items, *_legacy_items(plan)]
    claims: dict[str, str] = {}
    for item in items:
        if item["namespace"] == [OWNERS]:
            claimant = str(item["value"].get("user_id"))
            if claims.setdefault(item["key"], claimant) != claimant:
                raise ExportFormatError(f"{name}: session {item['key']!r} claimed by two users")
    storage = history_storage(memory)
    for session_id, user in claims.items():
        owner: str | None = storage.owner(session_id)
        if owner is not None and owner != user:
            raise SessionOwnershipError(
                f"{name}: session_id {session_id!r} of user {user!r} belongs to user "
                f"{owner!r} in the target memory"
            )
    counts = replace(
        _count(item["namespace"] for item in items),
        checkpoints=len(plan.checkpoints),
        knowledge=len(plan.knowledge),
    )
    with _progress(counts.total, "import", progress) as bar:
        for chunk in chunks(items, WRITE_BATCH):
            memory.store.restore(
                StoredRecord(
                    namespace=tuple(r["namespace"]),
                    key=r["key"],
                    value=r["value"],
                    created_at=float(r["created_at"]),
                    updated_at=float(r["updated_at"]),
                    ttl=r.get("ttl"),
                    expires_at=r.get("expires_at"),
                    indexed=r.get("indexed", True),
                )
                for r in chunk
            )
            bar.update(sum(1 for r in chunk if _kind(r["namespace"]) is not None))
        graph = knowledge_of(memory.store) if plan.knowledge else None
        for record in plan.knowledge:
            if graph is not None:
                try:
                    graph.restore(str(record["user_id"]), record)
                except (KeyError, TypeError, ValueError) as error:
                    raise ExportFormatError(
                        f"{name}: malformed knowledge record ({error})"
                    ) from error
        for batch in chunks(sorted(plan.checkpoints, key=checkpoint_order), WRITE_BATCH):
            restore_checkpoints(memory.checkpointer, batch)
            bar.update(len(batch))
    return counts
