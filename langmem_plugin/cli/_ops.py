"""``langmem config``, ``backup``, ``restore``, ``retention``, ``check``, ``consolidate``...

Kept out of ``cli.py`` so that the command line stays a list of thin commands:
``add_commands`` adds the parsers, ``COMMANDS`` maps their names to the handlers, and
``open_configured`` opens the memory of ``langmem.toml`` when neither ``--path`` nor
``--chroma-url`` is given.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from langmem_plugin._config import find_config_file, load_config
from langmem_plugin._extras import missing_extra
from langmem_plugin.cli._trends import TREND_COMMANDS
from langmem_plugin.errors import ConfigError

__all__ = [
    "COMMANDS",
    "add_commands",
    "configured_folder",
    "open_configured",
    "progress_wanted",
]

DEFAULT_PATH = ".memory"


def add_commands(command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    """Add this module's commands, ``trends``/``health`` and the access commands.

    This module's: ``config``, ``backup``, ``restore``, ``check``, ``retention``,
    ``consolidate``, ``ui``, ``mcp``; ``trends`` and ``health`` are ``cli._trends``'s; the
    access commands (``share``, ``unshare``, ``grants``, ``read``) ``cli._access``'s.
    """
    from langmem_plugin.cli._access import add_commands as add_access_commands
    from langmem_plugin.cli._trends import add_trend_commands

    add_trend_commands(command)
    add_access_commands(command)
    config = command("config", "Print the effective configuration and where each value is from.")
    config.add_argument("--file", help="the configuration file (default: found from here up)")
    backup = command(
        "backup",
        "Take a consistent backup of a memory folder, also while another process uses it.",
    )
    backup.add_argument("out", help="the backup file to write")
    backup.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None)
    restore = command(
        "restore", "Restore a backup into a new memory folder (--path) and rebuild its index."
    )
    restore.add_argument("backup", help="a file written by `langmem backup`")
    restore.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None)
    command(
        "check",
        "Read every memory, message and checkpoint and list those that do not open "
        "(altered, truncated or moved rows); exit code 1 when one is found.",
    )
    command(
        "retention",
        "Apply the configured retention now: sweep expired memories, delete idle conversations.",
    )
    consolidate = command(
        "consolidate",
        "Merge a user's near-duplicate facts, notes, lessons and episodes by meaning, archive "
        "decayed episodes and cluster the rest by topic (no model call).",
    )
    consolidate.add_argument("user", help="user id")
    consolidate.add_argument("--agent", help="merge this agent's lessons instead of the user's")
    consolidate.add_argument("--json", action="store_true", help="print the report as JSON")
    ui = command("ui", "Serve the memory inspector web page (needs the ui extra).")
    ui.add_argument("--port", type=_port, default=8765, help="port (8765; 0: any free port)")
    ui.add_argument("--host", default="127.0.0.1", help="address (127.0.0.1; others need --token)")
    ui.add_argument(
        "--token",
        nargs="?",
        const="",
        help="require this token on every request (no value: a random one is made)",
    )
    ui.add_argument("--read-only", action="store_true", help="hide and refuse every change")
    mcp = command(
        "mcp", "Serve the memory to MCP clients over stdio or HTTP (needs the mcp extra)."
    )
    mcp.add_argument("--user", help="the one user the tools act for (stdio: required)")
    mcp.add_argument("--transport", choices=["stdio", "http"], default="stdio", help="(stdio)")
    mcp.add_argument(
        "--host", default="127.0.0.1", help="HTTP address (127.0.0.1; others need --tokens)"
    )
    mcp.add_argument("--port", type=int, default=8766, help="HTTP port (8766)")
    mcp.add_argument(
        "--tokens",
        help="HTTP: a JSON file {user: bearer token}, private to you (chmod 600); each "
        "request acts for its token's user (instead of --user)",
    )


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0-65535, got {port}")
    return port


def _configured(args: argparse.Namespace) -> Any:
    """The loaded configuration when no location option is given and a file exists."""
    if args.path is not None or args.chroma_url is not None:
        return None
    file = find_config_file()
    if file is None:
        return None
    overrides = {"checkpoint_url": args.checkpoint_url, "embeddings": args.embeddings}
    return load_config(file, overrides=overrides)


def open_configured(
    args: argparse.Namespace, *, must_exist: bool, llm: Any, read_only: bool = False
) -> Any:
    """The memory of the configuration file, or None when the CLI options decide.

    ``read_only`` opens a configured folder beside the process that holds it (a server
    configuration is opened normally).

    Raises:
        MemoryNotFoundError: ``must_exist`` and the configured folder holds no memory.
        ConfigError: The configuration is invalid.
    """
    loaded = _configured(args)
    if loaded is None:
        return None
    from langmem_plugin import Memory
    from langmem_plugin._admin._open import check_postgres
    from langmem_plugin.errors import MemoryNotFoundError

    config = loaded.config
    if (config.checkpoint_url or "").startswith(("postgresql://", "postgres://")):
        check_postgres(config.checkpoint_url or "")  # one clear line when it is down
    root = Path(config.path or DEFAULT_PATH)
    if must_exist and config.chroma_url is None and not (root / "chroma").is_dir():
        raise MemoryNotFoundError(
            f"no memory at {str(root)!r} (from {loaded.file}); pass --path to an existing "
            "memory or change 'path' there"
        )
    server = config.chroma_url is not None or (config.checkpoint_url or "").startswith(
        ("postgresql://", "postgres://")
    )
    return Memory.from_config(
        loaded.file,
        checkpoint_url=args.checkpoint_url,
        embeddings=args.embeddings,
        llm=llm,
        read_only=read_only and not server,
    )


def configured_folder(args: argparse.Namespace) -> Path | None:
    """The folder a configuration file names (``.memory`` without one), None for a server."""
    loaded = _configured(args)
    if loaded is None:
        return Path(DEFAULT_PATH)
    return (
        None if loaded.config.chroma_url is not None else Path(loaded.config.path or DEFAULT_PATH)
    )


def _folder(args: argparse.Namespace) -> tuple[Path, Any]:
    """The memory folder of the command and the configuration it came from (or None)."""
    loaded = _configured(args)
    if loaded is not None:
        if loaded.config.chroma_url is not None:
            raise ConfigError(
                f"{loaded.file} configures a Chroma server; backup and restore work on a "
                "memory folder (use `langmem export` for a server)"
            )
        return Path(loaded.config.path or DEFAULT_PATH), loaded.config
    if args.chroma_url is not None:
        raise ValueError(
            "backup and restore work on a memory folder (--path); for a Chroma server use "
            "`langmem export` / `langmem import`"
        )
    return Path(args.path or DEFAULT_PATH), None


def progress_wanted(flag: bool | None) -> bool:
    """``--progress``/``--no-progress``, else a bar only when stderr is a terminal."""
    return sys.stderr.isatty() if flag is None else flag


def _cmd_config(args: argparse.Namespace) -> int:
    loaded = load_config(args.file, overrides=_location_overrides(args))
    print(loaded.render())
    return 0


def _location_overrides(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "path": args.path,
        "chroma_url": args.chroma_url,
        "checkpoint_url": args.checkpoint_url,
    }


def _cmd_backup(args: argparse.Namespace) -> int:
    from langmem_plugin._admin._backup import backup_folder

    folder, _ = _folder(args)
    info = backup_folder(folder, args.out, progress=progress_wanted(args.progress))
    print(
        f"backed up {folder} to {info.path} ({info.bytes / 1_048_576:.1f} MiB, "
        f"{info.pages} pages, {info.seconds:.2f} s)"
    )
    return 0


def _cmd_restore(args: argparse.Namespace) -> int:
    from langmem_plugin._admin._backup import restore_folder

    folder, config = _folder(args)
    if config is None and find_config_file() is not None:  # --path NEWDIR, same embeddings
        config = load_config().config
    options: dict[str, Any] = {}
    if config is not None:
        options = {"embeddings": config.embeddings, "collection_prefix": config.collection_prefix}
    info = restore_folder(args.backup, folder, progress=progress_wanted(args.progress), **options)
    print(
        f"restored {args.backup} into {info.path}: {info.counts.items} items, "
        f"{info.counts.sessions} sessions, {info.counts.messages} messages, "
        f"{info.counts.checkpoints} checkpoints ({info.vectors} vectors indexed)"
    )
    return 0


def _cmd_retention(args: argparse.Namespace) -> int:
    from langmem_plugin.cli._main import _open

    with _open(args) as memory:
        report = memory.enforce_retention()
        days = memory.retention.history_days if memory.retention is not None else None
    print(
        f"deleted {report.expired_items} expired items and "
        f"{len(report.conversations.sessions)} sessions / "
        f"{len(report.conversations.threads)} threads idle for more than "
        f"{'(forever: no limit)' if days is None else f'{days:g} days'}"
    )
    return 0


def _cmd_consolidate(args: argparse.Namespace) -> int:
    import json

    from langmem_plugin._admin._known import require_user
    from langmem_plugin.cli._main import _open

    with _open(args) as memory:
        require_user(memory, args.user)
        report = memory.consolidate(args.user, agent_id=args.agent)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
        return 0
    print(report.summary())
    for cluster in report.clusters:
        print(f"  topic {cluster.label or '(no topics)'}: {len(cluster.episode_keys)} episodes")
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from langmem_plugin.cli._main import EXIT_CORRUPT, _open

    with _open(args) as memory:
        report = memory.check()
    print(report.render())
    return 0 if report.ok else EXIT_CORRUPT


def _cmd_ui(args: argparse.Namespace) -> int:
    import secrets

    try:
        from langmem_plugin.ui._server import check_bind, serve
    except ImportError as error:
        raise missing_extra("langmem ui", "ui") from error
    token = args.token if args.token != "" else secrets.token_urlsafe(24)
    check_bind(args.host, token)
    from langmem_plugin.cli._main import _open

    with _open(args, read_only=args.read_only) as memory:
        serve(memory, host=args.host, port=args.port, read_only=args.read_only, token=token)
    return 0


def _cmd_mcp(args: argparse.Namespace) -> int:
    try:
        from langmem_plugin import mcp as served
    except ImportError as error:
        raise missing_extra("langmem mcp", "mcp") from error
    if args.transport == "stdio" and (args.user is None or args.tokens is not None):
        raise ValueError("langmem mcp over stdio serves one user: pass --user (not --tokens)")
    if args.transport == "http" and (args.user is None) == (args.tokens is None):
        raise ValueError("langmem mcp --transport http needs --user or --tokens FILE (one)")
    tokens = served.load_tokens(args.tokens) if args.tokens else None
    from langmem_plugin.cli._main import _open

    with _open(args, must_exist=False) as memory:
        if args.transport == "stdio":  # stdout is the protocol: print nothing else there
            import anyio

            server = served.create_mcp_server(memory, user_id=args.user)
            anyio.run(server.run_stdio_async)
        else:
            served.serve_http(
                memory, user_id=args.user, tokens=tokens, host=args.host, port=args.port
            )
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "check": _cmd_check,
    "config": _cmd_config,
    "consolidate": _cmd_consolidate,
    "backup": _cmd_backup,
    "restore": _cmd_restore,
    "retention": _cmd_retention,
    "ui": _cmd_ui,
    "mcp": _cmd_mcp,
    **TREND_COMMANDS,
}


def _access_commands() -> dict[str, Callable[[argparse.Namespace], int]]:
    from langmem_plugin.cli._access import COMMANDS as ACCESS

    return ACCESS


COMMANDS.update(_access_commands())
