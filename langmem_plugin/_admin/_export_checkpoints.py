"""Checkpoints in an export: read and written with the checkpointer's own API only.

Export reads every checkpoint with ``BaseCheckpointSaver.list(None)`` (all threads, all
checkpoint namespaces, with their pending writes); import writes them back with ``put``
and ``put_writes``, oldest first. Nothing here knows a saver's tables, so SQLite,
PostgreSQL and the in-memory saver export and import alike, and an export of one imports
into another. A graph compiled on the importing memory resumes a thread from the same
state: the same checkpoint ids, parents, channel values and versions, metadata, and
pending writes (an interrupted run resumes with ``Command(resume=...)``).

One record per checkpoint::

    {"type": "checkpoint", "thread_id": ..., "checkpoint_ns": "", "checkpoint_id": ...,
     "parent_checkpoint_id": ... | null,
     "checkpoint": {"serde": "msgpack", "data": <base64>},
     "metadata": {"serde": ..., "data": ...},
     "writes": [{"task_id": ..., "channel": ..., "value": {"serde": ..., "data": ...}}]}

Values are serialised with LangGraph's ``JsonPlusSerializer`` (the savers' default), so
messages, ``Send``, ``Interrupt`` and the state types LangGraph checkpoints survive. The
write's ``task_path`` is not part of LangGraph's ``CheckpointTuple`` and is restored empty
(it only orders writes of the same checkpoint in PostgreSQL's saver).
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, cast

from langgraph.checkpoint.base import (
    BaseCheckpointSaver,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
)
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

from langmem_plugin.store._crypto import damaged_checkpoint, tolerant_checkpoints

logger = logging.getLogger(__name__)

__all__ = [
    "CheckpointRecord",
    "CorruptCheckpoint",
    "checkpoint_order",
    "checkpoint_records",
    "decode_checkpoint",
    "readable_checkpoints",
    "restore_checkpoints",
]

_SERDE = JsonPlusSerializer()


@dataclass(frozen=True)
class CheckpointRecord:
    """One decoded checkpoint of an export, ready for ``put``.

    Attributes:
        thread_id: Its thread.
        checkpoint_ns: Its checkpoint namespace (``""`` for the root graph).
        parent_checkpoint_id: The checkpoint it follows, or None.
        checkpoint: LangGraph's ``Checkpoint`` dict.
        metadata: Its ``CheckpointMetadata``.
        writes: ``(task_id, channel, value)`` pending writes, in order.
    """

    thread_id: str
    checkpoint_ns: str
    parent_checkpoint_id: str | None
    checkpoint: dict[str, Any]
    metadata: dict[str, Any]
    writes: list[tuple[str, str, Any]]


def _encode(value: Any) -> dict[str, str]:
    kind, data = _SERDE.dumps_typed(value)
    return {"serde": kind, "data": base64.b64encode(data).decode("ascii")}


def _decode(blob: Any, what: str) -> Any:
    if not isinstance(blob, dict) or not isinstance(blob.get("serde"), str):
        raise ValueError(f"{what} must be an object with 'serde' and 'data'")
    data = blob.get("data")
    if not isinstance(data, str):
        raise ValueError(f"{what}.data must be a base64 string")
    return _SERDE.loads_typed((blob["serde"], base64.b64decode(data, validate=True)))


@dataclass(frozen=True)
class CorruptCheckpoint:
    """A checkpoint whose blob does not open (encrypted memory: altered or truncated).

    Attributes:
        thread_id: Its thread (the only one that cannot resume).
        checkpoint_ns: Its checkpoint namespace.
        checkpoint_id: Its id.
        reason: What failed, never the content.
    """

    thread_id: str
    checkpoint_ns: str
    checkpoint_id: str
    reason: str

    def line(self) -> str:
        """``thread <id> checkpoint <id>: reason``, one line of ``langmem check``."""
        ns = f" ({self.checkpoint_ns})" if self.checkpoint_ns else ""
        return f"thread {self.thread_id}{ns} checkpoint {self.checkpoint_id}: {self.reason}"


def readable_checkpoints(
    saver: BaseCheckpointSaver[Any], skipped: list[CorruptCheckpoint] | None = None
) -> Iterator[CheckpointTuple]:
    """Every checkpoint of ``saver`` (``list(None)``) but those whose blob does not open.

    Each damaged one is logged and appended to ``skipped``. Without this, one altered blob
    would end ``list`` for every thread (see ``_crypto.tolerant_checkpoints``); the
    tolerance is on only while the saver decodes, never in the caller's code between.
    """
    snapshots = saver.list(None)
    while True:
        with tolerant_checkpoints():
            snapshot = next(snapshots, None)
        if snapshot is None:
            return
        reason = damaged_checkpoint(snapshot)
        if reason is None:
            yield snapshot
            continue
        conf = snapshot.config["configurable"]
        found = CorruptCheckpoint(
            str(conf["thread_id"]),
            str(conf.get("checkpoint_ns", "")),
            str(conf.get("checkpoint_id", "")),
            reason,
        )
        logger.warning("corrupt checkpoint skipped: %s", found.line())
        if skipped is not None:
            skipped.append(found)


def checkpoint_records(
    saver: BaseCheckpointSaver[Any], skipped: list[CorruptCheckpoint] | None = None
) -> Iterator[dict[str, Any]]:
    """Every readable checkpoint of ``saver`` as an export record (JSON-ready), via ``list``.

    Damaged ones are left out and appended to ``skipped`` (:func:`readable_checkpoints`).
    """
    for snapshot in readable_checkpoints(saver, skipped):
        conf = snapshot.config["configurable"]
        parent = (snapshot.parent_config or {}).get("configurable", {}).get("checkpoint_id")
        yield {
            "type": "checkpoint",
            "thread_id": str(conf["thread_id"]),
            "checkpoint_ns": str(conf.get("checkpoint_ns", "")),
            "checkpoint_id": str(snapshot.checkpoint["id"]),
            "parent_checkpoint_id": parent,
            "checkpoint": _encode(snapshot.checkpoint),
            "metadata": _encode(dict(snapshot.metadata or {})),
            "writes": [
                {"task_id": str(task), "channel": str(channel), "value": _encode(value)}
                for task, channel, value in snapshot.pending_writes or []
            ],
        }


def decode_checkpoint(record: dict[str, Any]) -> CheckpointRecord:
    """Validate and decode one checkpoint record.

    Raises:
        ValueError: A field is missing or malformed (the message names it).
    """
    for name in ("thread_id", "checkpoint_id"):
        if not isinstance(record.get(name), str) or not record[name]:
            raise ValueError(f"{name!r} must be a non-empty string")
    if not isinstance(record.get("checkpoint_ns", ""), str):
        raise ValueError("'checkpoint_ns' must be a string")
    parent = record.get("parent_checkpoint_id")
    if parent is not None and not isinstance(parent, str):
        raise ValueError("'parent_checkpoint_id' must be a string or null")
    checkpoint = _decode(record.get("checkpoint"), "checkpoint")
    if not isinstance(checkpoint, dict) or checkpoint.get("id") != record["checkpoint_id"]:
        raise ValueError("'checkpoint' does not decode to the checkpoint 'checkpoint_id' names")
    metadata = _decode(record.get("metadata"), "metadata")
    if not isinstance(metadata, dict):
        raise ValueError("'metadata' must decode to an object")
    writes = record.get("writes", [])
    if not isinstance(writes, list):
        raise ValueError("'writes' must be a list")
    decoded: list[tuple[str, str, Any]] = []
    for i, write in enumerate(writes):
        if not isinstance(write, dict) or not all(
            isinstance(write.get(k), str) for k in ("task_id", "channel")
        ):
            raise ValueError(f"writes[{i}] needs string 'task_id' and 'channel'")
        decoded.append(
            (write["task_id"], write["channel"], _decode(write.get("value"), f"writes[{i}].value"))
        )
    return CheckpointRecord(
        record["thread_id"],
        record.get("checkpoint_ns", ""),
        parent,
        checkpoint,
        metadata,
        decoded,
    )


def checkpoint_order(record: CheckpointRecord) -> tuple[str, str, str]:
    """Sort key: by thread and namespace, oldest first (checkpoint ids are time-ordered)."""
    return (record.thread_id, record.checkpoint_ns, str(record.checkpoint["id"]))


def restore_checkpoints(
    saver: BaseCheckpointSaver[Any], records: Iterable[CheckpointRecord]
) -> int:
    """Write checkpoints with ``put`` and ``put_writes``, parents before children.

    A checkpoint already present (same thread, namespace and id) is replaced.

    Returns:
        How many checkpoints were written.
    """
    ordered = sorted(records, key=checkpoint_order)
    for record in ordered:
        configurable: dict[str, Any] = {
            "thread_id": record.thread_id,
            "checkpoint_ns": record.checkpoint_ns,
        }
        if record.parent_checkpoint_id is not None:
            configurable["checkpoint_id"] = record.parent_checkpoint_id
        versions = dict(record.checkpoint.get("channel_versions", {}))
        checkpoint = cast(Checkpoint, record.checkpoint)
        metadata = cast(CheckpointMetadata, record.metadata)
        stored = saver.put({"configurable": configurable}, checkpoint, metadata, versions)
        by_task: dict[str, list[tuple[str, Any]]] = {}
        for task_id, channel, value in record.writes:
            by_task.setdefault(task_id, []).append((channel, value))
        for task_id, writes in by_task.items():
            saver.put_writes(stored, writes, task_id)
    return len(ordered)
