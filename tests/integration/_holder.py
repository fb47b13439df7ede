"""Child process that holds a memory folder, as a running app does, and writes on request.

Usage: python -m tests.integration._holder FOLDER

It opens ``Memory.from_path(FOLDER)`` (taking the folder's lock), prints ``ready`` and then
reads commands from stdin, one per line, answering each with one line once it is committed:

* ``note USER KEY TEXT``: put ``{"content": TEXT}`` into ``("memories", USER)`` -> ``ok``
* ``quit`` (or EOF): close the memory and exit.
"""

from __future__ import annotations

import sys

from langmem_plugin.memory import Memory


def main(folder: str) -> None:
    with Memory.from_path(folder) as memory:
        print("ready", flush=True)
        for line in sys.stdin:
            command, _, rest = line.strip().partition(" ")
            if command == "quit":
                break
            if command == "note":
                user, key, text = rest.split(" ", 2)
                memory.store.put(("memories", user), key, {"content": text})
                print("ok", flush=True)
            else:
                print(f"unknown command {command!r}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
