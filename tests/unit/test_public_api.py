"""The public surface, pinned: it changes only on purpose (edit these lists with it)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import langmem_plugin
from langmem_plugin.errors import LangMemError

SURFACE = {
    "langmem_plugin": [
        "ChromaChatMessageHistory",
        "ChromaStore",
        "LangMemError",
        "LocalEmbeddings",
        "Memory",
        "MemoryOptions",
        "MemoryRetriever",
        "create_memory_agent",
        "create_memory_tools",
    ],
    "langmem_plugin.errors": [
        "AccessDeniedError",
        "BackupError",
        "CheckpointUnavailableError",
        "ChromaStoreError",
        "ConfigError",
        "CorruptRecordError",
        "EmbeddingDimensionError",
        "EmbeddingModelError",
        "EncryptionKeyError",
        "EntityNotFoundError",
        "ExportFormatError",
        "FolderInUseError",
        "IllegalTransitionError",
        "InvalidFilterError",
        "InvalidIdError",
        "InvalidMessageError",
        "InvalidTaskError",
        "InvalidValueError",
        "LangMemError",
        "MemoryClosedError",
        "MemoryNotFoundError",
        "MissingUserIdError",
        "ReadOnlyMemoryError",
        "RerankerError",
        "SessionOwnershipError",
        "StoreMismatchError",
        "StoreUnavailableError",
        "TaskError",
        "TaskNotFoundError",
        "ThreadNotFoundError",
        "UnknownEmbeddingModelError",
        "UnknownUserError",
    ],
    "langmem_plugin.store": ["ChromaStore", "CorruptItem", "StoredRecord"],
    "langmem_plugin.history": ["ChromaChatMessageHistory", "MessageHit", "SessionInfo"],
    "langmem_plugin.retriever": ["FusionWeights", "MemoryRetriever", "SearchFn"],
    "langmem_plugin.tasks": ["PRIORITIES", "STATUSES", "Task", "TaskEvent", "TaskStore"],
    "langmem_plugin.ui": ["BackgroundServer", "create_app", "start_background"],
    "langmem_plugin.nodes": [
        "ConsolidationReport",
        "Episode",
        "LLMCallCounter",
        "Lesson",
        "MemoryMiddleware",
        "MemoryNodes",
        "MemoryOptions",
        "Profile",
        "ProfileChange",
        "ProfileFact",
        "RunReport",
        "TopicCluster",
    ],
}


@pytest.mark.parametrize("module_name", sorted(SURFACE))
def test_all_is_exactly_the_pinned_surface(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert sorted(module.__all__) == SURFACE[module_name]
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert missing == []


def test_star_import_gives_only_the_top_level_names() -> None:
    namespace: dict[str, object] = {}
    exec("from langmem_plugin import *", namespace)  # the star import a user may write
    assert sorted(k for k in namespace if k != "__builtins__") == SURFACE["langmem_plugin"]


def _package_exceptions() -> list[type[BaseException]]:
    """Every exception class defined in a langmem_plugin module (imports every module)."""
    found: dict[str, type[BaseException]] = {}
    for info in pkgutil.walk_packages(langmem_plugin.__path__, "langmem_plugin."):
        if info.name.endswith("__main__"):  # running it is the command line
            continue
        module = importlib.import_module(info.name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, BaseException) and value.__module__.startswith("langmem_plugin"):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return [found[name] for name in sorted(found)]


def test_every_error_of_the_package_derives_from_the_one_base() -> None:
    errors = _package_exceptions()
    assert len(errors) >= 20  # the walk found them (a broken walk would pass vacuously)
    assert [e.__name__ for e in errors if not issubclass(e, LangMemError)] == []


def test_every_concrete_error_keeps_a_builtin_mixin() -> None:
    """Code that caught ``ValueError`` (or ``LookupError``...) before the base still works."""
    bases = {"LangMemError", "ChromaStoreError", "TaskError"}
    without = [
        e.__name__
        for e in _package_exceptions()
        if e.__name__ not in bases
        and not any(
            b.__module__ == "builtins" and b not in (Exception, BaseException, object)
            for b in e.__mro__
        )
        and e.__name__ != "CliError"
    ]
    assert without == []


def test_a_user_catches_ours_in_one_place() -> None:
    from langmem_plugin.errors import TaskNotFoundError

    with pytest.raises(LangMemError):
        raise TaskNotFoundError("no task 't1' for user 'ada'")
    assert issubclass(TaskNotFoundError, LookupError)
