"""``Memory.inspect()``: the inspector in a notebook, served from a background thread.

One server per ``Memory`` object (a second ``inspect()`` reuses it, changing the mode
restarts it); it lives as long as the kernel or until ``stop_inspector(memory)``. It
listens on 127.0.0.1 only, and may be framed by notebook pages served from this machine
(JupyterLab, Notebook, VS Code).
"""

from __future__ import annotations

import weakref
from typing import Any

from langmem_plugin.memory import Memory
from langmem_plugin.ui._server import BackgroundServer, start_background

__all__ = ["NOTEBOOK_FRAME_ANCESTORS", "inspect_memory", "stop_inspector"]

#: The pages allowed to frame the inspector started by ``inspect()``: local notebook servers
#: and VS Code's notebook webviews.
NOTEBOOK_FRAME_ANCESTORS = (
    "'self' http://localhost:* http://127.0.0.1:* https://localhost:* https://127.0.0.1:* "
    "vscode-webview:"
)

_servers: weakref.WeakKeyDictionary[Memory, tuple[bool, BackgroundServer]] = (
    weakref.WeakKeyDictionary()
)


def inspect_memory(
    memory: Memory, *, read_only: bool = False, port: int | None = None, height: int = 720
) -> Any:
    """Start (or reuse) the memory's inspector server and return an IPython ``IFrame``.

    Raises:
        ImportError: If IPython is not installed.
    """
    try:
        from IPython.display import IFrame
    except ImportError as error:  # pragma: no cover - IPython comes with every notebook
        raise ImportError("Memory.inspect() needs IPython (run it in a notebook)") from error
    running = _servers.get(memory)
    if running is not None and (running[0] != read_only or not running[1].thread.is_alive()):
        stop_inspector(memory)
        running = None
    if running is None:
        server = start_background(
            memory, port=port, read_only=read_only, frame_ancestors=NOTEBOOK_FRAME_ANCESTORS
        )
        _servers[memory] = (read_only, server)
    else:
        server = running[1]
    return IFrame(server.url, width="100%", height=height)


def stop_inspector(memory: Memory) -> None:
    """Stop the inspector server ``inspect()`` started for ``memory`` (if any)."""
    running = _servers.pop(memory, None)
    if running is not None:
        running[1].stop()
