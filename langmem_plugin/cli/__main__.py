"""``python -m langmem_plugin.cli``: the ``langmem`` command."""

from langmem_plugin.cli._main import main

raise SystemExit(main())
