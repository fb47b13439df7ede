"""The ``langmem`` command line: a demo, a chat, and tools to inspect and manage memories.

Every command takes ``--path DIR`` (default ``./.memory``), or ``--chroma-url`` with
``--checkpoint-url`` for a Chroma server and a checkpoint database; these options may
come before or after the command name. Without them, a ``langmem.toml`` (or
``[tool.langmem]`` in ``pyproject.toml``) found from the working directory upward says
where the memory lives (``langmem config`` shows it). Errors an operator can fix (a
missing folder, a server that does not answer, a malformed file) print one line and exit
with code 2 (``LANGMEM_DEBUG=1`` shows the traceback instead).

Examples::

    langmem demo
    langmem stats --path ./.memory
    langmem profile ada --history
    langmem search ada "where does she live?"
    langmem export backup.jsonl && langmem import backup.jsonl --path ./restored
    langmem forget ada
    langmem backup memory.bak --path ./.memory && langmem restore memory.bak --path ./new
    langmem tasks ada --status open
    langmem forget ada --query "my divorce"
    langmem audit ada --json
    langmem check
    langmem ui --path ./.memory --read-only
    langmem mcp --user ada --path ./.memory
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

from langmem_plugin._admin._known import require_user
from langmem_plugin.cli._ops import progress_wanted
from langmem_plugin.errors import LangMemError
from langmem_plugin.memory import DEFAULT_MODEL

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

__all__ = ["build_parser", "main", "run_chat"]

EXIT_ERROR = 2
EXIT_CORRUPT = 1
"""``export`` left corrupt records out, ``check`` found some (everything else worked)."""
DEFAULT_PATH = ".memory"
_NO_MODEL = (
    "langmem chat needs a chat model, and none is configured. Either set OPENAI_API_KEY "
    f"(then {DEFAULT_MODEL} is used), or pass --model provider:model (or set "
    "LANGMEM_CHAT_MODEL), e.g. --model anthropic:claude-3-5-haiku-latest with "
    "langchain-anthropic installed and ANTHROPIC_API_KEY set. Try `langmem demo` for an "
    "offline, scripted conversation."
)


class CliError(LangMemError):
    """An error the user can fix; printed as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    """argparse with its errors on one line, like every other error of ``langmem``."""

    def error(self, message: str) -> NoReturn:
        """Print ``langmem CMD: error: MESSAGE (see langmem CMD --help)``; exit code 2."""
        self.exit(EXIT_ERROR, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def _positive(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {number}")
    return number


def _moment(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not an ISO date/time: {text!r} (e.g. 2026-01-31 or 2026-01-31T09:30)"
        ) from None


# ---------------------------------------------------------------------------- parser
def _location_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """``--path``/``--chroma-url``/``--checkpoint-url``, on the main parser and each command.

    On commands the defaults are suppressed, so that an option given before the command
    is not overwritten by the command's default.
    """
    default: Any = argparse.SUPPRESS if suppress else None
    group = parser.add_argument_group("where the memory lives")
    group.add_argument(
        "--path",
        default=default,
        help=f"memory folder (chroma/ and checkpoints.sqlite; default ./{DEFAULT_PATH})",
    )
    group.add_argument(
        "--chroma-url",
        default=default,
        help="Chroma server, http://host:port (needs --checkpoint-url)",
    )
    group.add_argument(
        "--checkpoint-url",
        default=default,
        help="checkpoints: postgresql://user@host:port/db, sqlite:///file or a file path",
    )
    group.add_argument(
        "--embeddings",
        default=default,
        help=(
            "embeddings of the memory: local (MiniLM, the default), local:mpnet (needs the "
            "mpnet extra) or provider:model; a memory is read with the model it was written "
            "with (overrides the configuration file's 'embeddings')"
        ),
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``langmem`` and its commands."""
    parser = _Parser(
        prog="langmem",
        description="Long-term memory for LangGraph agents: demo, chat, inspect and manage.",
        epilog=(
            "Without --path or --chroma-url, a langmem.toml (or [tool.langmem] in "
            "pyproject.toml) found from here up says where the memory is (see `langmem "
            "config`). An encrypted memory needs its key in LANGMEM_ENCRYPTION_KEY. Run "
            "`langmem COMMAND --help` for the options of a command."
        ),
    )
    _location_options(parser, suppress=False)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        _location_options(sub, suppress=True)
        return sub

    command(
        "demo",
        "Run the scripted multi-session demo offline (a temporary folder unless --path).",
    )
    chat = command("chat", "Chat with an agent that remembers you (needs a chat model).")
    chat.add_argument("--user", required=True, help="your user id")
    chat.add_argument("--session", help="session (thread) id; default: a new one")
    chat.add_argument(
        "--model",
        default=os.environ.get("LANGMEM_CHAT_MODEL"),
        help="provider:model for init_chat_model (default $LANGMEM_CHAT_MODEL, or "
        f"{DEFAULT_MODEL} when OPENAI_API_KEY is set)",
    )
    stats = command("stats", "Counts of users, sessions, messages, memories and threads.")
    stats.add_argument("--json", action="store_true", help="print JSON")
    command("users", "List the users with stored memories or chat sessions.")
    sessions = command("sessions", "List a user's chat sessions, most recent first.")
    sessions.add_argument("user", help="user id")
    profile = command("profile", "Show a user's profile (current facts).")
    profile.add_argument("user", help="user id")
    profile.add_argument(
        "--history", action="store_true", help="every version of every fact, oldest first"
    )
    search = command("search", "Search a user's memories and chat messages.")
    search.add_argument("user", help="user id")
    search.add_argument("query", help="what to look for, in natural language")
    search.add_argument("--limit", "-k", type=_positive, default=5, help="results per kind (5)")
    export = command("export", "Write every memory, session, message and checkpoint as JSON Lines.")
    export.add_argument("file", help="output file ('-' for stdout)")
    export.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None)
    load = command(
        "import",
        "Load an export (creates the memory folder if needed; replaces records with the same ids).",
    )
    load.add_argument("file", help="an export file ('-' for stdin)")
    load.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None)
    forget = command(
        "forget",
        "Remove every trace of a user (memories, profile and its history, episodes, notes, "
        "lessons, chat sessions, checkpoint threads) and scrub the files so that no byte of "
        "it is left; with --query, only what matches the query (previewed, then asked).",
    )
    forget.add_argument("user", help="user id")
    forget.add_argument("--dry-run", action="store_true", help="only show what would go")
    forget.add_argument(
        "--query",
        help="forget only the memories, archived turns and profile facts about this, e.g. "
        "'my divorce' (shows the matches and asks before deleting)",
    )
    forget.add_argument("--yes", "-y", action="store_true", help="do not ask (with --query)")
    audit = command(
        "audit",
        "Show a user's audit log: one line per write, delete, forget (or recall) with the "
        "ISO time, the operation, the namespace/key and the path that did it; no content.",
    )
    audit.add_argument("user", help="user id")
    audit.add_argument("--since", type=_moment, help="only events at or after this ISO date/time")
    audit.add_argument("--limit", type=_positive, default=100, help="most recent events (100)")
    audit.add_argument("--json", action="store_true", help="one JSON object per line")
    from langmem_plugin.cli._ops import add_commands

    add_commands(command)
    tasks = command("tasks", "List a user's tasks (due first) with their status history.")
    tasks.add_argument("user", help="user id")
    tasks.add_argument(
        "--status",
        choices=["open", "in_progress", "blocked", "completed", "cancelled"],
        help="only tasks with this status (default: all)",
    )
    return parser


# ---------------------------------------------------------------------------- helpers
_READERS = "stats, users, sessions, profile, search, audit, tasks, export, ui --read-only"
"""The commands that open a folder read-only, so they work while an app holds it."""


def _open(
    args: argparse.Namespace,
    *,
    must_exist: bool = True,
    llm: Any = None,
    read_only: bool = False,
) -> Any:
    """The memory of the command's options (or of the config file).

    ``read_only`` (the commands that only look) opens a folder beside the process that
    holds it; a writing command on a held folder gets one line naming the way out.
    """
    from langmem_plugin.errors import FolderInUseError

    try:
        return _open_memory(args, must_exist=must_exist, llm=llm, read_only=read_only)
    except FolderInUseError as error:
        held = FolderInUseError(
            f"langmem {args.command} writes to the memory, and its folder {error.folder!r} "
            f"is held by process {error.owner}: stop that process first (or share the "
            f"memory through a Chroma server: `chroma run --path {error.folder}`, then "
            f"--chroma-url). These commands only read and work while it runs: {_READERS}"
        )
        held.folder, held.owner = error.folder, error.owner
        raise held from error


def _open_memory(args: argparse.Namespace, *, must_exist: bool, llm: Any, read_only: bool) -> Any:
    from langmem_plugin._admin import open_memory
    from langmem_plugin.cli._ops import open_configured
    from langmem_plugin.errors import MemoryNotFoundError

    configured = open_configured(args, must_exist=must_exist, llm=llm, read_only=read_only)
    if configured is not None:  # langmem.toml / [tool.langmem], no --path or --chroma-url
        return configured

    if args.chroma_url is not None and args.checkpoint_url is None:
        raise CliError(
            f"--chroma-url {args.chroma_url!r} needs --checkpoint-url "
            "(postgresql://... or a SQLite file path)"
        )
    try:
        return open_memory(
            path=args.path,
            chroma_url=args.chroma_url,
            checkpoint_url=args.checkpoint_url,
            must_exist=must_exist,
            llm=llm,
            read_only=read_only,
            embeddings=args.embeddings,
        )
    except MemoryNotFoundError as error:  # the library's words, plus the flags to use
        raise MemoryNotFoundError(
            f"{error}; pass --path to an existing memory "
            "(or --chroma-url/--checkpoint-url for a server)"
        ) from error


def _where(args: argparse.Namespace) -> str:
    return args.chroma_url or args.path or f"./{DEFAULT_PATH}"


def _size(num: int | None) -> str:
    if num is None:
        return "n/a (server)"
    size = float(num)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{num} B"  # pragma: no cover


def _short(text: str, width: int = 100) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


# ---------------------------------------------------------------------------- commands
def _cmd_demo(args: argparse.Namespace) -> int:
    from langmem_plugin.cli._demo import run_memory_demo

    run_memory_demo(args.path)
    return 0


def _resolve_chat_model(spec: str | None) -> Any:
    if not spec and not os.environ.get("OPENAI_API_KEY"):
        raise CliError(_NO_MODEL)
    from langchain.chat_models import init_chat_model

    try:
        return init_chat_model(spec or DEFAULT_MODEL)
    except (ImportError, ValueError) as error:
        raise CliError(f"cannot use chat model {spec!r}: {error}") from error


def run_chat(
    memory: Any,
    model: Any,
    *,
    user_id: str,
    session_id: str,
    read: Callable[[str], str] = input,
    write: Callable[[str], Any] = print,
) -> int:
    """The interactive loop of ``langmem chat``, usable with any chat model.

    Reads lines with ``read`` until EOF or ``/quit``; ``/profile`` shows the profile.
    Every turn is archived by the agent's memory middleware (``("archive", user,
    session)``, ``langmem sessions`` lists it); at the end the session's pending memory
    work is done and the archive writes are flushed.

    Args:
        memory: A ``Memory`` with the memory features.
        model: The chat model.
        user_id: The user.
        session_id: The session (thread) id.
        read: Prompt-and-read function.
        write: Output function.

    Returns:
        How many turns were answered.
    """
    from langchain_core.messages import HumanMessage

    from langmem_plugin.agent import create_memory_agent

    agent = create_memory_agent(model, memory=memory)
    config = {"configurable": {"thread_id": session_id, "user_id": user_id}}
    write(f"chatting as {user_id!r} in session {session_id!r}; /profile, /quit")
    turns = 0
    while True:
        try:
            text = read("you> ").strip()
        except EOFError:
            break
        if text in {"/quit", "/exit"}:
            break
        if text == "/profile":
            write(str(memory.profile(user_id)))
            continue
        if not text:
            continue
        result = agent.invoke({"messages": [HumanMessage(text)]}, config)
        write(f"assistant> {result['messages'][-1].text}")
        turns += 1
    if turns:
        memory.end_session(session_id)
        memory.flush()
    return turns


def _cmd_chat(args: argparse.Namespace) -> int:
    model = _resolve_chat_model(args.model)
    session = args.session or f"cli-{uuid.uuid4().hex[:8]}"
    with _open(args, must_exist=False, llm=model) as memory:
        run_chat(memory, model, user_id=args.user, session_id=session)
    return 0


def _cmd_stats(args: argparse.Namespace) -> int:
    with _open(args, read_only=True) as memory:
        stats = memory.stats()
    if args.json:
        print(json.dumps(stats, indent=2, sort_keys=True))
        return 0
    print(f"memory: {_where(args)}")
    print(
        f"users: {stats['users']}  sessions: {stats['sessions']}  "
        f"messages: {stats['messages']}  threads: {stats['threads']}"
    )
    kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(stats["memories"].items()))
    print(f"memories: {sum(stats['memories'].values())} ({kinds or 'none'})")
    print(f"size on disk: {_size(stats['size_on_disk'])}")
    return 0


def _cmd_users(args: argparse.Namespace) -> int:
    from langmem_plugin._admin import list_users

    with _open(args, read_only=True) as memory:
        users = list_users(memory)
    if not users:
        print("no users")
        return 0
    width = max(4, *(len(u.user_id) for u in users))
    print(f"{'user':<{width}}  {'memories':>8}  {'sessions':>8}  {'messages':>8}")
    for u in users:
        print(f"{u.user_id:<{width}}  {u.memories:>8}  {u.sessions:>8}  {u.messages:>8}")
    return 0


def _cmd_sessions(args: argparse.Namespace) -> int:
    with _open(args, read_only=True) as memory:
        require_user(memory, args.user)
        sessions = memory.sessions(args.user)
    if not sessions:
        print(f"no chat sessions for user {args.user!r}")
        return 0
    for info in sessions:
        title = f"  {info.title}" if info.title else ""
        print(
            f"{info.session_id}  {info.message_count} messages  "
            f"created {info.created_at:%Y-%m-%d %H:%M}  "
            f"last active {info.last_active:%Y-%m-%d %H:%M}{title}"
        )
    return 0


def _cmd_profile(args: argparse.Namespace) -> int:
    with _open(args, read_only=True) as memory:
        require_user(memory, args.user)
        if not args.history:
            print(memory.profile(args.user))
            return 0
        history = memory.profile_history(args.user)
    if not history:
        print(f"no profile history for user {args.user!r}")
        return 0
    print(f"Profile history of {args.user} ({len(history)} versions of facts)")
    for fact in history:
        until = fact.valid_to[:19] if fact.valid_to else "now"
        versions = f"v{fact.version_from}-{fact.version_to or ''}"
        print(
            f"{versions:<7} {fact.category}: {fact.value}  "
            f"[{fact.valid_from[:19]} .. {until}, confidence {fact.confidence:.2f}, "
            f"source {fact.source}]"
        )
    return 0


def _cmd_search(args: argparse.Namespace) -> int:
    from langmem_plugin._admin import search_user

    with _open(args, read_only=True) as memory:
        require_user(memory, args.user)
        items, messages = search_user(memory, args.user, args.query, limit=args.limit)
    print(f"memories of {args.user!r} for {args.query!r}:")
    if not items:
        print("  (none)")
    for item in items:
        score = f"{item.score:.3f}" if item.score is not None else "  -  "
        text = item.value.get("content", json.dumps(item.value, ensure_ascii=False))
        print(f"  {score}  {'/'.join(item.namespace)}/{item.key}: {_short(str(text))}")
    print("chat messages:")
    if not messages:
        print("  (none)")
    for hit in messages:
        print(
            f"  {hit.score:.3f}  [{hit.session_id}] {hit.message.type}: {_short(hit.message.text)}"
        )
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from langmem_plugin._admin._export import export_memory

    if args.file != "-":
        out = Path(args.file)
        if out.is_dir():
            raise CliError(f"export target {args.file!r} is a folder; name a file in it")
        if not out.parent.is_dir():
            raise CliError(f"cannot write {args.file!r}: folder {str(out.parent)!r} does not exist")
    with _open(args, read_only=True) as memory:
        target: Any = sys.stdout if args.file == "-" else args.file
        counts = export_memory(memory, target, progress=progress_wanted(args.progress))
    skipped = counts.skipped
    print(
        f"exported {counts.items} items, {counts.sessions} sessions, "
        f"{counts.messages} messages, {counts.checkpoints} checkpoints to {args.file}"
        + (f"; skipped {len(skipped)} corrupt records (see stderr)" if skipped else ""),
        file=sys.stderr if args.file == "-" else sys.stdout,
    )
    for line in skipped:
        print(f"langmem: skipped corrupt {line}", file=sys.stderr)
    return EXIT_CORRUPT if skipped else 0


def _cmd_import(args: argparse.Namespace) -> int:
    from langmem_plugin._admin._export import import_memory

    source: Any = sys.stdin if args.file == "-" else args.file
    if source is not sys.stdin and not os.path.isfile(source):
        raise CliError(f"no export file at {args.file!r}")
    with _undo_created(_import_folder(args)), _open(args, must_exist=False) as memory:
        counts = import_memory(memory, source, progress=progress_wanted(args.progress))
    print(
        f"imported {counts.items} items, {counts.sessions} sessions, "
        f"{counts.messages} messages, {counts.checkpoints} checkpoints into {_where(args)}"
    )
    return 0


def _import_folder(args: argparse.Namespace) -> Path | None:
    """The memory folder an import writes into (None for a Chroma server)."""
    from langmem_plugin.cli._ops import configured_folder

    if args.chroma_url is not None:
        return None
    if args.path is not None:
        return Path(args.path)
    return configured_folder(args)


@contextmanager
def _undo_created(root: Path | None) -> Iterator[None]:
    """On failure, remove what the block created for the memory ``root``, never what existed.

    A missing folder (and missing parents) is removed whole; an existing folder that held
    no memory loses the entries the block added to it; a memory that existed is left as it
    is (an import that fails checks its file before it writes).
    """
    if root is None:
        yield
        return
    top = root.absolute()
    while not top.parent.exists():
        top = top.parent
    existed = top.exists()
    before = set(root.iterdir()) if root.is_dir() else set()
    had_memory = (root / "checkpoints.sqlite").exists() or (root / "chroma").exists()
    try:
        yield
    except BaseException:
        if not existed:
            shutil.rmtree(top, ignore_errors=True)
        elif root.is_dir() and not had_memory:
            for entry in set(root.iterdir()) - before:
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)
        raise


def _cmd_forget(args: argparse.Namespace) -> int:
    from langmem_plugin._admin._forget import forget_query, forget_user

    with _open(args) as memory:
        if args.query is None:
            print(forget_user(memory, args.user, dry_run=args.dry_run).render())
            return 0
        preview = forget_query(memory, args.user, args.query, dry_run=True)
        print(preview.render())
        if args.dry_run or (not preview.matches and not preview.threads):
            return 0
        if not args.yes:
            try:
                answer = input("Delete these for good? [y/N] ").strip().lower()
            except EOFError:  # no terminal to answer: the safe answer
                answer = ""
            if answer not in ("y", "yes"):
                print("nothing deleted")
                return 0
        report = forget_query(memory, args.user, args.query, dry_run=False)
    print(f"deleted {report.removed} items and {len(report.threads)} threads' checkpoints")
    return 0


def _cmd_audit(args: argparse.Namespace) -> int:
    with _open(args, read_only=True) as memory:
        require_user(memory, args.user, audit=True)
        events = memory.audit(args.user, since=args.since, limit=args.limit)
    for event in events:
        print(json.dumps(event.to_json()) if args.json else event.line())
    return 0


def _cmd_tasks(args: argparse.Namespace) -> int:
    with _open(args, read_only=True) as memory:
        require_user(memory, args.user)
        found = memory.tasks.list(args.user, status=args.status)
    if not found:
        which = f"{args.status} " if args.status else ""
        print(f"no {which}tasks for user {args.user!r}")
        return 0
    for task in found:
        late = "  OVERDUE" if task.is_overdue() else ""
        print(f"{task.line()}{late}  [source {task.source}]")
        for event in task.history:
            note = f": {_short(event.note, 80)}" if event.note else ""
            print(f"    {event.at[:16].replace('T', ' ')}  {event.status}{note}")
    return 0


_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "demo": _cmd_demo,
    "chat": _cmd_chat,
    "stats": _cmd_stats,
    "users": _cmd_users,
    "sessions": _cmd_sessions,
    "profile": _cmd_profile,
    "search": _cmd_search,
    "export": _cmd_export,
    "import": _cmd_import,
    "forget": _cmd_forget,
    "tasks": _cmd_tasks,
    "audit": _cmd_audit,
}


def _more_commands() -> dict[str, Callable[[argparse.Namespace], int]]:
    from langmem_plugin.cli._ops import COMMANDS

    return COMMANDS


def _expected_errors() -> tuple[type[BaseException], ...]:
    from langmem_plugin.errors import (
        BackupError,
        CheckpointUnavailableError,
        ConfigError,
        ExportFormatError,
        FolderInUseError,
        InvalidMessageError,
        MemoryNotFoundError,
        ReadOnlyMemoryError,
        SessionOwnershipError,
        StoreUnavailableError,
        TaskError,
        UnknownUserError,
    )

    try:  # a configured model provider that cannot be reached (no network, bad key)
        from openai import APIConnectionError, AuthenticationError

        provider_errors: tuple[type[BaseException], ...] = (
            APIConnectionError,
            AuthenticationError,
        )
    except ImportError:
        provider_errors = ()
    return (
        *provider_errors,
        CliError,
        MemoryNotFoundError,
        StoreUnavailableError,
        FolderInUseError,
        CheckpointUnavailableError,
        ExportFormatError,
        ConfigError,
        BackupError,
        SessionOwnershipError,
        TaskError,
        UnknownUserError,
        ReadOnlyMemoryError,
        InvalidMessageError,
        ValueError,
        ImportError,
        OSError,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``langmem`` console script.

    Args:
        argv: The arguments (default ``sys.argv[1:]``).

    Returns:
        The exit code: 0 on success, 1 when ``check`` or ``export`` met corrupt records,
        2 on an error the user can fix.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    from langmem_plugin._audit import audit_source

    try:
        path = getattr(args, "path", None)
        if path is not None and Path(path).exists() and not Path(path).is_dir():
            raise CliError(f"--path {path!r} is a file; a memory is a folder")
        with audit_source("cli"):
            return {**_COMMANDS, **_more_commands()}[args.command](args)
    except KeyboardInterrupt:
        print("langmem: interrupted", file=sys.stderr)
        return 130
    except _expected_errors() as error:
        if os.environ.get("LANGMEM_DEBUG"):
            raise
        message = " ".join(str(error).split()) or type(error).__name__
        if type(error).__module__.startswith(("openai", "langchain_openai")):
            message = (
                f"the OpenAI model could not be used ({message}); check OPENAI_API_KEY and the "
                "network, or unset OPENAI_API_KEY to run offline"
            )
        print(f"langmem: error: {message}", file=sys.stderr)
        return EXIT_ERROR
