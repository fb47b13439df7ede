"""The memory inspector: a local web page to see, search and correct what the agent remembers.

Needs the ``ui`` extra (``pip install 'langmem-plugin[ui]'``: Starlette, uvicorn, Jinja2).
Start it with ``langmem ui --path ./.memory`` or, in a notebook, ``memory.inspect()``;
build the ASGI app yourself with ``create_app``. See ``_security`` for what keeps it safe
(loopback by default, token beyond it, CSRF checks, read-only mode, escaping).
"""

from __future__ import annotations

from langmem_plugin.ui._app import create_app
from langmem_plugin.ui._server import BackgroundServer, start_background

__all__ = ["BackgroundServer", "create_app", "start_background"]
