"""The Model Context Protocol server over the memory (``langmem mcp``; the mcp extra).

``create_mcp_server(memory, user_id="ada")`` gives a FastMCP server (from the official
``mcp`` SDK) with ``search_memory``, ``save_memory``, ``forget_memory``, ``get_profile`` and
``recall_context`` for one user; over streamable HTTP, ``tokens`` (a ``TokenMap``, from
``load_tokens(file)``) gives each request the user of its bearer token instead.
"""

from langmem_plugin.mcp._auth import TokenMap, load_tokens
from langmem_plugin.mcp._server import (
    TOOL_NAMES,
    BackgroundServer,
    create_mcp_server,
    http_app,
    serve_http,
    start_background,
)

__all__ = [
    "TOOL_NAMES",
    "BackgroundServer",
    "TokenMap",
    "create_mcp_server",
    "http_app",
    "load_tokens",
    "serve_http",
    "start_background",
]
