"""One configuration file for a memory: ``langmem.toml`` or ``[tool.langmem]`` in pyproject.

``Memory.from_config()`` and the ``langmem`` command line (when no ``--path`` or
``--chroma-url`` is given) read the same file, found from the working directory upward:
the first directory holding a ``langmem.toml``, or a ``pyproject.toml`` with a
``[tool.langmem]`` table, wins. Example ``langmem.toml``::

    path = ".memory"                 # a folder; or chroma_url + checkpoint_url
    embeddings = "local"             # or "local:mpnet", "openai:text-embedding-3-small" ...
    llm = "openai:gpt-4o-mini"       # omit for the offline rules
    working_memory_tokens = 4000
    recall_tokens = 800
    session_token_budget = 20000     # per session, the memory's own model calls (default: none)

    [retention]                      # days, or "forever" (the default)
    history_days = 90                # conversations: threads, sessions, archived turns
    archive_days = 365               # episodes moved out by consolidation
    episodes_days = "forever"
    notes_days = "forever"
    lessons_days = 180
    tasks_days = "forever"           # tasks, whatever their status

    redact = true                    # PII redaction before anything is stored (see _redact)
    encryption_key_env = "LANGMEM_ENCRYPTION_KEY"  # the variable holding the key (never the key)

    [audit]
    recalls = false                  # also record what each recall returned
    retention_days = 365             # drop older audit events

Precedence, lowest first: the defaults, the file, environment variables
``LANGMEM_<KEY>`` (``LANGMEM_PATH``, ``LANGMEM_RECALL_TOKENS``, and for a table
``LANGMEM_<TABLE>_<KEY>``, e.g. ``LANGMEM_RETENTION_NOTES_DAYS``), then the arguments
given to ``Memory.from_config``. ``langmem config`` prints the result with the source of
every value. The file is parsed with ``tomllib`` and validated with pydantic; a bad value
raises one ``ConfigError`` naming the key and where it came from.

Retention uses the existing machinery, not a second one. Each store kind gets a store
TTL (``ChromaStore(namespace_ttl=...)``, counted from the item's last write; reads do not
extend it) and the store's TTL sweeper deletes expired items; expired items are invisible
at once. ``history_days`` applies to whole conversations through ``Memory.cleanup``: a
conversation idle for longer loses its checkpoints, its session and its archived turns
together (a per-message TTL would cut holes into conversations still in use); call
``Memory.enforce_retention()`` periodically (the TTL sweep is part of it). Retention
applies to items written after it is configured; items already stored keep their TTL.

Adding a key is a field on ``MemoryConfig`` (or a table model like ``RetentionConfig``),
and, if ``Memory``'s constructors take it, one entry in ``MemoryConfig.memory_kwargs``.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from langmem_plugin.errors import ConfigError

__all__ = [
    "CONFIG_FILE",
    "AuditConfig",
    "LoadedConfig",
    "MemoryConfig",
    "RetentionConfig",
    "find_config_file",
    "load_config",
]

CONFIG_FILE = "langmem.toml"
ENV_PREFIX = "LANGMEM_"
MINUTES_PER_DAY = 24 * 60


def _days(value: Any) -> float | None:
    """``"forever"`` (or None) means no limit; otherwise a positive number of days."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip().lower()
        if text == "forever":
            return None
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f'must be a number of days or "forever", got {value!r}') from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f'must be a number of days or "forever", got {value!r}')
    if not value > 0 or value == float("inf"):
        raise ValueError(f'must be a positive number of days or "forever", got {value!r}')
    return float(value)


Days = Annotated[float | None, BeforeValidator(_days)]


def _embeddings_spec(value: Any) -> Any:
    """``local``, ``local:NAME`` of a known local model, or ``provider:model``."""
    if not isinstance(value, str):
        return value  # pydantic reports the type
    from langmem_plugin._embeddings import MODELS

    provider, sep, model = value.strip().partition(":")
    if provider.lower() != "local":
        if not sep or not provider.strip() or not model.strip():
            raise ValueError(
                f"{value!r} is not 'local', 'local:MODEL' nor 'provider:model' "
                "(e.g. 'openai:text-embedding-3-small')"
            )
        return value
    if sep and model.strip().lower() not in MODELS:
        known = ", ".join(f"'local:{name}'" for name in sorted(MODELS))
        raise ValueError(f"{value!r} names no local model; known: 'local', {known}")
    return value


EmbeddingsSpec = Annotated[str, BeforeValidator(_embeddings_spec)]


class RetentionConfig(BaseModel):
    """How long each kind of memory is kept, in days (None: forever).

    Attributes:
        history_days: Conversations idle for longer (checkpointer threads, chat
            sessions and their archived turns) are deleted by ``Memory.cleanup``.
        archive_days: Episodes moved out by consolidation (``("episodes_archive", user)``).
        episodes_days: Episodes (``("episodes", user)``).
        notes_days: Notes saved by the agent's tool (``("memories", user)``).
        lessons_days: Lessons from reflection (a user's ``("lessons", user)`` and an
            agent's ``("agent_lessons", agent)``).
        tasks_days: Tasks (``("tasks", user)``), whatever their status.
    """

    model_config = ConfigDict(extra="forbid")

    history_days: Days = None
    archive_days: Days = None
    episodes_days: Days = None
    notes_days: Days = None
    lessons_days: Days = None
    tasks_days: Days = None

    def namespace_ttl(self) -> dict[str, float]:
        """Store TTL in minutes by first namespace label, for the kinds with a limit."""
        labels = {
            "episodes_archive": self.archive_days,
            "episodes": self.episodes_days,
            "memories": self.notes_days,
            "lessons": self.lessons_days,
            "agent_lessons": self.lessons_days,
            "tasks": self.tasks_days,
        }
        return {label: days * MINUTES_PER_DAY for label, days in labels.items() if days}


class AuditConfig(BaseModel):
    """The audit log's settings (it always records writes, deletes and forgets).

    Attributes:
        recalls: Also record what each recall returned (by key, for which thread).
        retention_days: Drop audit events older than this (None: keep them).
    """

    model_config = ConfigDict(extra="forbid")

    recalls: bool = False
    retention_days: Days = None


class MemoryConfig(BaseModel):
    """The validated configuration of a memory (every key optional).

    Attributes:
        path: The memory folder (``chroma/`` and ``checkpoints.sqlite``); a relative path
            in the file is relative to the file's directory, one from the environment or
            an argument to the working directory. Default ``.memory`` when no
            ``chroma_url`` is given.
        chroma_url: A Chroma server, ``http(s)://host:port`` (needs ``checkpoint_url``).
        checkpoint_url: ``postgresql://...``, ``sqlite:///file`` or a file path.
        embeddings: ``"local"`` (the bundled MiniLM, also ``"local:minilm"``),
            ``"local:mpnet"`` (all-mpnet-base-v2, the ``mpnet`` extra) or
            ``"provider:model"``.
        llm: ``"provider:model"`` of the chat model; None: ``OPENAI_API_KEY`` decides.
        working_memory_tokens: Token budget of the model's input.
        recall_tokens: Token budget of the recall message.
        session_token_budget: Tokens the memory's own model calls may spend per session
            before it falls back to the offline rules (default: no limit).
        collection_prefix: Prefix of the Chroma collection and SQL table names.
        retention: How long each kind of memory is kept.
        redact: Replace e-mail addresses, phone numbers, card numbers, secrets... with
            typed placeholders before anything is stored or embedded.
        encryption_key_env: The environment variable holding the encryption key (the key
            itself never goes in a file); when it is set, the memory is encrypted at rest.
        audit: The audit log's settings.
    """

    model_config = ConfigDict(extra="forbid")

    path: str | None = None
    chroma_url: str | None = None
    checkpoint_url: str | None = None
    embeddings: EmbeddingsSpec = "local"
    llm: str | None = None
    working_memory_tokens: int = Field(4000, gt=0)
    recall_tokens: int = Field(800, gt=0)
    session_token_budget: int | None = Field(None, gt=0)
    collection_prefix: str = "langmem"
    retention: RetentionConfig = Field(default_factory=RetentionConfig)
    redact: bool = False
    encryption_key_env: str = Field("LANGMEM_ENCRYPTION_KEY", min_length=1)
    audit: AuditConfig = Field(default_factory=AuditConfig)

    def memory_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of ``Memory.from_path`` / ``from_url`` this config sets."""
        return {
            "embeddings": self.embeddings,
            "llm": self.llm,
            "collection_prefix": self.collection_prefix,
            "redact": self.redact,
            "encryption_key": os.environ.get(self.encryption_key_env) or None,
            "audit_recalls": self.audit.recalls,
            "audit_retention_days": self.audit.retention_days,
        }

    def options(self) -> dict[str, Any]:
        """``Memory.configure_memory`` options this config sets."""
        return {
            "working_memory_tokens": self.working_memory_tokens,
            "recall_tokens": self.recall_tokens,
            "session_token_budget": self.session_token_budget,
        }


Source = Literal["default", "file", "env", "argument"]


class LoadedConfig:
    """A ``MemoryConfig`` with the file it came from and the source of every value.

    Attributes:
        config: The validated configuration.
        file: The configuration file read, or None.
        sources: Dotted key (``"retention.notes_days"``) to ``"default"``, ``"file"``,
            ``"env"`` (with the variable's name) or ``"argument"``.
    """

    def __init__(self, config: MemoryConfig, file: Path | None, sources: dict[str, str]):
        self.config = config
        self.file = file
        self.sources = sources

    def items(self) -> Iterator[tuple[str, Any, str]]:
        """``(dotted key, value, source)`` for every key, in declaration order."""
        for name, value in _flatten(self.config.model_dump()):
            yield name, value, self.sources.get(name, "default")

    def render(self) -> str:
        """The effective configuration as valid TOML, each value's source as a comment.

        Top-level keys come first, then one table each; a key without a value is a comment
        line (``# path = ...  # not set (default)``), since TOML has no null. Passwords in
        URLs are shown as ``***``. ``tomllib.loads`` reads the output back.
        """
        tables: dict[str, list[str]] = {}
        for name, value, source in self.items():
            head, _, key = name.rpartition(".")
            shown = "forever" if value is None and head == "retention" else value
            if key.endswith("_url") and isinstance(shown, str):
                shown = _without_password(shown)
            if shown is None:
                line = f"# {key} = ...  # not set ({source})"
            else:
                line = f"{key} = {_toml_value(shown)}  # {source}"
            tables.setdefault(head, []).append(line)
        lines = [f"# configuration file: {self.file or '(none found)'}", *tables.pop("", [])]
        for head, entries in tables.items():
            lines.extend(["", f"[{head}]", *entries])
        return "\n".join(lines)


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")))


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _flatten(data: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in data.items():
        if isinstance(value, Mapping):
            yield from _flatten(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def find_config_file(start: str | Path | None = None) -> Path | None:
    """The nearest ``langmem.toml``, or ``pyproject.toml`` with ``[tool.langmem]``.

    Args:
        start: Where to start looking (default: the working directory); its parents
            are searched up to the root.

    Returns:
        The file, or None when no directory on the way up has one.
    """
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / CONFIG_FILE
        if candidate.is_file():
            return candidate
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and "langmem" in _read_toml(pyproject).get("tool", {}):
            return pyproject
    return None


def _read_toml(file: Path) -> dict[str, Any]:
    try:
        with open(file, "rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{file}: not valid TOML ({error})") from error


def _file_table(file: Path) -> dict[str, Any]:
    data = _read_toml(file)
    if file.name == "pyproject.toml":
        table = data.get("tool", {}).get("langmem", {})
        if not isinstance(table, dict):
            raise ConfigError(f"{file}: [tool.langmem] must be a table")
        return table
    return data


def _env_values(environ: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The ``LANGMEM_<KEY>`` / ``LANGMEM_<TABLE>_<KEY>`` variables for known keys."""
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name, field in MemoryConfig.model_fields.items():
        table = field.annotation
        if isinstance(table, type) and issubclass(table, BaseModel):
            for sub in table.model_fields:
                var = f"{ENV_PREFIX}{name.upper()}_{sub.upper()}"
                if var in environ:
                    values.setdefault(name, {})[sub] = environ[var]
                    sources[f"{name}.{sub}"] = f"env {var}"
            continue
        var = f"{ENV_PREFIX}{name.upper()}"
        if var in environ:
            values[name] = environ[var]
            sources[name] = f"env {var}"
    return values, sources


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(dict(merged[key]), value)
        else:
            merged[key] = value
    return merged


def _keys(data: Mapping[str, Any], prefix: str = "") -> Iterator[str]:
    for key, value in data.items():
        if isinstance(value, Mapping) and key in MemoryConfig.model_fields:
            yield from _keys(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}"


def load_config(
    file: str | Path | None = None,
    *,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> LoadedConfig:
    """Read, merge and validate the configuration.

    Args:
        file: The configuration file (``langmem.toml``, or a ``pyproject.toml`` whose
            ``[tool.langmem]`` is read); default: ``find_config_file()``, and no file
            at all when none is found (defaults and environment only).
        overrides: Values given as arguments (highest precedence); None values are
            ignored, ``retention`` may be a partial mapping.
        environ: The environment (default ``os.environ``).

    Returns:
        The configuration with its sources. A relative ``path`` in the file is resolved
        against the file's directory.

    Raises:
        ConfigError: A value is invalid or a key unknown (the message names the key
            and its source), the file is not valid TOML, or ``file`` does not exist.
    """
    env = os.environ if environ is None else environ
    if file is not None and not Path(file).is_file():
        raise ConfigError(f"configuration file {str(file)!r} does not exist")
    path = Path(file).resolve() if file is not None else find_config_file()
    from_file = _file_table(path) if path is not None else {}
    sources = dict.fromkeys(_keys(from_file), f"file {path}")
    from_env, env_sources = _env_values(env)
    sources.update(env_sources)
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    sources.update(dict.fromkeys(_keys(given), "argument"))
    merged = _merge(_merge(from_file, from_env), given)
    try:
        config = MemoryConfig.model_validate(merged)
    except ValidationError as error:
        problem = error.errors()[0]
        key = ".".join(str(part) for part in problem["loc"]) or "(root)"
        where = sources.get(key, f"file {path}" if path else "default")
        if problem["type"] == "extra_forbidden":
            message = "unknown key"
        else:
            message = problem["msg"].removeprefix("Value error, ")
        raise ConfigError(f"invalid configuration key {key!r} ({where}): {message}") from None
    if path is not None and sources.get("path", "").startswith("file") and config.path:
        resolved = (path.parent / config.path).resolve()
        config = config.model_copy(update={"path": str(resolved)})
    return LoadedConfig(config, path, sources)
