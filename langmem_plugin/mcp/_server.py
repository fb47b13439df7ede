"""The MCP server over a ``Memory``: five tools, one user per request, stdio or HTTP.

The tools are the LangGraph agent tools of ``langmem_plugin.tools`` (``search_memory``,
``save_memory``, ``forget_memory``), plus ``get_profile`` and ``recall_context``, built as
LangChain tools here; each MCP tool's name, description and JSON schema are those of the
LangChain tool (``tool_call_schema``), and a call runs the same function. So an MCP
client and a LangGraph agent see one implementation.

The user is never an argument: it is fixed when the server starts (``user_id``) or by the
request's bearer token (``tokens``; see ``_auth``). An argument the schema does not list
(``user_id``, ``namespace``...) is refused with an error naming it, and nothing is
written; so is an argument of the wrong type, or a value the tool refuses. Every write is
audited with source ``mcp``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

import anyio
import uvicorn
from langchain_core.tools import BaseTool, StructuredTool, ToolException
from mcp.server.fastmcp import FastMCP
from mcp.server.fastmcp.exceptions import ToolError
from mcp.server.transport_security import TransportSecuritySettings
from mcp.types import TextContent
from mcp.types import Tool as MCPTool
from pydantic import ValidationError

from langmem_plugin._audit import audit_source
from langmem_plugin._ids import validate_id
from langmem_plugin.mcp._auth import USER_STATE, BearerUsers, TokenMap
from langmem_plugin.ui._security import LOOPBACK_HOSTS
from langmem_plugin.ui._server import (
    BackgroundServer,
    free_port,
    run_in_background,
    uvicorn_config,
)

__all__ = [
    "TOOL_NAMES",
    "BackgroundServer",
    "create_mcp_server",
    "http_app",
    "start_background",
]

TOOL_NAMES = ("search_memory", "save_memory", "forget_memory", "get_profile", "recall_context")
"""The tools the server offers, in this order."""
DEFAULT_PORT = 8766
"""``langmem mcp --transport http``'s port: the one after the inspector's 8765."""
_INSTRUCTIONS = (
    "Long-term memory of one user (langmem). Search it before answering questions about "
    "the user, save durable facts they tell you, forget what they ask you to forget. The "
    "user is fixed by the server; no argument can name another one."
)


def _reading_tools(memory: Any, user_id: str) -> list[BaseTool]:
    """``get_profile`` and ``recall_context`` for one user."""

    def get_profile() -> str:
        """The current user's profile: every fact memory holds about them, one per line."""
        return memory.profile(user_id).render() or "No profile facts yet."

    def recall_context(message: str) -> str:
        """What memory would put in front of a model answering this message of the user.

        Profile facts, episodes, lessons, notes, tasks and past turns relevant to the
        message, packed within the recall token budget.

        Args:
            message: The user's message (or a question about them).
        """
        if not message.strip():
            raise ToolException(f"message must not be empty, got {message!r}")
        return memory.recall_context(user_id, message) or "Nothing recalled."

    return [
        StructuredTool.from_function(fn, handle_tool_error=True, parse_docstring=True)
        for fn in (get_profile, recall_context)
    ]


def _user_tools(memory: Any, user_id: str | None) -> dict[str, BaseTool]:
    """The five tools, bound to ``user_id`` (None: only their schemas are used)."""
    tools = memory.tools(user_id=user_id, audit_as="mcp")
    tools += _reading_tools(memory, user_id or "-")
    return {tool.name: tool for tool in tools if tool.name in TOOL_NAMES}


class _MemoryMCP(FastMCP):
    """FastMCP whose tools are LangChain tools, run for the request's user."""

    def __init__(self, memory: Any, *, user_id: str | None, **settings: Any) -> None:
        super().__init__("langmem", instructions=_INSTRUCTIONS, **settings)
        self.memory = memory
        self.user_id = user_id
        self._schemas = _user_tools(memory, None)
        self._bound: dict[str, dict[str, BaseTool]] = {}
        self._lock = threading.Lock()

    async def list_tools(self) -> list[MCPTool]:
        """The five tools with their LangChain names, descriptions and JSON schemas."""
        listed = []
        for name in TOOL_NAMES:
            tool = self._schemas[name]
            schema = tool.tool_call_schema.model_json_schema()  # type: ignore[union-attr]
            schema["additionalProperties"] = False  # no user_id, nor anything else
            listed.append(MCPTool(name=name, description=tool.description, inputSchema=schema))
        return listed

    def _caller(self) -> str:
        if self.user_id is not None:
            return self.user_id
        request = self.get_context().request_context.request
        user = getattr(request, "scope", {}).get("state", {}).get(USER_STATE)
        if not user:  # BearerUsers always sets it; refuse rather than guess
            raise ToolError("no user for this request (missing bearer token)")
        return str(user)

    def _tool(self, user: str, name: str) -> BaseTool:
        with self._lock:
            if user not in self._bound:
                self._bound[user] = _user_tools(self.memory, user)
            return self._bound[user][name]

    async def call_tool(self, name: str, arguments: dict[str, Any]) -> Sequence[TextContent]:
        """Validate ``arguments`` against the tool's schema and run it for the caller.

        Raises:
            ToolError: Unknown tool, an argument the tool does not take (such as
                ``user_id``), a value of the wrong type, or the tool's own refusal; the
                client gets it as an error result, and nothing was written.
        """
        if name not in self._schemas:
            raise ToolError(f"unknown tool {name!r}; the tools are {', '.join(TOOL_NAMES)}")
        schema = self._schemas[name].tool_call_schema
        allowed = set(schema.model_json_schema()["properties"])  # type: ignore[union-attr]
        extra = sorted(set(arguments) - allowed)
        if extra:
            raise ToolError(
                f"{name} does not take {', '.join(map(repr, extra))}: the user is fixed by "
                f"the server, never an argument; its arguments are "
                f"{', '.join(sorted(allowed)) or 'none'}"
            )
        try:
            values = schema.model_validate(arguments).model_dump()  # type: ignore[union-attr]
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'arguments'}: {e['msg']} "
                f"(got {e.get('input')!r})"
                for e in error.errors()
            )
            raise ToolError(f"bad arguments for {name}: {problems}") from error
        user = self._caller()
        tool = self._tool(user, name)
        func: Callable[..., str] = tool.func  # type: ignore[attr-defined]

        def run() -> str:
            with audit_source("mcp", user_id=user):
                return func(**values)

        try:
            text = await anyio.to_thread.run_sync(run)
        except ToolException as error:
            raise ToolError(str(error)) from error
        return [TextContent(type="text", text=text)]


def _loopback_security(port: int) -> TransportSecuritySettings:
    """Only requests addressed to a loopback name and this port (exact match)."""
    names = ["127.0.0.1", "localhost", "[::1]"]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[f"{name}:{port}" for name in names],
        allowed_origins=[f"http://{name}:{port}" for name in names],
    )


def create_mcp_server(
    memory: Any,
    *,
    user_id: str | None = None,
    tokens: TokenMap | None = None,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
) -> FastMCP:
    """A FastMCP server with the memory tools for one user, or for each token's user.

    Args:
        memory: The ``Memory`` to serve.
        user_id: The one user every call acts for (stdio, or HTTP on loopback).
        tokens: Over HTTP, the bearer tokens and their users (instead of ``user_id``).
        host: The HTTP listen address (loopback unless ``tokens``).
        port: The HTTP port; on loopback only ``Host: <loopback name>:port`` is answered.

    Returns:
        The server: ``run_stdio_async()`` for stdio, ``http_app(server, ...)`` for HTTP.

    Raises:
        ValueError: Neither or both of ``user_id`` and ``tokens``; a user id that cannot
            be a namespace label.

    Example:
        ```python
        server = create_mcp_server(Memory.from_path("./.memory"), user_id="ada")
        anyio.run(server.run_stdio_async)
        ```
    """
    if (user_id is None) == (tokens is None):
        raise ValueError("give exactly one of user_id (one user) and tokens (per request)")
    if user_id is not None:
        validate_id(user_id)
    loopback = host in LOOPBACK_HOSTS
    security = (
        _loopback_security(port)
        if loopback
        else TransportSecuritySettings(enable_dns_rebinding_protection=False)
    )
    return _MemoryMCP(
        memory,
        user_id=user_id if tokens is None else None,
        host=host,
        port=port,
        # stateless: every request stands alone and is authenticated alone, so there
        # is no session a second user could take over, and no state to leak between users
        stateless_http=True,
        json_response=True,
        transport_security=security,
        log_level="WARNING",
    )


def http_app(
    server: FastMCP, *, user_id: str | None, tokens: TokenMap | None, host: str = "127.0.0.1"
) -> Any:
    """The streamable HTTP ASGI app (at ``/mcp``) behind the token and Host guard."""
    return BearerUsers(
        server.streamable_http_app(),
        user_id=user_id,
        tokens=tokens,
        loopback=host in LOOPBACK_HOSTS,
    )


def _check_bind(host: str, tokens: TokenMap | None) -> None:
    if host not in LOOPBACK_HOSTS and tokens is None:
        raise ValueError(
            f"serving MCP on {host!r} exposes the memory to the network: pass --tokens FILE "
            "(bearer tokens for each user), or keep the default 127.0.0.1"
        )


def serve_http(
    memory: Any,
    *,
    user_id: str | None = None,
    tokens: TokenMap | None = None,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    out: Callable[[str], Any] = print,
) -> None:
    """Serve streamable HTTP in the foreground until interrupted (``langmem mcp``).

    Raises:
        ValueError: ``host`` is not loopback and there are no ``tokens``.
    """
    _check_bind(host, tokens)
    server = create_mcp_server(memory, user_id=user_id, tokens=tokens, host=host, port=port)
    app = http_app(server, user_id=user_id, tokens=tokens, host=host)
    shown = f"[{host}]" if ":" in host else host
    who = f"user {user_id!r}" if user_id else f"{len(tokens.users) if tokens else 0} users"
    out(f"langmem MCP server ({who}): http://{shown}:{port}/mcp  (Ctrl+C to stop)")
    uvicorn.Server(uvicorn_config(app, host, port, lifespan="on")).run()


def start_background(
    memory: Any,
    *,
    user_id: str | None = None,
    tokens: TokenMap | None = None,
    host: str = "127.0.0.1",
    port: int | None = None,
    timeout: float = 20.0,
) -> BackgroundServer:
    """Serve streamable HTTP from a daemon thread (tests, benchmarks, notebooks).

    Args:
        memory: The memory.
        user_id: See ``create_mcp_server``.
        tokens: See ``create_mcp_server``.
        host: The listen address.
        port: The port; a free one by default.
        timeout: Seconds to wait for it to accept connections.

    Returns:
        The running server.

    Raises:
        RuntimeError: It did not start within ``timeout``.
    """
    _check_bind(host, tokens)
    port = port or free_port(host)
    server = create_mcp_server(memory, user_id=user_id, tokens=tokens, host=host, port=port)
    app = http_app(server, user_id=user_id, tokens=tokens, host=host)
    return run_in_background(
        uvicorn_config(app, host, port, lifespan="on"),
        url=f"http://{host}:{port}/mcp",
        name="the MCP server",
        timeout=timeout,
    )
