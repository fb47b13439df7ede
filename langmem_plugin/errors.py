"""Every exception that langmem_plugin raises itself, under one base: ``LangMemError``.

Catch ``LangMemError`` to handle any of ours in one place. Each class also keeps the
builtin it has always been (``ValueError``, ``LookupError``, ``ConnectionError``...), so
code that catches the builtin keeps working. Every message names the offending value.

Namespace errors are LangGraph's own ``langgraph.store.base.InvalidNamespaceError``, so
callers that already handle LangGraph stores need nothing new; argument checks that are
programming errors (a negative limit, a wrong type) raise the plain builtin.

Example:
    >>> from langmem_plugin.errors import LangMemError
    >>> try:
    ...     memory.tasks.update("alice", "no-such-task", status="completed")
    ... except LangMemError as error:  # TaskNotFoundError, a LookupError too
    ...     print(error)
"""

from __future__ import annotations

__all__ = [
    "AccessDeniedError",
    "BackupError",
    "CheckpointUnavailableError",
    "ChromaStoreError",
    "ConfigError",
    "CorruptRecordError",
    "EmbeddingDimensionError",
    "EmbeddingModelError",
    "EncryptionKeyError",
    "EntityNotFoundError",
    "ExportFormatError",
    "FolderInUseError",
    "IllegalTransitionError",
    "InvalidFilterError",
    "InvalidIdError",
    "InvalidMessageError",
    "InvalidTaskError",
    "InvalidValueError",
    "LangMemError",
    "MemoryClosedError",
    "MemoryNotFoundError",
    "MissingUserIdError",
    "ReadOnlyMemoryError",
    "RerankerError",
    "SessionOwnershipError",
    "StoreMismatchError",
    "StoreUnavailableError",
    "TaskError",
    "TaskNotFoundError",
    "ThreadNotFoundError",
    "UnknownEmbeddingModelError",
    "UnknownUserError",
]


class LangMemError(Exception):
    """Base class of every error langmem_plugin raises itself."""


# ------------------------------------------------------------------------------ store
class ChromaStoreError(LangMemError):
    """Base class of the errors that ``ChromaStore`` raises itself."""


class InvalidValueError(ChromaStoreError, TypeError):
    """A value given to ``put`` cannot be stored (not a dict, or not JSON-serialisable)."""


class InvalidFilterError(ChromaStoreError, ValueError):
    """A search filter uses an unknown operator or an operand of the wrong type."""


class EmbeddingDimensionError(ChromaStoreError, ValueError):
    """The embedding model returned vectors whose size differs from the index's ``dims``."""


class StoreUnavailableError(ChromaStoreError, ConnectionError):
    """The Chroma server could not be reached; nothing was written."""


class FolderInUseError(ChromaStoreError, RuntimeError):
    """Another process has the embedded store's folder open; share it through a server.

    Attributes:
        folder: The folder (empty when unknown).
        owner: The process id written in the folder's lock file (or ``"another"``).
    """

    folder: str = ""
    owner: str = "another"


class ReadOnlyMemoryError(ChromaStoreError, PermissionError):
    """A write to a memory opened read-only (``read_only=True``); nothing was written."""


class EncryptionKeyError(ChromaStoreError, ValueError):
    """Wrong or missing ``encryption_key`` for an encrypted store; nothing was written."""


class CorruptRecordError(ChromaStoreError, ValueError):
    """One stored record does not open: altered, truncated, moved from another row, or garbage.

    Raised by a ``get`` of exactly that item (reads that span many items skip it and log a
    warning instead), and at open when the store's key-derivation row is damaged. The
    message names the record (namespace and key, or the checkpoint's thread), never its
    content. Overwriting or deleting the item repairs it; ``langmem check`` lists them all.

    Attributes:
        namespace: The item's namespace (``()`` for a checkpoint or the meta table).
        key: The item's key (the checkpoint's thread id, or the meta row's name).
        reason: What failed (``"authentication failed"``, ``"not encrypted"``...).
    """

    def __init__(self, message: str, namespace: tuple[str, ...] = (), key: str = "",
                 reason: str = "") -> None:  # fmt: skip
        super().__init__(message)
        self.namespace = namespace
        self.key = key
        self.reason = reason


# ----------------------------------------------------------------------------- memory
class MemoryClosedError(LangMemError, RuntimeError):
    """The ``Memory`` was closed; open a new one."""


class ThreadNotFoundError(LangMemError, LookupError):
    """The checkpointer holds no checkpoint for the given thread id."""


class InvalidMessageError(LangMemError, ValueError):
    """A message is not in any form LangChain's ``convert_to_messages`` accepts."""


class MissingUserIdError(LangMemError, ValueError):
    """Raised when a memory node or tool runs without a ``user_id``."""


class InvalidIdError(LangMemError, ValueError):
    """A user, agent, session or thread id is blank, not a string, or holds NUL; nothing done."""


class SessionOwnershipError(LangMemError, PermissionError):
    """A session id already belongs to another user; nothing was read or written."""


class AccessDeniedError(LangMemError, PermissionError):
    """The access policy refuses a principal an action on a scope; nothing was read or written.

    The message names the principal, the action and the scope, never what the scope holds
    (not even whether it holds anything).

    Attributes:
        principal: Who asked (``"user 'bob'"``, ``"user 'bob' as agent 'w1'"``).
        action: ``"read"``, ``"write"``, ``"share"`` or ``"forget"``.
        scope: The scope asked for (``"team 'research'"``...).
    """

    def __init__(self, principal: str, action: str, scope: str) -> None:
        super().__init__(f"access denied: {principal} may not {action} {scope}")
        self.principal = principal
        self.action = action
        self.scope = scope


class StoreMismatchError(LangMemError, ValueError):
    """A graph runs a ``Memory``'s nodes, middleware or tools on another store.

    Raised before anything is read or written: the memory features write to their
    ``Memory``'s store, so a graph compiled with a different one would lose sight of them.
    The fix is ``memory.compile(builder)`` (or ``store=memory.store``).
    """


class EmbeddingModelError(LangMemError, RuntimeError):
    """The bundled embedding model or vocabulary is missing or is not the expected file."""


class UnknownEmbeddingModelError(LangMemError, ValueError):
    """A local embeddings model name (``LocalEmbeddings(model=...)``, ``local:NAME``) is unknown."""


class RerankerError(LangMemError, ValueError):
    """A retriever's reranker returned a document it was not given."""


class ConfigError(LangMemError, ValueError):
    """A configuration value is invalid; the message names the key and its source."""


# ------------------------------------------------------------------------------ tasks
class TaskError(LangMemError):
    """Base class of the task errors."""


class InvalidTaskError(TaskError, ValueError):
    """A task argument is invalid (status, priority, description, due date)."""


class IllegalTransitionError(TaskError, ValueError):
    """The status change is not allowed from the task's current status."""


class TaskNotFoundError(TaskError, LookupError):
    """The user has no task with this id (it may not exist, or belong to another user)."""


class EntityNotFoundError(LangMemError, LookupError):
    """The user has no entity with this id (it may not exist, or belong to another user)."""


# ---------------------------------------------------------------------- administration
class UnknownUserError(LangMemError, LookupError):
    """Nothing is stored for this user id (a typo, or a user already forgotten)."""


class MemoryNotFoundError(LangMemError, FileNotFoundError):
    """The memory folder does not exist (read commands never create an empty one)."""


class CheckpointUnavailableError(LangMemError, ConnectionError):
    """The checkpoint database (PostgreSQL) does not answer."""


class ExportFormatError(LangMemError, ValueError):
    """A line of an export file is malformed; nothing was imported."""


class BackupError(LangMemError, ValueError):
    """A backup cannot be taken or restored (missing folder, not a backup, target in use)."""
