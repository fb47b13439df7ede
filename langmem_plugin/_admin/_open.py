"""Opening a memory by location, with clear errors (the command line and the web UI use it).

``open_memory`` checks what it can before it opens (the folder exists, the checkpoint
database answers) so that an operator gets one sentence naming the problem. Its errors
are worded in parameter names; the command line adds its own flags to them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from langmem_plugin._extras import missing_extra
from langmem_plugin.errors import CheckpointUnavailableError, MemoryNotFoundError
from langmem_plugin.history._storage import HistoryStorage
from langmem_plugin.store import ChromaStore

if TYPE_CHECKING:
    from langmem_plugin.memory import Memory

__all__ = ["check_postgres", "chroma_store", "history_storage", "open_memory"]


def check_postgres(url: str, timeout: float = 5.0) -> None:
    try:
        import psycopg
    except ImportError as error:
        raise missing_extra("a postgresql:// checkpoint URL", "postgres") from error
    try:
        with psycopg.connect(url, connect_timeout=max(1, int(timeout))):
            pass
    except psycopg.OperationalError as error:
        reason = " ".join(str(error).split())
        raise CheckpointUnavailableError(
            f"PostgreSQL at {_redact(url)!r} is not reachable: {reason}"
        ) from error


def _redact(url: str) -> str:
    """The URL without its password."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


def open_memory(
    *,
    path: str | Path | None = None,
    chroma_url: str | None = None,
    checkpoint_url: str | None = None,
    must_exist: bool = True,
    llm: Any = None,
    read_only: bool = False,
    embeddings: Any = None,
) -> Memory:
    """Open a memory the way the command line does, with clear errors.

    Args:
        path: The memory folder (``chroma/`` and ``checkpoints.sqlite``); default
            ``./.memory``. Used when ``chroma_url`` is not given.
        chroma_url: ``http(s)://host:port`` of a Chroma server.
        checkpoint_url: ``postgresql://...``, ``sqlite:///file`` or a file path; required
            with ``chroma_url``; with ``path`` it replaces ``path/checkpoints.sqlite``.
        must_exist: Raise ``MemoryNotFoundError`` instead of creating a missing folder.
        llm: The chat model of the memory features (see ``resolve_llm``).
        read_only: For a folder with SQLite checkpoints, open it for reading beside the
            process that holds it (``Memory.from_path(read_only=True)``); ignored for a
            Chroma server or PostgreSQL, which serve several processes anyway.
        embeddings: What ``resolve_embeddings`` accepts (``"local:mpnet"``...); default the
            local MiniLM. A memory must be opened with the embeddings it was written with.

    Returns:
        The memory (with ``MemoryFeatures``); close it when done.

    Raises:
        MemoryNotFoundError: ``must_exist`` and the folder (or its ``chroma/``) is missing.
        StoreUnavailableError: The Chroma server does not answer.
        CheckpointUnavailableError: The PostgreSQL server does not answer.
        ValueError: A URL has an unsupported form, or ``chroma_url`` comes without
            ``checkpoint_url``.
    """
    from langmem_plugin.memory import Memory

    cls = Memory
    if checkpoint_url is not None and checkpoint_url.startswith(("postgresql://", "postgres://")):
        check_postgres(checkpoint_url)
    if chroma_url is not None:
        if checkpoint_url is None:
            raise ValueError(
                f"chroma_url {chroma_url!r} needs a checkpoint_url "
                "(postgresql://... or a SQLite file path)"
            )
        if not chroma_url.startswith(("http://", "https://")):
            raise ValueError(f"chroma_url must be http(s)://host:port, got {chroma_url!r}")
        return cls.from_url(chroma_url, checkpoint_url, llm=llm, embeddings=embeddings)
    root = Path(path if path is not None else ".memory")
    if must_exist and not (root / "chroma").is_dir():
        if not root.exists():
            raise MemoryNotFoundError(f"no memory folder at {str(root)!r}")
        raise MemoryNotFoundError(f"no memory at {str(root)!r} (no chroma/ inside)")
    if checkpoint_url is not None:
        pg = checkpoint_url.startswith(("postgresql://", "postgres://"))
        if not read_only or pg:
            root.mkdir(parents=True, exist_ok=True)
        return cls.from_url(
            str(root / "chroma"),
            checkpoint_url,
            llm=llm,
            read_only=read_only and not pg,
            embeddings=embeddings,
        )
    return cls.from_path(root, llm=llm, read_only=read_only, embeddings=embeddings)


def chroma_store(memory: Memory) -> ChromaStore:
    """The memory's store, which these helpers need to be a ``ChromaStore``.

    Raises:
        TypeError: If it is another kind of store.
    """
    store = memory.store
    if not isinstance(store, ChromaStore):
        raise TypeError(f"this operation needs a ChromaStore, got {type(store).__name__}")
    return store


def history_storage(memory: Memory) -> HistoryStorage:
    """The chat sessions and archived messages of ``memory`` (items of its store)."""
    return HistoryStorage(memory.store)
