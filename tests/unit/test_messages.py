"""Turn grouping and trimming (langmem_plugin._messages), with property tests."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.messages.utils import count_tokens_approximately

from langmem_plugin._messages import count_tokens, split_turns, trim_turns


def _ai_call(*call_ids: str) -> AIMessage:
    return AIMessage(
        content="",
        tool_calls=[{"name": "lookup", "args": {"q": cid}, "id": cid} for cid in call_ids],
    )


def _tool(call_id: str) -> ToolMessage:
    return ToolMessage(content=f"result {call_id}", tool_call_id=call_id)


# ----------------------------------------------------------------------------- examples
def test_split_turns_starts_a_turn_at_each_human_message() -> None:
    h1, a1, h2, a2 = HumanMessage("a"), AIMessage("b"), HumanMessage("c"), AIMessage("d")
    assert split_turns([h1, a1, h2, a2]) == [[h1, a1], [h2, a2]]


def test_split_turns_puts_leading_system_messages_in_their_own_group() -> None:
    s1, s2, h, a = SystemMessage("s1"), SystemMessage("s2"), HumanMessage("h"), AIMessage("a")
    assert split_turns([s1, s2, h, a]) == [[s1, s2], [h, a]]


def test_split_turns_first_group_may_start_with_a_non_human_message() -> None:
    a, h = AIMessage("hello, how can I help?"), HumanMessage("hi")
    assert split_turns([a, h]) == [[a], [h]]


def test_split_turns_keeps_tool_pair_together_across_a_human_message() -> None:
    h1, call, h2, result, answer = (
        HumanMessage("weather?"),
        _ai_call("c1"),
        HumanMessage("(impatient) well?"),
        _tool("c1"),
        AIMessage("sunny"),
    )
    assert split_turns([h1, call, h2, result, answer]) == [[h1, call, h2, result, answer]]


def test_split_turns_of_empty_list_is_empty() -> None:
    assert split_turns([]) == []


def test_count_tokens_defaults_to_langchain_approximation_and_accepts_a_counter() -> None:
    messages = [HumanMessage("hello there"), AIMessage("general kenobi")]
    assert count_tokens(messages) == count_tokens_approximately(messages)
    assert count_tokens(messages, counter=len) == 2


def test_trim_turns_keep_last_drops_whole_oldest_turns() -> None:
    h1, a1, h2, call, result, a2 = (
        HumanMessage("1"),
        AIMessage("2"),
        HumanMessage("3"),
        _ai_call("x"),
        _tool("x"),
        AIMessage("4"),
    )
    kept, dropped = trim_turns([h1, a1, h2, call, result, a2], keep_last=4)
    assert kept == [h2, call, result, a2]
    assert dropped == [h1, a1]
    # 3 messages cannot hold the last turn (4 messages): it goes too.
    kept, dropped = trim_turns([h1, a1, h2, call, result, a2], keep_last=3)
    assert kept == []
    assert dropped == [h1, a1, h2, call, result, a2]


def test_trim_turns_pins_leading_system_messages_unless_told_not_to() -> None:
    system, h1, h2 = SystemMessage("rules"), HumanMessage("old"), HumanMessage("new")
    assert trim_turns([system, h1, h2], keep_last=1) == ([system, h2], [h1])
    assert trim_turns([system, h1, h2], keep_last=1, keep_system=False) == ([h2], [system, h1])


def test_trim_turns_max_tokens_with_a_custom_counter() -> None:
    messages = [HumanMessage("a"), AIMessage("b"), HumanMessage("c"), AIMessage("d")]
    kept, dropped = trim_turns(messages, max_tokens=3, counter=len)
    assert kept == messages[2:]
    assert dropped == messages[:2]


@pytest.mark.parametrize(
    ("kwargs", "bad"),
    [({"keep_last": -1}, "-1"), ({"max_tokens": 2.5}, "2.5"), ({"keep_last": True}, "True")],
)
def test_trim_turns_rejects_bad_limits_naming_them(kwargs: dict[str, object], bad: str) -> None:
    with pytest.raises(ValueError, match=bad):
        trim_turns([HumanMessage("x")], **kwargs)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- properties
_ids = itertools.count()


@st.composite
def conversations(draw: st.DrawFn) -> list[BaseMessage]:
    """Random conversations: leading/middle system messages, humans, AIs, tool calls whose
    results may come late, after other messages or a human message (malformed but seen)."""
    messages: list[BaseMessage] = [
        SystemMessage(f"system {i}") for i in range(draw(st.integers(0, 2)))
    ]
    pending: list[str] = []
    events = draw(st.lists(st.sampled_from(["human", "ai", "call", "tool", "system"]), max_size=30))
    for event in events:
        text = draw(st.text(alphabet="abcdefgh ", max_size=40))
        if event == "human":
            messages.append(HumanMessage(text or "?"))
        elif event == "ai":
            messages.append(AIMessage(text))
        elif event == "call":
            call_ids = [f"call{next(_ids)}" for _ in range(draw(st.integers(1, 3)))]
            messages.append(_ai_call(*call_ids))
            pending.extend(call_ids)
        elif event == "tool" and pending:
            messages.append(_tool(pending.pop(draw(st.integers(0, len(pending) - 1)))))
        elif event == "system":
            messages.append(SystemMessage(text))
    if draw(st.booleans()):  # answer every open call at the end
        messages.extend(_tool(call_id) for call_id in pending)
    return messages


def _callers(messages: Sequence[BaseMessage]) -> dict[int, int]:
    """id(tool message) -> id(AI message that called it)."""
    owner: dict[str, int] = {}
    result: dict[int, int] = {}
    for message in messages:
        if isinstance(message, AIMessage):
            for call in message.tool_calls:
                owner[str(call["id"])] = id(message)
        elif isinstance(message, ToolMessage) and message.tool_call_id in owner:
            result[id(message)] = owner[message.tool_call_id]
    return result


@settings(max_examples=150, deadline=None)
@given(conversations())
def test_split_turns_partitions_in_order_and_never_separates_tool_pairs(
    messages: list[BaseMessage],
) -> None:
    groups = split_turns(messages)
    assert [m for g in groups for m in g] == messages
    assert all(groups)
    group_of = {id(m): index for index, g in enumerate(groups) for m in g}
    for tool_id, ai_id in _callers(messages).items():
        assert group_of[tool_id] == group_of[ai_id]
    leading = 0
    while leading < len(messages) and isinstance(messages[leading], SystemMessage):
        leading += 1
    rest = groups[1:] if leading else groups
    if leading:
        assert groups[0] == messages[:leading]
    for group in rest[1:]:
        assert isinstance(group[0], HumanMessage)


@settings(max_examples=200, deadline=None)
@given(
    conversations(),
    st.one_of(st.none(), st.integers(0, 25)),
    st.one_of(st.none(), st.integers(0, 400)),
    st.booleans(),
)
def test_trim_turns_keeps_a_suffix_of_whole_turns_within_budget(
    messages: list[BaseMessage],
    keep_last: int | None,
    max_tokens: int | None,
    keep_system: bool,
) -> None:
    kept, dropped = trim_turns(
        messages, keep_last=keep_last, max_tokens=max_tokens, keep_system=keep_system
    )
    groups = split_turns(messages)
    pinned: list[BaseMessage] = []
    if keep_system and groups and isinstance(groups[0][0], SystemMessage):
        pinned = groups.pop(0)
    assert kept[: len(pinned)] == pinned
    tail = kept[len(pinned) :]
    # Together they are the input, each message once, in order.
    assert pinned + dropped + tail == messages
    # The kept part is a suffix of whole turns.
    suffixes = [[m for g in groups[i:] for m in g] for i in range(len(groups) + 1)]
    assert tail in suffixes
    # No tool message is kept without the AI message that called it.
    kept_ids = {id(m) for m in kept}
    for tool_id, ai_id in _callers(messages).items():
        if tool_id in kept_ids:
            assert ai_id in kept_ids
    # Limits are respected whenever they can be (pinned messages alone may exceed them).
    if keep_last is not None:
        assert len(tail) <= keep_last
    if max_tokens is not None and count_tokens_approximately(pinned) <= max_tokens:
        assert count_tokens_approximately(kept) <= max_tokens
    # And nothing more than needed was dropped: one more turn would break a limit.
    position = suffixes.index(tail)
    if position > 0:
        bigger = suffixes[position - 1]
        too_many = keep_last is not None and len(bigger) > keep_last
        too_long = (
            max_tokens is not None and count_tokens_approximately(pinned + bigger) > max_tokens
        )
        assert too_many or too_long
