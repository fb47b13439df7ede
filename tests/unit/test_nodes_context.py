"""Scope resolution: runtime.context (dict or object) or config; clear errors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.runtime import Runtime

from langmem_plugin.errors import MissingUserIdError
from langmem_plugin.nodes._context import Scope, resolve_scope


@dataclass
class Ctx:
    user_id: str
    agent_id: str | None = None


class FakeRuntime:
    def __init__(self, context: Any) -> None:
        self.context = context


def test_context_dict_object_and_config() -> None:
    assert resolve_scope(FakeRuntime({"user_id": "a"}), {}) == Scope("a")
    assert resolve_scope(FakeRuntime(Ctx("b", "bot")), {}) == Scope("b", "bot")
    config = {"configurable": {"user_id": "c", "thread_id": "t"}}
    assert resolve_scope(FakeRuntime(None), config) == Scope("c", thread_id="t")


def test_context_wins_over_config_and_explicit_wins_over_both() -> None:
    config = {"configurable": {"user_id": "from-config"}}
    assert resolve_scope(FakeRuntime({"user_id": "ctx"}), config).user_id == "ctx"
    assert resolve_scope(FakeRuntime({"user_id": "ctx"}), config, user_id="app").user_id == "app"


def test_missing_user_is_a_clear_error() -> None:
    with pytest.raises(MissingUserIdError, match="user_id"):
        resolve_scope(FakeRuntime({}), {"configurable": {"thread_id": "t"}})


@pytest.mark.parametrize("bad", ["", "  ", 42])
def test_invalid_ids_are_named(bad: object) -> None:
    with pytest.raises(ValueError, match=repr(bad)):
        resolve_scope(FakeRuntime({"user_id": bad}), {})


def test_scope_inside_a_real_graph_from_context_and_config() -> None:
    seen: list[Scope] = []

    def node(state: MessagesState, runtime: Runtime[Any]) -> dict[str, Any]:
        seen.append(resolve_scope(runtime))
        return {}

    builder = StateGraph(MessagesState)
    builder.add_node("n", node)
    builder.add_edge(START, "n")
    builder.add_edge("n", END)
    graph = builder.compile()
    graph.invoke({"messages": []}, context={"user_id": "ctx-user"})
    graph.invoke({"messages": []}, {"configurable": {"user_id": "cfg-user", "thread_id": "t"}})
    assert seen == [Scope("ctx-user"), Scope("cfg-user", thread_id="t")]
    assert seen[0].lesson_namespace == ("lessons", "ctx-user")
    assert Scope("ada", "bot").lesson_namespace == ("agent_lessons", "bot")
