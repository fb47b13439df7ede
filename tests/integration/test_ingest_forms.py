"""``memory.ingest`` takes every message form that ``graph.invoke`` takes."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from langmem_plugin import Memory
from langmem_plugin.errors import InvalidMessageError, LangMemError


@pytest.mark.parametrize(
    "messages",
    [
        [("user", "I live in Porto."), ("assistant", "Porto is lovely.")],
        [{"role": "user", "content": "I live in Porto."}, {"role": "ai", "content": "Lovely."}],
        ["I live in Porto.", AIMessage("Lovely.")],
        [HumanMessage("I live in Porto."), ("ai", "Lovely.")],
    ],
    ids=["tuples", "dicts", "string-and-message", "mixed"],
)
def test_ingest_accepts_what_graph_invoke_accepts(messages: list[Any]) -> None:
    with Memory.in_memory() as memory:
        memory.ingest(messages, user_id="ada", thread_id="t1")
        archived = memory.history("t1", user_id="ada").messages
        assert [type(m) for m in archived] == [HumanMessage, AIMessage]
        assert archived[0].content == "I live in Porto."
        assert any(f.value == "Porto" for f in memory.profile("ada").facts)


@pytest.mark.parametrize(
    ("messages", "named"),
    [
        ([42], "42"),
        ([("robot", "beep")], "'robot'"),
        ("I live in Porto.", "one str"),
        (("user", "I live in Porto."), "one tuple"),
    ],
)
def test_ingest_refuses_what_is_no_message_and_writes_nothing(messages: Any, named: str) -> None:
    with Memory.in_memory() as memory:
        with pytest.raises(InvalidMessageError, match=named) as refused:
            memory.ingest(messages, user_id="ada", thread_id="t1")
        assert isinstance(refused.value, LangMemError)
        assert memory.sessions("ada") == []
