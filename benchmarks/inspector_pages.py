"""How fast the memory inspector's pages answer, on a memory of a given size.

Usage:
    python benchmarks/inspector_pages.py [--users 20] [--turns 50] [--repeat 5]

Builds a memory in a temporary directory (``--users`` users, each with two sessions of
``--turns`` archived messages, embedded with the bundled MiniLM), serves the inspector on
127.0.0.1 in a thread, and times each page over HTTP: the first request (cold: BM25 index
built, query embedded) and the median of ``--repeat`` more. The users page reads every
item once, so it grows with the whole memory; a user's page and search grow with that user.

The last line is one JSON object with every figure (milliseconds).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path

from langchain_core.messages import AIMessage, HumanMessage

from langmem_plugin._admin import open_memory
from langmem_plugin.ui import start_background


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--turns", type=int, default=50, help="messages per session")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        memory = open_memory(path=Path(tmp) / "memory", must_exist=False)
        started = time.perf_counter()
        for user in range(args.users):
            for session in range(2):
                messages = []
                for turn in range(args.turns // 2):
                    city, dish = turn * 7 % 50, turn * 3 % 40
                    messages.append(HumanMessage(f"I visited city {city} and liked dish {dish}"))
                    messages.append(AIMessage(f"Noted: city {city}, dish {dish}"))
                history = memory.history(f"u{user}-s{session}", user_id=f"user{user}")
                history.add_messages(messages)
        total = memory.stats()["messages"]
        print(f"{total} messages for {args.users} users in {time.perf_counter() - started:.1f} s")
        server = start_background(memory)
        query = "which+dish+did+I+like+in+city+21"
        pages = {
            "users": "",
            "user": "users/user3",
            "search": f"search?user=user3&q={query}",
            "agent_view": f"search?user=user3&message={query}",
            "audit": "audit?user=user3",
        }
        try:
            for name, path in pages.items():
                times = []
                for _ in range(args.repeat + 1):
                    start = time.perf_counter()
                    with urllib.request.urlopen(server.url + path, timeout=120) as response:
                        response.read()
                    times.append((time.perf_counter() - start) * 1000)
                figures[f"{name}_first_ms"] = round(times[0], 1)
                median = figures[f"{name}_median_ms"] = round(statistics.median(times[1:]), 1)
                print(f"{name:<11} first {times[0]:7.1f} ms   median {median:7.1f} ms")
        finally:
            server.stop()
            memory.close()
    print(json.dumps({"messages": total, "users": args.users, **figures}))


if __name__ == "__main__":
    main()
