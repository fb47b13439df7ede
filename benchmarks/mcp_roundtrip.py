"""How long an MCP tool call takes end to end, over stdio and over streamable HTTP.

Usage:
    python benchmarks/mcp_roundtrip.py [--turns 200] [--notes 50] [--calls 50]

Builds a memory for one user in a temporary directory (``--notes`` saved notes and
``--turns`` archived chat messages, embedded with the bundled MiniLM), then starts the real
server as a subprocess twice, ``langmem mcp --user ada`` over stdio and ``--transport
http`` on 127.0.0.1, and calls ``search_memory`` and ``recall_context`` through the official
``mcp`` client: one warm-up call each (embedding model loaded, BM25 index built), then
``--calls`` timed calls with varied queries. A round trip is the client's ``call_tool`` from
send to parsed result: JSON-RPC framing, the transport, the tool's own work (embedding the
query, searching Chroma, packing the context) and the reply.

The last line is one JSON object with p50/p95 per transport and tool (milliseconds).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
from langchain_core.messages import AIMessage, HumanMessage
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamablehttp_client

from langmem_plugin._admin import open_memory

USER = "ada"
TOOLS = ("search_memory", "recall_context")


def build(root: Path, notes: int, turns: int) -> None:
    memory = open_memory(path=root, must_exist=False)
    try:
        for index in range(notes):
            memory.store.put(
                ("memories", USER),
                f"n{index}",
                {"content": f"Ada noted that project {index} uses colour {index * 7 % 13}"},
            )
        messages = []
        for turn in range(turns // 2):
            city, dish = turn * 7 % 50, turn * 3 % 40
            messages.append(HumanMessage(f"I visited city {city} and liked dish {dish}"))
            messages.append(AIMessage(f"Noted: city {city}, dish {dish}"))
        memory.ingest(messages, user_id=USER, thread_id="s1")
        memory.flush()
    finally:
        memory.close()


def arguments(tool: str, index: int) -> dict[str, Any]:
    question = f"which dish did I like in city {index * 7 % 50}?"
    return {"query": question} if tool == "search_memory" else {"message": question}


async def measure(session: ClientSession, calls: int) -> dict[str, list[float]]:
    await session.initialize()
    times: dict[str, list[float]] = {}
    for tool in TOOLS:
        warm = await session.call_tool(tool, arguments(tool, 0))
        assert not warm.isError, warm.content
        times[tool] = []
        for index in range(1, calls + 1):
            start = time.perf_counter()
            result = await session.call_tool(tool, arguments(tool, index))
            times[tool].append((time.perf_counter() - start) * 1000)
            assert not result.isError, result.content
    return times


def command(root: Path) -> list[str]:
    return [sys.executable, "-m", "langmem_plugin.cli", "mcp", "--user", USER, "--path", str(root)]


@asynccontextmanager
async def http_server(root: Path) -> AsyncIterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = await anyio.open_process(
        [*command(root), "--transport", "http", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=None,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.returncode is not None or time.monotonic() > deadline:
                    raise RuntimeError("the HTTP server did not start") from None
                await anyio.sleep(0.1)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.terminate()
        await process.wait()


async def run(root: Path, calls: int) -> dict[str, dict[str, list[float]]]:
    results: dict[str, dict[str, list[float]]] = {}
    cmd = command(root)
    params = StdioServerParameters(command=cmd[0], args=cmd[1:], env=dict(os.environ))
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        results["stdio"] = await measure(session, calls)
    async with (
        http_server(root) as url,
        streamablehttp_client(url) as (read, write, _),
        ClientSession(read, write) as session,
    ):
        results["http"] = await measure(session, calls)
    return results


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=200, help="archived messages")
    parser.add_argument("--notes", type=int, default=50, help="saved notes")
    parser.add_argument("--calls", type=int, default=50, help="timed calls per tool")
    args = parser.parse_args()
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "memory"
        build(root, args.notes, args.turns)
        results = anyio.run(run, root, args.calls)
    for transport, tools in results.items():
        for tool, times in tools.items():
            p50 = figures[f"{transport}_{tool}_p50_ms"] = round(statistics.median(times), 1)
            p95 = figures[f"{transport}_{tool}_p95_ms"] = round(percentile(times, 0.95), 1)
            print(f"{transport:<5} {tool:<15} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms")
    print(json.dumps({"turns": args.turns, "notes": args.notes, "calls": args.calls, **figures}))


if __name__ == "__main__":
    main()
