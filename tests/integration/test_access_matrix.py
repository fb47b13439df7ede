"""The access-control matrix: every scope x every role x every path, allowed or refused.

The oracle (``EXPECTED_READ``/``EXPECTED_WRITE``) is the policy written out by hand, not
computed by the code under test. Ids are generated and collide on purpose: the team id is
the scope owner's user id and the other agent's id is that user's id too, so a check that
compared ids without their kind would let them through.

Paths: ``inspector`` (its ``/access`` page), ``cli`` (``langmem read SCOPE QUERY --as
USER``), ``api`` (``memory.access.search``/``put``), ``tools`` (``search_memory`` /
``save_memory`` with a ``scope``), ``retriever`` (``memory.access.retriever``), ``recall``
(``memory.recall_context``: a run sees what is shared with it; an admin reads through the
explicit paths, recall stays the run's own) and ``mcp`` (the MCP server's tools, in
process; MCP callers are users, so the agent principals are not applicable there).
A refusal is an ``AccessDeniedError`` (a tool error on the tool paths) naming principal,
action and scope, and its text holds no token of the scope's content.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from langmem_plugin._namespaces import user_namespace
from langmem_plugin.access import Policy, Principal, agent_namespace, team_namespace
from langmem_plugin.errors import AccessDeniedError
from langmem_plugin.memory import Memory


def _id(prefix: str) -> str:
    return f"{prefix}.{secrets.token_hex(3)}"  # a '.' needs encoding into a label


BOB, SAM, CAROL, DANA = _id("bob"), _id("sam"), _id("carol"), _id("dana")
ERIN, FRANK, GAIL, HANK, IVAN, ROOT = (
    _id(n) for n in ("erin", "frank", "gail", "hank", "ivan", "root")
)
AGENT = _id("worker")
OTHER_AGENT = BOB  # collides with the user scope's owner
TEAM = BOB  # collides too

SCOPES = {
    "user": user_namespace("memories", BOB),
    "agent": agent_namespace(AGENT),
    "team": team_namespace(TEAM),
    "single": user_namespace("memories", SAM),
}
TOOL_SCOPE = {
    "user": f"user:{BOB}",
    "agent": f"agent:{AGENT}",
    "team": f"team:{TEAM}",
    "single": f"user:{SAM}",
}
TOKEN = {name: f"zq{secrets.token_hex(3)}" for name in SCOPES}
PRIVATE = f"zq{secrets.token_hex(3)}"  # sam's note that is not shared
QUERY = "what is the launch codeword"

OWNERS = {
    "user": Principal(BOB),
    "agent": Principal(CAROL, AGENT),
    "team": Principal(DANA),
    "single": Principal(SAM),
}
ROLES = ["owner", "reader", "writer", "member", "non_member", "other_agent", "admin"]


def principal(scope: str, role: str) -> Principal:
    fixed = {
        "reader": Principal(ERIN),
        "writer": Principal(FRANK),
        "member": Principal(GAIL),
        "non_member": Principal(HANK),
        "other_agent": Principal(IVAN, OTHER_AGENT),
        "admin": Principal(ROOT),
    }
    return OWNERS[scope] if role == "owner" else fixed[role]


# the oracle, by hand
EXPECTED_READ = {
    (scope, role): role in {"owner", "reader", "writer", "admin"}
    or (scope == "team" and role == "member")
    for scope in SCOPES
    for role in ROLES
}
EXPECTED_WRITE = {
    (scope, role): role in {"owner", "writer", "admin"} or (scope == "team" and role == "member")
    for scope in SCOPES
    for role in ROLES
}


@pytest.fixture(scope="module")
def memory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Memory]:
    with Memory.from_path(tmp_path_factory.mktemp("access") / "m") as mem:
        mem.configure_access(Policy(admins=frozenset({ROOT})))
        access = mem.access
        for scope, ns in SCOPES.items():
            mem.store.put(ns, "k1", {"content": f"The launch codeword is {TOKEN[scope]}"})
        mem.store.put(SCOPES["single"], "k2", {"content": f"The launch codeword is {PRIVATE}"})
        access.share(SCOPES["team"], DANA, role="owner")
        access.share(SCOPES["team"], GAIL, role="member", by=DANA)
        for scope, ns in SCOPES.items():
            key = "k1" if scope == "single" else None
            by = OWNERS[scope]
            access.share(ns, ERIN, role="reader", key=key, by=by)
            access.share(ns, FRANK, role="writer", key=key, by=by)
        yield mem


def _tool(memory: Memory, who: Principal, name: str) -> Any:
    tools = {t.name: t for t in memory.tools()}
    tool = tools[name]
    config = {"configurable": {"user_id": who.user_id, "agent_id": who.agent_id}}
    return lambda **args: tool.invoke(args, config=config)


def _read(memory: Memory, scope: str, who: Principal, path: str) -> str:
    """Everything the path returns as text; raises AccessDeniedError on a refusal."""
    ns = SCOPES[scope]
    if path == "api":
        return " ".join(i.value["content"] for i in memory.access.search(who, ns, query=QUERY))
    if path == "retriever":
        docs = memory.access.retriever(who, ns, k=5).invoke(QUERY)
        return " ".join(d.page_content for d in docs)
    if path == "recall":
        assert who.user_id is not None
        return memory.recall_context(who.user_id, QUERY, agent_id=who.agent_id)
    if path == "cli":
        return _cli(memory, scope, who)
    if path == "inspector":
        return _inspector(memory, scope, who)
    if path == "tools":
        out = str(_tool(memory, who, "search_memory")(query=QUERY, scope=TOOL_SCOPE[scope]))
    else:  # mcp
        from mcp.server.fastmcp.exceptions import ToolError

        from langmem_plugin.mcp._server import _MemoryMCP

        server = _MemoryMCP(memory, user_id=who.user_id)
        try:
            result = asyncio.run(
                server.call_tool("search_memory", {"query": QUERY, "scope": TOOL_SCOPE[scope]})
            )
        except ToolError as error:
            raise AccessDeniedError(str(who), "read", str(error)) from error
        out = " ".join(r.text for r in result)
    if out.startswith("Error") or "access denied" in out:
        raise AccessDeniedError(str(who), "read", out)
    return out


def _inspector(memory: Memory, scope: str, who: Principal) -> str:
    """The inspector's ``/access`` page reading the scope as ``who`` (403 on a refusal)."""
    from starlette.testclient import TestClient

    from langmem_plugin.ui import create_app

    client = TestClient(create_app(memory), base_url="http://127.0.0.1")
    params = {"scope": TOOL_SCOPE[scope], "as": who.user_id or "", "q": QUERY}
    params["as_agent"] = who.agent_id or ""
    page = client.get("/access", params=params)
    if page.status_code == 403:
        raise AccessDeniedError(str(who), "read", page.text)  # the whole page: nothing leaked
    assert page.status_code == 200
    return page.text.split('id="read-results"')[1]


def _cli(memory: Memory, scope: str, who: Principal) -> str:
    """``langmem read SCOPE QUERY --as USER [--as-agent AGENT]`` on the memory's folder."""
    from langmem_plugin.cli._main import main

    args = ["--path", str(memory.path), "read", TOOL_SCOPE[scope], QUERY, "--as", str(who.user_id)]
    if who.agent_id is not None:
        args += ["--as-agent", who.agent_id]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    if code != 0:
        raise AccessDeniedError(str(who), "read", err.getvalue())
    return out.getvalue()


@pytest.mark.parametrize("path", ["api", "tools", "retriever", "recall", "mcp", "cli", "inspector"])
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("scope", list(SCOPES))
def test_read(memory: Memory, scope: str, role: str, path: str) -> None:
    who = principal(scope, role)
    if path == "mcp" and who.agent_id is not None:
        pytest.skip("an MCP caller is a user; agents reach memory through the graph paths")
    allowed = EXPECTED_READ[scope, role]
    if path == "recall":  # implicit: what is the run's own or shared with it, no error
        text = _read(memory, scope, who, path)
        assert (TOKEN[scope] in text) is (allowed and role != "admin")
        if role != "owner":
            assert PRIVATE not in text
        return
    if allowed:
        text = _read(memory, scope, who, path)
        assert TOKEN[scope] in text
        if scope == "single" and role in {"reader", "writer"}:
            assert PRIVATE not in text  # shared one memory, not the scope
    else:
        with pytest.raises(AccessDeniedError) as refused:
            _read(memory, scope, who, path)
        message = str(refused.value)
        assert "access denied" in message
        assert "read" in message
        assert TOKEN[scope] not in message
        assert PRIVATE not in message


@pytest.mark.parametrize("path", ["api", "tools"])
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("scope", list(SCOPES))
def test_write(memory: Memory, scope: str, role: str, path: str) -> None:
    who = principal(scope, role)
    ns = SCOPES[scope]
    key = "k1" if scope == "single" else f"w-{role}-{path}"
    text = f"note {secrets.token_hex(4)}"
    before = memory.store.get(ns, key)
    if path == "api":
        write = lambda: memory.access.put(who, ns, key, {"content": text})  # noqa: E731
    elif scope == "single":
        pytest.skip("save_memory makes a new memory; one shared memory is written via the API")
    else:
        save = _tool(memory, who, "save_memory")
        write = lambda: str(save(content=text, scope=TOOL_SCOPE[scope]))  # noqa: E731
    if EXPECTED_WRITE[scope, role]:
        out = write()
        assert out is None or out.startswith("Saved as")
        found = memory.store.search(ns, filter=None, limit=100)
        assert any(i.value["content"] == text for i in found)
        if scope == "single":  # restore the shared memory for the read tests
            memory.store.put(ns, "k1", {"content": f"The launch codeword is {TOKEN[scope]}"})
    else:
        if path == "api":
            with pytest.raises(AccessDeniedError, match="may not write"):
                write()
        else:
            assert "access denied" in str(write())
        after = memory.store.get(ns, key)
        assert (after.value if after else None) == (before.value if before else None)
        found = memory.store.search(ns, limit=100)
        assert not any(i.value["content"] == text for i in found)
