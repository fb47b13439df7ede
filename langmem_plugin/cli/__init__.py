"""The ``langmem`` command line, and the application code only it uses.

* ``_main``: the parser, the core commands and ``main`` (the ``langmem`` entry point);
* ``_ops``: the configuration, backup/restore and task commands;
* ``_demo``: the scripted, offline multi-session demo of ``langmem demo``.

The library (``langmem_plugin`` minus this package) never imports from here.
"""

from langmem_plugin.cli._main import build_parser, main, run_chat

__all__ = ["build_parser", "main", "run_chat"]
