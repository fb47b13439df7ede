"""The MCP server (``langmem mcp``) with the official MCP client: stdio, HTTP, in memory.

Real everything: the server is the real FastMCP server over a real ``Memory`` (embedded
Chroma, SQLite), reached through the ``mcp`` SDK's own client over a subprocess's stdio,
over streamable HTTP on 127.0.0.1, or over its in-memory streams; only the LLM of the
LangGraph agent test is scripted.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamablehttp_client
from mcp.shared.memory import create_connected_server_and_client_session

from langmem_plugin import Memory
from langmem_plugin.cli import main
from langmem_plugin.errors import ConfigError
from langmem_plugin.mcp import TOOL_NAMES, TokenMap, create_mcp_server, load_tokens
from langmem_plugin.mcp import start_background as start_mcp
from langmem_plugin.testing import ScriptedChatModel
from tests._support import free_port

pytestmark = pytest.mark.anyio

# prefixes of each other, namespace labels, and generated ids
USERS = ["a", "ab", "abc", "memories", "profile", "archive", "episodes", "ada"]
USERS += [f"u{uuid.uuid4().hex[:6]}" for _ in range(2)]
TOKENS = {"ada": "ada-" + "x" * 28, "bob": "bob-" + "y" * 28}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def text(result: Any) -> str:
    return "\n".join(block.text for block in result.content)


@asynccontextmanager
async def http_session(url: str, token: str | None = None) -> AsyncIterator[ClientSession]:
    headers = {"Authorization": f"Bearer {token}"} if token else None
    async with (
        streamablehttp_client(url, headers=headers) as (read, write, _),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


@pytest.fixture
def memory(tmp_path: Path) -> Iterator[Memory]:
    with Memory.from_path(tmp_path / "memory") as opened:
        yield opened


# ---------------------------------------------------------------------------- stdio
async def test_stdio_subprocess_serves_one_user_and_audits_as_mcp(tmp_path: Path) -> None:
    root = tmp_path / "memory"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}

    def params(user: str) -> StdioServerParameters:
        args = ["-m", "langmem_plugin.cli", "mcp", "--user", user, "--path", str(root)]
        return StdioServerParameters(command=sys.executable, args=args, env=env)

    async with stdio_client(params("ada")) as (read, write), ClientSession(read, write) as s:
        await s.initialize()
        listed = await s.list_tools()
        assert [tool.name for tool in listed.tools] == list(TOOL_NAMES)
        for tool in listed.tools:
            assert tool.inputSchema["additionalProperties"] is False
            assert "user_id" not in tool.inputSchema["properties"]
        saved = await s.call_tool("save_memory", {"content": "Ada keeps bees in Porto"})
        assert not saved.isError, text(saved)
        ada_id = text(saved).removeprefix("Saved as ").rstrip(".")
        found = await s.call_tool("search_memory", {"query": "bees"})
        assert "keeps bees in Porto" in text(found)
        recalled = await s.call_tool("recall_context", {"message": "what are Ada's hobbies?"})
        assert "keeps bees in Porto" in text(recalled)

    # bob's server on the same folder (after ada's ended: one process at a time)
    async with stdio_client(params("bob")) as (read, write), ClientSession(read, write) as s:
        await s.initialize()
        assert text(await s.call_tool("search_memory", {"query": "bees"})) == "No memories found."
        refused = await s.call_tool("forget_memory", {"memory_id": ada_id})
        assert refused.isError
        assert "no memory" in text(refused)
        named = await s.call_tool("search_memory", {"query": "bees", "user_id": "ada"})
        assert named.isError
        assert "'user_id'" in text(named)

    with Memory.from_path(root) as memory:
        assert memory.store.get(("memories", "ada"), ada_id.split("/")[1]) is not None
        events = memory.audit("ada")
        changes = [(e.operation, e.source) for e in events if e.namespace[:1] != ("usage",)]
        assert changes == [("put", "mcp")]  # the note; its recall counts are labelled usage
        assert {e.source for e in events if e.namespace[:1] == ("usage",)} == {"usage"}
        assert memory.audit("bob") == []


def test_cli_refuses_a_stdio_server_without_a_user(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["mcp", "--path", str(tmp_path / "m")]) == 2
    assert "--user" in capsys.readouterr().err
    assert main(["mcp", "--transport", "http", "--host", "0.0.0.0", "--user", "ada"]) == 2
    assert "--tokens" in capsys.readouterr().err


# ---------------------------------------------------------------------------- HTTP
async def test_http_tokens_give_each_request_its_own_user(memory: Memory) -> None:
    server = start_mcp(memory, tokens=TokenMap.from_dict(TOKENS))
    try:
        async with http_session(server.url, TOKENS["ada"]) as ada:
            saved = await ada.call_tool("save_memory", {"content": "Ada's PIN is 4711"})
            assert not saved.isError, text(saved)
            assert "4711" in text(await ada.call_tool("search_memory", {"query": "PIN"}))
        async with http_session(server.url, TOKENS["bob"]) as bob:
            found = await bob.call_tool("search_memory", {"query": "PIN"})
            assert found.content[0].text == "No memories found."
            assert "4711" not in text(await bob.call_tool("recall_context", {"message": "PIN?"}))
            gone = await bob.call_tool("forget_memory", {"query": "PIN"})
            assert not gone.isError, text(gone)
        assert len(memory.store.search(("memories", "ada"))) == 1
        assert memory.store.search(("memories", "bob")) == []
        # no token, a wrong one, another scheme: 401 before MCP sees the request
        body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
        headers = {"Accept": "application/json, text/event-stream"}
        for auth in (None, "Bearer " + "z" * 32, "Bearer " + TOKENS["ada"][:-1], "Basic abc"):
            sent = {**headers, **({"Authorization": auth} if auth else {})}
            async with httpx.AsyncClient() as http:
                reply = await http.post(server.url, json=body, headers=sent)
            assert reply.status_code == 401, (auth, reply.text)
            assert reply.headers["www-authenticate"].startswith("Bearer")
        # on loopback a valid token does not lift the Host check
        port = int(server.url.rsplit(":", 1)[1].split("/")[0])
        bearer = f"Authorization: Bearer {TOKENS['ada']}"
        assert status(raw_request(port, [f"Host: 127.0.0.1:{port}", bearer])) == 200
        assert status(raw_request(port, [f"Host: evil.example:{port}", bearer])) == 400
    finally:
        server.stop()


def raw_request(port: int, host_lines: list[str]) -> str:
    """An HTTP request written by hand (so that the Host header is exactly ours)."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}).encode()
    head = [
        "POST /mcp HTTP/1.1",
        *host_lines,
        "Content-Type: application/json",
        "Accept: application/json, text/event-stream",
        f"Content-Length: {len(body)}",
        "Connection: close",
    ]
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall("\r\n".join(head).encode() + b"\r\n\r\n" + body)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).decode("latin-1")


def status(reply: str) -> int:
    return int(reply.split(" ", 2)[1])


async def test_http_refuses_crafted_host_headers(memory: Memory) -> None:
    server = start_mcp(memory, user_id="ada")
    port = int(server.url.rsplit(":", 1)[1].split("/")[0])
    try:
        assert status(raw_request(port, [f"Host: 127.0.0.1:{port}"])) == 200
        assert status(raw_request(port, [f"Host: localhost:{port}"])) == 200
        for crafted in (
            "Host: evil.example",
            f"Host: evil.example:{port}",
            f"Host: 127.0.0.1:{port}@evil.example",
            f"Host: 127.0.0.1:{port + 1}",
            "Host: 127.0.0.1",
            f"Host: 127.0.0.1.evil.example:{port}",
        ):
            reply = raw_request(port, [crafted])
            assert status(reply) == 400, (crafted, reply)
            assert "unexpected Host header" in reply, reply
        two = raw_request(port, [f"Host: 127.0.0.1:{port}", "Host: evil.example"])
        assert status(two) == 400
        # a browser page elsewhere cannot post to it either
        async with httpx.AsyncClient() as http:
            evil = await http.post(
                server.url,
                json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                headers={
                    "Accept": "application/json, text/event-stream",
                    "Origin": "http://evil.example",
                },
            )
        assert evil.status_code == 403
    finally:
        server.stop()


def test_http_beyond_loopback_needs_tokens(memory: Memory) -> None:
    with pytest.raises(ValueError, match="--tokens"):
        start_mcp(memory, user_id="ada", host="0.0.0.0")


def test_tokens_file_is_checked(tmp_path: Path) -> None:
    file = tmp_path / "tokens.json"
    file.write_text(json.dumps(TOKENS))
    file.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        load_tokens(file)
    file.chmod(0o600)
    assert load_tokens(file).users == ["ada", "bob"]
    for bad, words in (
        ({"ada": "short"}, "at least 16"),
        ({"  ": "t" * 20}, "'  '"),
        ({"ada": "t" * 20, "bob": "t" * 20}, "twice"),
        ([], "JSON object"),
    ):
        file.write_text(json.dumps(bad))
        with pytest.raises(ConfigError, match=words):
            load_tokens(file)


# ---------------------------------------------------------------------------- isolation
async def test_servers_of_generated_users_never_cross(memory: Memory) -> None:
    """Ids that are prefixes of each other or equal to namespace labels stay apart."""
    servers = {user: create_mcp_server(memory, user_id=user) for user in USERS}
    ids: dict[str, str] = {}
    for user, server in servers.items():
        async with create_connected_server_and_client_session(server) as session:
            saved = await session.call_tool("save_memory", {"content": f"secret-{user} zebra"})
            ids[user] = text(saved).removeprefix("Saved as ").rstrip(".")
    for user, server in servers.items():
        others = [u for u in USERS if u != user]
        async with create_connected_server_and_client_session(server) as session:
            found = text(await session.call_tool("search_memory", {"query": "zebra", "k": 20}))
            recalled = text(await session.call_tool("recall_context", {"message": "zebra"}))
            assert f"secret-{user} " in found
            for other in others:
                assert f"secret-{other} " not in found + recalled
                named = await session.call_tool(
                    "save_memory", {"content": "planted", "user_id": other}
                )
                assert named.isError
                wrong = await session.call_tool("forget_memory", {"memory_id": ids[other]})
                assert wrong.isError
    for user in USERS:
        kept = [item.value["content"] for item in memory.store.search(("memories", user))]
        assert kept == [f"secret-{user} zebra"]
    # a forget by query takes the caller's matches and nothing of anyone else's
    for done, user in enumerate(USERS):
        async with create_connected_server_and_client_session(servers[user]) as session:
            gone = await session.call_tool("forget_memory", {"query": "secret zebra"})
            assert not gone.isError, text(gone)
        assert memory.store.get(("memories", user), ids[user].split("/")[1]) is None
        for later in USERS[done + 1 :]:
            assert memory.store.get(("memories", later), ids[later].split("/")[1]) is not None


async def test_bad_arguments_are_clear_errors_and_write_nothing(memory: Memory) -> None:
    server = create_mcp_server(memory, user_id="ada")
    async with create_connected_server_and_client_session(server) as session:
        cases = [
            ("save_memory", {"content": ""}, "''"),
            ("save_memory", {"content": "x", "importance": 1.5}, "1.5"),
            ("save_memory", {"content": "x", "importance": "very"}, "'very'"),
            ("save_memory", {}, "content"),
            ("save_memory", {"content": "x", "namespace": ["memories", "bob"]}, "'namespace'"),
            ("search_memory", {"query": "tea", "k": "many"}, "'many'"),
            ("forget_memory", {"memory_id": "nope"}, "'nope'"),
            ("recall_context", {"message": "  "}, "'  '"),
            ("no_such_tool", {}, "'no_such_tool'"),
        ]
        for name, arguments, shown in cases:
            result = await session.call_tool(name, arguments)
            assert result.isError, (name, arguments)
            assert shown in text(result), (name, text(result))
    assert memory.store.search(("memories", "ada")) == []
    assert memory.audit("ada") == []


# ---------------------------------------------------------------------------- LangGraph
async def test_langgraph_agent_uses_the_tools_through_langchain_mcp_adapters(
    memory: Memory,
) -> None:
    from langchain.agents import create_agent
    from langchain_mcp_adapters.client import MultiServerMCPClient

    memory.ingest([HumanMessage("I moved to Lisbon last spring.")], user_id="ada", thread_id="t")
    server = start_mcp(memory, tokens=TokenMap.from_dict(TOKENS))
    try:
        client = MultiServerMCPClient(
            {
                "memory": {
                    "transport": "streamable_http",
                    "url": server.url,
                    "headers": {"Authorization": f"Bearer {TOKENS['ada']}"},
                }
            }
        )
        tools = await client.get_tools()
        assert sorted(tool.name for tool in tools) == sorted(TOOL_NAMES)

        def call(name: str, args: dict[str, Any], cid: str) -> AIMessage:
            return AIMessage("", tool_calls=[{"name": name, "args": args, "id": cid}])

        model = ScriptedChatModel(
            script=[
                call("save_memory", {"content": "Ada's cat is called Turing"}, "c1"),
                call("search_memory", {"query": "cat name"}, "c2"),
                call("recall_context", {"message": "where do I live?"}, "c3"),
                call("save_memory", {"content": "planted", "user_id": "bob"}, "c4"),
                "done",
            ]
        )
        agent = create_agent(model, tools)
        result = await agent.ainvoke({"messages": [HumanMessage("remember my cat")]})
        replies = {m.tool_call_id: m for m in result["messages"] if isinstance(m, ToolMessage)}
        assert replies["c1"].text.startswith("Saved as memories/")
        assert "called Turing" in replies["c2"].text
        assert "Lisbon" in replies["c3"].text
        assert "'user_id'" in replies["c4"].text
        assert replies["c4"].status == "error"
    finally:
        server.stop()
    assert [i.value["content"] for i in memory.store.search(("memories", "ada"))] == [
        "Ada's cat is called Turing"
    ]
    assert memory.store.search(("memories", "bob")) == []
    assert {e.source for e in memory.audit("ada") if e.namespace[:1] == ("memories",)} == {"mcp"}


async def test_cli_http_server_with_a_tokens_file(tmp_path: Path) -> None:
    tokens = tmp_path / "tokens.json"
    tokens.write_text(json.dumps(TOKENS))
    tokens.chmod(0o600)
    port = free_port()
    argv = [sys.executable, "-m", "langmem_plugin.cli", "mcp", "--transport", "http"]
    argv += ["--tokens", str(tokens), "--port", str(port), "--path", str(tmp_path / "m")]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    process = await anyio.open_process(argv, env=env)
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        async with httpx.AsyncClient() as http:
            for _ in range(600):
                try:
                    refused = await http.post(url, json={})
                    break
                except httpx.TransportError:
                    assert process.returncode is None, "the server exited"
                    await anyio.sleep(0.1)
            else:
                pytest.fail(f"langmem mcp did not listen on {url} within 60 s")
        assert refused.status_code == 401
        async with http_session(url, TOKENS["bob"]) as bob:
            saved = await bob.call_tool("save_memory", {"content": "Bob rows on Sundays"})
            assert not saved.isError, text(saved)
        async with http_session(url, TOKENS["ada"]) as ada:
            found = await ada.call_tool("search_memory", {"query": "rowing"})
            assert text(found) == "No memories found."
    finally:
        process.terminate()
        await process.wait()
        await process.aclose()
    with Memory.from_path(tmp_path / "m") as memory:
        assert [e.source for e in memory.audit("bob")] == ["mcp"]
        assert memory.audit("ada") == []
