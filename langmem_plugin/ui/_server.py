"""Running the inspector: in the foreground (``langmem ui``) or in a background thread.

A background server (``start_background``) is what ``Memory.inspect()`` and the browser
tests use: uvicorn in a daemon thread, on 127.0.0.1 and a free port unless told otherwise,
returned once it accepts connections.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from typing import Any, Literal

import uvicorn

from langmem_plugin.memory import Memory
from langmem_plugin.ui._app import create_app
from langmem_plugin.ui._security import LOOPBACK_HOSTS

__all__ = [
    "BackgroundServer",
    "check_bind",
    "free_port",
    "run_in_background",
    "start_background",
    "uvicorn_config",
]


def check_bind(host: str, token: str | None) -> None:
    """Refuse to listen beyond loopback without a token.

    Raises:
        ValueError: If ``host`` is not a loopback address and ``token`` is None.
    """
    if host not in LOOPBACK_HOSTS and not token:
        raise ValueError(
            f"listening on {host!r} exposes every memory to the network: pass --token "
            "(a long random secret), or keep the default 127.0.0.1"
        )


def uvicorn_config(
    app: Any, host: str, port: int, *, lifespan: Literal["on", "off"] = "off"
) -> uvicorn.Config:
    """The uvicorn settings of the inspector (and of ``langmem mcp``'s HTTP transport).

    ``lifespan`` is off for the inspector, which has no start-up work; the MCP app needs it
    on (its session manager starts there). The HTTP parser is h11, not httptools: h11
    refuses a request with two ``Host`` headers and hands an absolute-form target
    (``GET http://other/ HTTP/1.1``) to the application whole, where httptools keeps only
    its path, so ``Guard`` could not see that its authority disagrees with ``Host``.
    """
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http="h11",
        log_level="warning",
        lifespan=lifespan,
    )


def free_port(host: str) -> int:
    """A port on ``host`` that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass
class BackgroundServer:
    """A running inspector server; ``stop()`` ends it.

    Attributes:
        url: Its address (with ``?token=`` when it has a token).
        server: The uvicorn server.
        thread: The thread serving it.
    """

    url: str
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving and wait for the thread to end."""
        self.server.should_exit = True
        self.thread.join(timeout)


def start_background(
    memory: Memory,
    *,
    host: str = "127.0.0.1",
    port: int | None = None,
    read_only: bool = False,
    token: str | None = None,
    timeout: float = 20.0,
    **app_options: Any,
) -> BackgroundServer:
    """Serve the inspector from a daemon thread and return once it answers.

    Args:
        memory: The memory to show.
        host: The address to listen on (loopback unless ``token`` is given).
        port: The port; a free one by default.
        read_only: See ``create_app``.
        token: See ``create_app``.
        timeout: Seconds to wait for the server to start.
        **app_options: More ``create_app`` keyword arguments.

    Returns:
        The running server.

    Raises:
        RuntimeError: If it does not start within ``timeout``.
    """
    check_bind(host, token)
    port = port or free_port(host)
    app = create_app(memory, read_only=read_only, token=token, **app_options)
    url = f"http://{'localhost' if host == '127.0.0.1' else host}:{port}/"
    if token:
        url += f"?token={token}"
    return run_in_background(
        uvicorn_config(app, host, port), url=url, name="the inspector", timeout=timeout
    )


def run_in_background(
    config: uvicorn.Config, *, url: str, name: str, timeout: float = 20.0
) -> BackgroundServer:
    """Serve ``config`` from a daemon thread and return once it accepts connections.

    Args:
        config: What to serve, and where (``uvicorn_config``).
        url: The address to report.
        name: What is served, for the error message ("the inspector").
        timeout: Seconds to wait for it to start.

    Returns:
        The running server.

    Raises:
        RuntimeError: If it does not start within ``timeout``.
    """
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"langmem-{config.port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"{name} did not start on {config.host}:{config.port}")
        time.sleep(0.02)
    return BackgroundServer(url=url, server=server, thread=thread)


def serve(
    memory: Memory,
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    read_only: bool = False,
    token: str | None = None,
    out: Any = None,
) -> None:
    """Serve the inspector in the foreground until interrupted (``langmem ui``).

    Args:
        memory: The memory to show.
        host: The address to listen on; beyond loopback a ``token`` is required.
        port: The port.
        read_only: See ``create_app``.
        token: See ``create_app``.
        out: Where the address is printed once the server listens (default: stdout).

    Raises:
        ValueError: If ``host`` is not loopback and there is no token.
    """
    check_bind(host, token)
    out = out or (lambda line: print(line, flush=True))
    app = create_app(memory, read_only=read_only, token=token)
    shown = {"localhost": "127.0.0.1", "0.0.0.0": socket.gethostname()}.get(host, host)
    if ":" in shown:  # an IPv6 address
        shown = f"[{shown}]"
    address = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    mode = " (read-only)" if read_only else ""
    announcement = f"memory inspector{mode}: {address}  (Ctrl+C to stop)"
    _AnnouncingServer(uvicorn_config(app, host, port), announcement, out).run()


class _AnnouncingServer(uvicorn.Server):
    """A uvicorn server that prints its address once it accepts connections."""

    def __init__(self, config: uvicorn.Config, announcement: str, out: Any) -> None:
        super().__init__(config)
        self.announcement = announcement
        self.out = out

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self.out(self.announcement)
