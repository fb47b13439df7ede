"""Damaged rows: skipped by reads that span items, reported once, paged around exactly.

A stored value that does not open (altered, truncated, sealed for another row, plaintext
in an encrypted table, garbage) is one corrupt item, not a failed store. ``ItemTable``
(``_sql``) gets these methods from :class:`DamagedRows`: its multi-item reads keep only
:meth:`~DamagedRows.readable` items, :meth:`~DamagedRows.report` warns (``logging``) and
audits each corrupt item once, and pages count readable rows only (``_page``/``_skip``)
so that ``offset += len(page)`` paging sees every readable item exactly once.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from langmem_plugin.store._crypto import MARK, ValueCipher
from langmem_plugin.store._rows import StoredItem

__all__ = ["DamagedRows"]

logger = logging.getLogger("langmem_plugin.store")

_OPENED = 100_000
"""Stored values remembered as opening (``DamagedRows._remember``): ~30 MB at most."""


class DamagedRows:
    """The corrupt-row handling of ``ItemTable`` (a mixin: it uses the table's queries)."""

    items: str
    cipher: ValueCipher | None
    on_corrupt: Callable[[list[tuple[tuple[str, ...], str, str]]], None] | None
    _reported: set[tuple[str, str]]
    _opened: dict[str, str]
    _item: Callable[[Sequence[Any]], StoredItem]
    _rows_by_iid: Callable[[Sequence[str]], list[Any]]
    _scope_rows: Callable[..., list[Any]]

    def readable(self, items: Iterable[StoredItem]) -> list[StoredItem]:
        """The items whose value decodes; the others are reported (:meth:`report`) and left out.

        Why skip rather than raise: one altered row would otherwise fail every search,
        listing, recall and export that spans it, so one byte would take the whole memory
        down. A ``get`` of exactly that item raises ``CorruptRecordError`` instead.
        """
        good: list[StoredItem] = []
        bad: list[StoredItem] = []
        for item in items:
            (bad if item.problem() else good).append(item)
        if self.cipher is not None:
            self._remember(good)
        if bad:
            self.report(bad)
        return good

    def report(self, items: Sequence[StoredItem]) -> None:
        """Warn (``logging``) and audit each corrupt item once per process and stored value.

        The warning and the audit event name the namespace, key and what failed, never
        the content. A repaired and again damaged row is reported again.
        """
        fresh: list[tuple[tuple[str, ...], str, str]] = []
        for item in items:
            seen = (item.iid, hashlib.blake2b(item.document.encode(), digest_size=8).hexdigest())
            if seen in self._reported:
                continue
            self._reported.add(seen)
            reason = item.problem() or "unknown"
            fresh.append((item.namespace, item.key, reason))
            logger.warning(
                "corrupt item skipped: namespace=%r key=%r (%s); put or delete it to repair "
                "it, `langmem check` lists every such item",
                item.namespace,
                item.key,
                reason,
            )
        if fresh and self.on_corrupt is not None:
            try:
                self.on_corrupt(fresh)
            except Exception:  # a failing audit write must not fail the read
                logger.exception("audit: recording corrupt items failed")

    def raw_page(
        self, prefix: Sequence[str], now: float, limit: int, offset: int
    ) -> tuple[int, list[StoredItem], list[StoredItem]]:
        """Rows ``offset`` to ``offset + limit`` under ``prefix``: ``(rows, readable, corrupt)``.

        For :meth:`ChromaStore.dump`, which pages by rows and names what it skipped. The
        corrupt ones are reported (:meth:`report`).
        """
        items = [self._item(row) for row in self._scope_rows(prefix, now, False, limit, offset)]
        corrupt = [item for item in items if item.problem()]
        if corrupt:
            self.report(corrupt)
        return len(items), [item for item in items if item not in corrupt], corrupt

    def _page(
        self, prefix: Sequence[str], now: float, unindexed: bool, limit: int, offset: int
    ) -> list[StoredItem]:
        """Readable items ``offset`` to ``offset + limit`` (corrupt rows hold no place)."""
        kept: list[StoredItem] = []
        position = self._skip(prefix, now, unindexed, offset)
        while True:
            want = limit - len(kept)
            rows = self._scope_rows(prefix, now, unindexed, want, position)
            position += len(rows)
            kept.extend(self.readable(map(self._item, rows)))
            if len(kept) >= limit or len(rows) < want:
                return kept

    def _skip(self, prefix: Sequence[str], now: float, unindexed: bool, offset: int) -> int:
        """The row position just past the first ``offset`` readable rows under ``prefix``.

        Checks each row's value opens without decoding its JSON: a GCM check on an
        encrypted store (a value whose tag verifies is the JSON this library sealed; one
        seen to open on an earlier page is not opened again), no ``enc1:`` prefix on a
        plain one. Decoding whole rows instead made a 10,000-item ``search_all`` (pages of
        1,000) 3.7 (plain) to 4.4 (encrypted) times slower than before corrupt rows were
        skipped; see ``benchmarks/paging_overhead.py`` for what this costs. (A plain
        store's value that is not JSON passes this check, so it still holds its place in
        the pages after it: plaintext has no tag to tell a damaged value by.)
        """
        opens = self._opens
        # a plain store only needs the first characters of each value
        columns = "iid, value" if self.cipher is not None else f"iid, substr(value, 1, {len(MARK)})"
        position = 0
        left = offset
        while left:
            rows = self._scope_rows(prefix, now, unindexed, left, position, columns)
            position += len(rows)
            if len(rows) < left:
                return position
            bad = [str(iid) for iid, value in rows if not opens(str(iid), str(value))]
            if bad:
                self.report([self._item(row) for row in self._rows_by_iid(bad)])
            left = len(bad)
        return position

    def _opens(self, iid: str, stored: str) -> bool:
        if self.cipher is None:
            return not stored.startswith(MARK)
        if self._opened.get(iid) == stored:  # the same sealed text opened before
            return True
        try:
            self.cipher.decrypt(iid, stored)
        except ValueError:
            return False
        return True

    def _remember(self, items: Sequence[StoredItem]) -> None:
        """Note that these stored values open, so that a later page's ``_skip`` need not.

        Paging through 10,000 encrypted items by 1,000 would open 45,000 values again.
        Only ciphertext is kept, at most ``_OPENED`` entries.
        """
        if len(self._opened) + len(items) > _OPENED:
            self._opened.clear()
        self._opened.update((item.iid, item.document) for item in items[:_OPENED])
