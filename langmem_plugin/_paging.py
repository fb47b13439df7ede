"""Reading a whole namespace or namespace listing through the store's pages; chunking.

``BaseStore.search`` and ``list_namespaces`` return at most ``limit`` results; maintenance
(stats, forget, export), the chat history, tasks and the retriever's namespace mirror
need all of them. One pager serves them all.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from langgraph.store.base import BaseStore, SearchItem

PAGE = 1000
"""Results per store call: large enough that a user's memories take a call or two."""

WRITE_BATCH = 256
"""Operations per ``store.batch`` when writing or deleting many items (bounded memory)."""

_T = TypeVar("_T")


def chunks(seq: Sequence[_T], size: int) -> Iterator[list[_T]]:
    """Consecutive runs of at most ``size`` elements of ``seq``, in order, as lists.

    The one chunking helper: store batches, SQL ``IN (...)`` lists under SQLite's
    parameter limit, and Chroma deletes all cut their work with it.
    """
    for start in range(0, len(seq), size):
        yield list(seq[start : start + size])


def search_all(
    store: BaseStore,
    namespace: tuple[str, ...],
    filter: dict[str, Any] | None = None,
    *,
    page_size: int = PAGE,
) -> list[SearchItem]:
    """Every item under ``namespace`` (matching ``filter``), without refreshing TTLs.

    ``page_size`` trades calls for memory: the retriever's namespace mirror lists whole
    namespaces with 10,000 per call.
    """
    items: list[SearchItem] = []
    while True:
        page = store.search(
            namespace, filter=filter, limit=page_size, offset=len(items), refresh_ttl=False
        )
        items.extend(page)
        if len(page) < page_size:
            return items


def list_all_namespaces(
    store: BaseStore, prefix: tuple[str, ...] | None = None, max_depth: int | None = None
) -> list[tuple[str, ...]]:
    """Every namespace (under ``prefix``, cut to ``max_depth``) that holds items."""
    found: list[tuple[str, ...]] = []
    while True:
        page = store.list_namespaces(
            prefix=prefix, max_depth=max_depth, limit=PAGE, offset=len(found)
        )
        found.extend(page)
        if len(page) < PAGE:
            return found
