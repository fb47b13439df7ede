"""A throwaway PostgreSQL 15 server for tests (Debian's binaries, run as ``postgres``).

``running_postgres()`` starts ``initdb`` + ``pg_ctl`` in a fresh temporary directory on a
free port of 127.0.0.1 with trust authentication, yields a ``postgresql://`` URL and stops
the server with ``pg_ctl stop -m immediate`` before removing the directory.

When the binaries are missing, ``postgres_unavailable_reason()`` says how to get them;
the fixture skips with that message unless ``LANGMEM_REQUIRE_POSTGRES=1`` (set by CI),
in which case it fails.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PG_BIN = Path(os.environ.get("LANGMEM_PG_BIN", "/usr/lib/postgresql/15/bin"))
PG_USER = "postgres"


def postgres_unavailable_reason() -> str | None:
    """Why PostgreSQL cannot be started here, or None when it can."""
    for tool in ("initdb", "pg_ctl", "postgres"):
        if not (PG_BIN / tool).is_file():
            return (
                f"PostgreSQL 15 server binaries not found ({PG_BIN / tool} is missing); "
                "`apt-get install postgresql` enables the PostgreSQL tests"
            )
    try:
        pwd.getpwnam(PG_USER)
    except KeyError:
        return f"no {PG_USER!r} system user; `apt-get install postgresql` creates it"
    if os.geteuid() != 0 and pwd.getpwuid(os.geteuid()).pw_name != PG_USER:
        return "starting PostgreSQL needs root (to run it as the postgres user) or postgres"
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_postgres(args: list[str], timeout: float = 60) -> None:
    if os.geteuid() == 0:
        args = ["runuser", "-u", PG_USER, "--", *args]
    result = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )


@contextmanager
def running_postgres() -> Iterator[str]:
    """Start PostgreSQL on 127.0.0.1 and yield its URL; stop and delete it afterwards."""
    root = Path(tempfile.mkdtemp(prefix="langmem-pg-"))
    data, sockets, log = root / "data", root / "sockets", root / "server.log"
    sockets.mkdir()
    entry = pwd.getpwnam(PG_USER)
    for path in (root, sockets):
        os.chown(path, entry.pw_uid, entry.pw_gid)
    port = _free_port()
    started = False
    try:
        _as_postgres(
            [
                *(str(PG_BIN / "initdb"), "-D", str(data), "-U", PG_USER, "-A", "trust"),
                *("--no-sync", "-E", "UTF8", "--no-instructions"),
            ]
        )
        options = (
            f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        _as_postgres(
            [
                *(str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options),
                *("-w", "-t", "60", "start"),
            ]
        )
        started = True
        yield f"postgresql://{PG_USER}@127.0.0.1:{port}/postgres"
    finally:
        if started:
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"])
        shutil.rmtree(root, ignore_errors=True)
