"""``MemoryOperations``: configuration, retention, export, stats and cleanup of ``Memory``.

A mixin, so that ``memory.py`` keeps only the wiring: ``Memory.from_config`` (see
``langmem_plugin._config``), ``enforce_retention``, ``export`` and ``import_from`` (see
``langmem_plugin._admin._export``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Self

from langmem_plugin._admin._maintenance import (
    CleanupResult,
    cleanup_idle,
    count_memories,
    disk_size,
    thread_activity,
)
from langmem_plugin._config import LoadedConfig, RetentionConfig, load_config
from langmem_plugin.history._storage import HISTORY_LABELS

if TYPE_CHECKING:
    from langmem_plugin._admin._check import CheckReport
    from langmem_plugin._admin._export import TransferCounts
    from langmem_plugin.store import ChromaStore

__all__ = ["MemoryOperations", "RetentionReport"]


@dataclass(frozen=True)
class RetentionReport:
    """What ``Memory.enforce_retention`` deleted.

    Attributes:
        expired_items: Store items past their retention (TTL), deleted by the sweep.
        conversations: Conversations idle for longer than ``history_days``.
    """

    expired_items: int = 0
    conversations: CleanupResult = field(default_factory=CleanupResult)


class MemoryOperations:
    """Configuration, retention and export methods (mixed into ``Memory``)."""

    store: ChromaStore
    retention: RetentionConfig | None = None
    """The retention of a memory opened by ``from_config`` (None: keep everything)."""
    config: LoadedConfig | None = None
    """The configuration a memory was opened with by ``from_config``, else None."""

    # what these use of Memory
    configure_memory: Any
    checkpointer: Any
    flush: Any
    path: Path | None
    _check_open: Any
    _history_storage: Any
    _memory_runtime: Any

    @classmethod
    def from_config(
        cls,
        path: str | Path | None = None,
        *,
        directory: str | Path | None = None,
        chroma_url: str | None = None,
        checkpoint_url: str | None = None,
        embeddings: Any = None,
        llm: Any = None,
        working_memory_tokens: int | None = None,
        recall_tokens: int | None = None,
        retention: dict[str, Any] | None = None,
        read_only: bool = False,
    ) -> Self:
        """Open the memory described by a ``langmem.toml`` (or ``[tool.langmem]``).

        Precedence: defaults < the file < ``LANGMEM_<KEY>`` variables < these arguments.
        Retention becomes store TTLs per kind (swept in the background every hour) and
        ``history_days`` the idle limit of ``enforce_retention``.

        Args:
            path: The configuration file; default: found from the working directory up.
            directory: The memory folder (the file's ``path`` key).
            chroma_url: A Chroma server URL (needs ``checkpoint_url``).
            checkpoint_url: ``postgresql://...`` or a SQLite file.
            embeddings: ``"local"``, ``"provider:model"`` or an ``Embeddings`` object.
            llm: ``"provider:model"`` or a chat model.
            working_memory_tokens: Token budget of the model's input.
            recall_tokens: Token budget of the recall message.
            retention: Retention keys to override, e.g. ``{"notes_days": 30}``.
            read_only: Look at a folder another process holds (see ``Memory.from_path``);
                no TTL sweeper runs.

        Returns:
            The memory; its ``config`` says where each value came from.

        Raises:
            ConfigError: A value is invalid (the message names the key and the file).

        Example:
            ```python
            memory = Memory.from_config()  # ./langmem.toml, or one in a parent folder
            memory = Memory.from_config("deploy/langmem.toml", recall_tokens=1200)
            ```
        """
        objects = {
            name: value
            for name, value in (("embeddings", embeddings), ("llm", llm))
            if value is not None and not isinstance(value, str)
        }
        overrides: dict[str, Any] = {
            "path": str(directory) if directory is not None else None,
            "chroma_url": chroma_url,
            "checkpoint_url": checkpoint_url,
            "embeddings": embeddings if isinstance(embeddings, str) else None,
            "llm": llm if isinstance(llm, str) else None,
            "working_memory_tokens": working_memory_tokens,
            "recall_tokens": recall_tokens,
            "retention": retention,
        }
        loaded = load_config(path, overrides=overrides)
        config = loaded.config
        kwargs: dict[str, Any] = {**config.memory_kwargs(), **objects}
        for name, value in objects.items():  # shown by `config.render()` as their type
            loaded.sources[name] = "argument"
            shown = {name: f"<{type(value).__name__}>"}
            loaded.config = loaded.config.model_copy(update=shown)
        namespace_ttl = config.retention.namespace_ttl()
        if namespace_ttl:  # retention counts from the last write; reads do not extend it
            kwargs["ttl"] = {"refresh_on_read": False, "sweep_interval_minutes": 60}
            kwargs["namespace_ttl"] = namespace_ttl
        opener: Any = cls
        if read_only:
            kwargs["read_only"] = True
        if config.chroma_url is not None:
            if config.checkpoint_url is None:
                from langmem_plugin.errors import ConfigError

                raise ConfigError(
                    f"invalid configuration key 'checkpoint_url' ({loaded.file or 'default'}): "
                    "required with chroma_url"
                )
            memory = opener.from_url(config.chroma_url, config.checkpoint_url, **kwargs)
        elif config.checkpoint_url is not None:
            root = Path(config.path or ".memory")
            if not read_only:
                root.mkdir(parents=True, exist_ok=True)
            memory = opener.from_url(str(root / "chroma"), config.checkpoint_url, **kwargs)
            memory.path = root
        else:
            memory = opener.from_path(config.path or ".memory", **kwargs)
        memory.configure_memory(**config.options())
        memory.retention = config.retention
        memory.config = loaded
        if namespace_ttl and not read_only:
            memory.store.start_ttl_sweeper()
        return memory

    def enforce_retention(self) -> RetentionReport:
        """Apply the retention of ``from_config`` now; run it as periodic maintenance.

        Sweeps the store items past their TTL (they are already invisible) and, with
        ``history_days``, deletes the conversations idle for longer (``cleanup``).

        Returns:
            What was deleted.
        """
        swept = self.store.sweep_ttl()
        days = self.retention.history_days if self.retention is not None else None
        conversations = self.cleanup(days) if days is not None else CleanupResult()
        return RetentionReport(expired_items=swept, conversations=conversations)

    def export(
        self, destination: str | Path | IO[str], *, progress: bool = False
    ) -> TransferCounts:
        """Write the whole memory (store items and checkpoints) as JSON Lines.

        See ``langmem_plugin._admin._export.export_memory``.
        """
        from langmem_plugin._admin._export import export_memory

        return export_memory(self, destination, progress=progress)  # type: ignore[arg-type]

    def import_from(
        self, source: str | Path | IO[str], *, progress: bool = False
    ) -> TransferCounts:
        """Load an export (of this or another memory) into this memory.

        See ``langmem_plugin._admin._export.import_memory``.
        """
        from langmem_plugin._admin._export import import_memory

        return import_memory(self, source, progress=progress)  # type: ignore[arg-type]

    # ------------------------------------------------------------------ maintenance
    def check(self) -> CheckReport:
        """Read every stored item and checkpoint; list those that do not open.

        Searches, listings, recall and export skip a corrupt record (and log it); this
        finds them all. See ``langmem_plugin._admin._check``.

        Returns:
            The report (``report.ok`` is False when something is corrupt).
        """
        from langmem_plugin._admin._check import check_memory

        self._check_open()
        return check_memory(self)

    def stats(self) -> dict[str, Any]:
        """Counts and size, for dashboards and tests.

        Returns:
            ``users`` (distinct session owners and namespace users, the label at the
            user position: the ``user_id`` of ``("memories", user_id)``; an agent's
            ``("agent_lessons", agent_id)`` counts no user), ``sessions`` and ``messages``
            (the conversation archive), ``memories`` (item count per first namespace
            label, e.g. ``"profile"``; the archive's own namespaces are not memories),
            ``threads`` (checkpointer threads) and ``size_on_disk`` (bytes, None when
            nothing is stored locally).
        """
        self._check_open()
        users = set(self._history_storage.users())
        _, sessions, messages = self._history_storage.counts()
        memories, owners = count_memories(self.store)
        for label in HISTORY_LABELS:
            memories.pop(label, None)
        size = disk_size(self.path) if self.path is not None and self.path.exists() else None
        return {
            "users": len(users | owners),
            "sessions": sessions,
            "messages": messages,
            "memories": memories,
            "threads": len(thread_activity(self.checkpointer)),
            "size_on_disk": size,
        }

    def cleanup(self, older_than_days: float) -> CleanupResult:
        """Delete sessions and threads idle for longer than ``older_than_days``.

        A conversation's last activity is the latest of its session's ``last_active``
        (its newest archived message) and its thread's newest checkpoint (session id ==
        thread id). Idle ones lose their archived messages, session record and
        checkpoints
        (``checkpointer.delete_thread``). Long-term memories in the store are kept.
        This reads every checkpoint once: run it as periodic maintenance.

        Args:
            older_than_days: Idle time in days (0 deletes everything not newer than now).

        Returns:
            The ids deleted.

        Raises:
            ValueError: If ``older_than_days`` is negative or not a number.
        """
        if (
            isinstance(older_than_days, bool)
            or not isinstance(older_than_days, int | float)
            or not older_than_days >= 0
        ):
            raise ValueError(
                f"older_than_days must be a non-negative number, got {older_than_days!r}"
            )
        self._check_open()
        if self._memory_runtime is not None:
            self.flush()  # queued turns are activity too
        cutoff = datetime.now(UTC) - timedelta(days=older_than_days)
        result = cleanup_idle(self._history_storage, self.checkpointer, cutoff)
        if self._memory_runtime is not None:
            self._memory_runtime.archiver.forget(session_ids=result.sessions)
        return result
