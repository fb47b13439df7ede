"""``langmem share``, ``unshare``, ``grants`` and ``read``: access control from the shell.

``read`` searches one scope *as a principal* (``--as USER [--as-agent AGENT]``) through
``memory.access``, so the shell sees what that user or agent may see and a refusal is the
``AccessDeniedError`` message (exit 1). The other commands that read (``search``,
``profile``, ``export``...) are the operator's, over the whole folder. Scopes are written
``user:<id>`` (the user's notes), ``agent:<id>`` or ``team:<id>``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from langmem_plugin.access import Principal
from langmem_plugin.nodes._context import Scope

__all__ = ["COMMANDS", "add_commands"]


def add_commands(command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    """Add ``share``, ``unshare``, ``grants`` and ``read``."""
    share = command("share", "Grant a user or agent a role on a scope or one memory (audited).")
    unshare = command("unshare", "Withdraw a grant made by `langmem share` (audited).")
    for sub in (share, unshare):
        sub.add_argument("scope", help="user:<id>, agent:<id> or team:<id>")
        sub.add_argument("to", help="the grantee's user id (or agent id with --agent)")
        sub.add_argument("--agent", action="store_true", help="the grantee is an agent")
        sub.add_argument("--key", help="only this memory of the scope")
        sub.add_argument("--by", help="the user who shares (needs `share`; default: operator)")
    share.add_argument("--role", default="reader", help="reader, writer, member, owner (reader)")
    command("grants", "List every grant.")
    read = command("read", "Search one scope as a user (or agent): what they may see.")
    read.add_argument("scope", help="user:<id>, agent:<id> or team:<id>")
    read.add_argument("query", help="what to look for")
    read.add_argument("--as", dest="as_user", required=True, help="the user who reads")
    read.add_argument("--as-agent", help="the agent the user acts as")
    read.add_argument("--limit", "-k", type=int, default=5, help="results (5)")


def _namespace(scope: str) -> tuple[str, ...]:
    from langmem_plugin.tools import scope_namespace

    return scope_namespace(scope, Scope("-"))


def _open(args: argparse.Namespace, *, read_only: bool) -> Any:
    from langmem_plugin.cli._main import _open as open_memory

    return open_memory(args, read_only=read_only)


def _grantee(args: argparse.Namespace) -> Principal:
    return Principal(agent_id=args.to) if args.agent else Principal(args.to)


def _cmd_share(args: argparse.Namespace) -> int:
    with _open(args, read_only=False) as memory:
        memory.access.share(
            _namespace(args.scope), _grantee(args), role=args.role, key=args.key, by=args.by
        )
    print(f"shared {args.scope}{'/' + args.key if args.key else ''} with {args.to} as {args.role}")
    return 0


def _cmd_unshare(args: argparse.Namespace) -> int:
    with _open(args, read_only=False) as memory:
        found = memory.access.unshare(
            _namespace(args.scope), _grantee(args), key=args.key, by=args.by
        )
    print("unshared" if found else "no such grant")
    return 0


def _cmd_grants(args: argparse.Namespace) -> int:
    with _open(args, read_only=True) as memory:
        grants = memory.access.grants()
    for g in grants:
        what = f"{g['scope']}:{g['scope_id']}" + (f" key {g['key']}" if g["key"] else "")
        print(f"{what} -> {g['to_kind']} {g['to_id']!r}: {g['role']}")
    if not grants:
        print("(no grants)")
    return 0


def _cmd_read(args: argparse.Namespace) -> int:
    who = Principal(args.as_user, args.as_agent)
    with _open(args, read_only=True) as memory:
        items = memory.access.search(
            who, _namespace(args.scope), query=args.query, limit=args.limit
        )
    print(f"{args.scope} as {who} for {args.query!r}:")
    for item in items:
        print(f"  {item.key}: {item.value.get('content', '')}")
    if not items:
        print("  (none)")
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "share": _cmd_share,
    "unshare": _cmd_unshare,
    "grants": _cmd_grants,
    "read": _cmd_read,
}
