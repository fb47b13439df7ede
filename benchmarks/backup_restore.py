"""Backup, restore, export and import of a memory folder: seconds and sizes.

``python benchmarks/backup_restore.py --items 10000 --threads 50``

Builds a memory folder with ``--items`` store items (384-dim vectors from the cheap
deterministic embedder of ``_stores``, so the model is not measured) over 100 users and
``--threads`` graph threads of 4 turns each, then times: ``backup_folder`` while another
thread of the same process keeps writing, ``restore_folder`` (copy + rebuilding Chroma's
index from the SQL vectors), ``export_memory`` and ``import_memory`` (which embeds the texts
again, with the cheap embedder here). Prints one table.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from _stores import HashRandomEmbeddings, memory_value
from langchain_core.messages import AIMessage
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.store.base import PutOp

from langmem_plugin._admin._backup import backup_folder, restore_folder
from langmem_plugin._admin._export import export_memory, import_memory
from langmem_plugin.memory import Memory


def build(root: Path, items: int, threads: int, embed: Any) -> Memory:
    memory = Memory.from_path(root, embeddings=embed)
    ops = [
        PutOp(("memories", f"u{i % 100}"), f"k{i}", memory_value(i % 100, i)) for i in range(items)
    ]
    for start in range(0, len(ops), 500):
        memory.store.batch(ops[start : start + 500])
    builder = StateGraph(MessagesState)
    builder.add_node("echo", lambda state: {"messages": [AIMessage("noted " * 20)]})
    builder.add_edge(START, "echo")
    graph = memory.compile(builder)
    for t in range(threads):
        for turn in range(4):
            graph.invoke(
                {"messages": [("user", f"turn {turn} " * 20)]},
                {"configurable": {"thread_id": f"t{t}"}},
            )
    memory.store.sync_index()
    return memory


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--threads", type=int, default=50)
    args = parser.parse_args()
    embed = HashRandomEmbeddings()
    rows: list[tuple[str, float, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        memory = build(root / "src", args.items, args.threads, embed)
        stop = threading.Event()
        written = [0]

        def writer() -> None:
            while not stop.is_set():
                n = written[0]
                memory.store.put(("busy", "w"), f"k{n}", {"content": f"busy write {n}"})
                written[0] += 1

        busy = threading.Thread(target=writer)
        busy.start()
        started = time.perf_counter()
        info = backup_folder(root / "src", root / "memory.bak")
        rows.append(
            (
                "backup (writer running)",
                time.perf_counter() - started,
                f"{info.bytes / 1_048_576:.1f} MiB",
            )
        )
        stop.set()
        busy.join()
        started = time.perf_counter()
        restored = restore_folder(root / "memory.bak", root / "restored", embeddings=embed)
        rows.append(
            (
                "restore (copy + index rebuild)",
                time.perf_counter() - started,
                f"{restored.vectors} vectors",
            )
        )
        started = time.perf_counter()
        counts = export_memory(memory, root / "export.jsonl")
        size = (root / "export.jsonl").stat().st_size / 1_048_576
        rows.append(
            (
                "export (items + checkpoints)",
                time.perf_counter() - started,
                f"{size:.1f} MiB, {counts.checkpoints} checkpoints",
            )
        )
        memory.close()
        with Memory.from_path(root / "imported", embeddings=embed) as target:
            started = time.perf_counter()
            import_memory(target, root / "export.jsonl")
            rows.append(
                ("import (embeds again)", time.perf_counter() - started, f"{counts.total} records")
            )
    print(
        f"{args.items} items, {args.threads} threads x 4 turns; "
        f"writer wrote {written[0]} items during backup"
    )
    print(f"| {'operation':<32} | {'seconds':>8} | size |")
    print(f"|{'-' * 34}|{'-' * 10}|------|")
    for name, seconds, note in rows:
        print(f"| {name:<32} | {seconds:>8.2f} | {note} |")


if __name__ == "__main__":
    main()
