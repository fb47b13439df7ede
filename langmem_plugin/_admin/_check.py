"""``langmem check`` / ``Memory.check``: find every stored record that does not open.

An encrypted memory seals each value with AES-256-GCM, so a byte altered on disk, a
truncated value, a ciphertext copied from another row (the item id is the associated
data), a plaintext value slipped into the table or plain garbage no longer opens. Reads
that span many items skip such a record (and log it, and audit it as ``corrupt``); a
``get`` of exactly that item raises :class:`~langmem_plugin.errors.CorruptRecordError`.
This scan reads every live item and every checkpoint and lists the ones that do not
open, so that an operator can repair them: put or delete the item again (or restore the
memory from a backup), delete the thread of a damaged checkpoint.

It is also useful on an unencrypted memory: a value that is not a JSON object is listed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from langmem_plugin._admin._export_checkpoints import CorruptCheckpoint, readable_checkpoints
from langmem_plugin.store import CorruptItem

__all__ = ["CheckReport", "check_memory"]


@dataclass(frozen=True)
class CheckReport:
    """What :func:`check_memory` found.

    Attributes:
        items: Store items that open (the conversation archive included).
        checkpoints: Checkpoints that open.
        corrupt_items: Items that do not, with what failed (never their content).
        corrupt_checkpoints: Checkpoints that do not (their threads cannot resume).
    """

    items: int = 0
    checkpoints: int = 0
    corrupt_items: list[CorruptItem] = field(default_factory=list)
    corrupt_checkpoints: list[CorruptCheckpoint] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every record opens."""
        return not self.corrupt_items and not self.corrupt_checkpoints

    def render(self) -> str:
        """The report as ``langmem check`` prints it: a summary, then one line per record."""
        bad = len(self.corrupt_items) + len(self.corrupt_checkpoints)
        lines = [
            f"checked {self.items + len(self.corrupt_items)} items and "
            f"{self.checkpoints + len(self.corrupt_checkpoints)} checkpoints: "
            + ("all open" if self.ok else f"{bad} corrupt")
        ]
        lines += [f"corrupt item {item.line()}" for item in self.corrupt_items]
        lines += [f"corrupt {found.line()}" for found in self.corrupt_checkpoints]
        if not self.ok:
            lines.append(
                "repair: put or delete each corrupt item again (or restore a backup); "
                "delete the thread of a corrupt checkpoint"
            )
        return "\n".join(lines)


def check_memory(memory: Any) -> CheckReport:
    """Read every live store item and every checkpoint of ``memory``; list those that fail.

    Args:
        memory: An open ``Memory``.

    Returns:
        The counts and the corrupt records (each also logged and, for items, audited).
    """
    corrupt: list[CorruptItem] = []
    items = sum(1 for _ in memory.store.dump(skipped=corrupt))
    damaged: list[CorruptCheckpoint] = []
    checkpoints = sum(1 for _ in readable_checkpoints(memory.checkpointer, damaged))
    return CheckReport(items, checkpoints, corrupt, damaged)
