"""Turn-aware helpers over LangChain message lists.

A *turn* is the unit that trimming, summarising and archiving may drop or move: it
starts at a ``HumanMessage`` (or at the first message) and runs until the next
``HumanMessage``. An ``AIMessage`` carrying ``tool_calls`` and the ``ToolMessage``
objects that answer it always end up in the same turn, even if (malformed input) a
human message sits between them, because a model provider rejects a tool result whose
tool call is missing. Leading ``SystemMessage`` objects form a group of their own so
that they can be pinned.

These helpers are shared by the chat history (``trim``) and the working-memory node.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    MessageLikeRepresentation,
    SystemMessage,
    ToolMessage,
    convert_to_messages,
)
from langchain_core.messages.utils import count_tokens_approximately

from langmem_plugin.errors import InvalidMessageError

__all__ = ["TokenCounter", "as_messages", "count_tokens", "split_turns", "trim_turns"]


def as_messages(messages: Sequence[MessageLikeRepresentation]) -> list[BaseMessage]:
    """Messages from anything ``graph.invoke`` accepts (LangChain's ``convert_to_messages``).

    Messages, ``("user", "text")`` tuples, ``{"role": ..., "content": ...}`` dicts and
    plain strings (human turns) all become messages, so ``memory.ingest`` takes what a
    graph takes.

    Raises:
        InvalidMessageError: An entry is none of those (the first such entry is named).
    """
    one_pair = isinstance(messages, tuple) and all(isinstance(m, str) for m in messages)
    if isinstance(messages, str | BaseMessage | dict) or one_pair:
        raise InvalidMessageError(
            f"expected a list of messages, got one {type(messages).__name__}: {messages!r:.80}"
        )
    converted: list[BaseMessage] = []
    for entry in messages:
        try:
            converted.extend(convert_to_messages([entry]))
        except (ValueError, NotImplementedError, TypeError, KeyError) as error:
            raise InvalidMessageError(
                f"not a message, ('role', 'text') pair, role/content dict or string: "
                f"{entry!r:.80} ({' '.join(str(error).split())[:120]})"
            ) from error
    return converted


TokenCounter = Callable[[Sequence[BaseMessage]], int]
"""A callable returning the number of tokens of a list of messages."""


def _tool_pair_spans(messages: Sequence[BaseMessage]) -> list[tuple[int, int]]:
    """Return ``(ai_index, tool_index)`` for every tool message answering an earlier AI call."""
    owner: dict[str, int] = {}
    spans: list[tuple[int, int]] = []
    for index, message in enumerate(messages):
        if isinstance(message, AIMessage):
            for call in message.tool_calls:
                call_id = call.get("id")
                if call_id:
                    owner[call_id] = index
        elif isinstance(message, ToolMessage) and message.tool_call_id in owner:
            spans.append((owner[message.tool_call_id], index))
    return spans


def split_turns(messages: Sequence[BaseMessage]) -> list[list[BaseMessage]]:
    """Group messages into turns that must never be separated.

    Args:
        messages: The conversation, oldest first.

    Returns:
        The groups, oldest first; concatenated they give back ``messages``. Leading
        system messages are a group of their own; every other group starts at a
        human message (or at the first non-system message) and keeps an AI tool call
        together with the tool messages answering it.

    Example:
        >>> from langchain_core.messages import AIMessage, HumanMessage
        >>> [len(t) for t in split_turns([HumanMessage("a"), AIMessage("b"), HumanMessage("c")])]
        [2, 1]
    """
    messages = list(messages)
    if not messages:
        return []
    # A boundary before index i is forbidden when a tool pair straddles it.
    forbidden = [False] * (len(messages) + 1)
    for ai_index, tool_index in _tool_pair_spans(messages):
        for boundary in range(ai_index + 1, tool_index + 1):
            forbidden[boundary] = True
    groups: list[list[BaseMessage]] = []
    start = 0
    while start < len(messages) and isinstance(messages[start], SystemMessage):
        start += 1
    if start:
        groups.append(messages[:start])
    current: list[BaseMessage] = []
    for index in range(start, len(messages)):
        message = messages[index]
        if current and isinstance(message, HumanMessage) and not forbidden[index]:
            groups.append(current)
            current = []
        current.append(message)
    if current:
        groups.append(current)
    return groups


def count_tokens(messages: Sequence[BaseMessage], counter: TokenCounter | None = None) -> int:
    """Count the tokens of ``messages``.

    Args:
        messages: The messages to count.
        counter: A callable returning a token count for a list of messages (for
            example a model's ``get_num_tokens_from_messages``). Defaults to
            LangChain's ``count_tokens_approximately``.

    Returns:
        The token count.
    """
    if counter is None:
        return count_tokens_approximately(messages)
    return int(counter(list(messages)))


def _check_limit(name: str, value: int | None) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise ValueError(f"{name} must be a non-negative integer or None, got {value!r}")


def trim_turns(
    messages: Sequence[BaseMessage],
    *,
    keep_last: int | None = None,
    max_tokens: int | None = None,
    counter: TokenCounter | None = None,
    keep_system: bool = True,
) -> tuple[list[BaseMessage], list[BaseMessage]]:
    """Drop whole oldest turns until the rest fits the limits.

    The kept part is always a suffix of the turns of ``split_turns`` (preceded by the
    leading system messages when ``keep_system``), so a tool message is never kept
    without the AI message that called the tool. Limits are hard: if even the newest
    turn does not fit, it is dropped too and only the pinned system messages remain
    (the limits cannot be met when the system messages alone exceed them).

    Args:
        messages: The conversation, oldest first.
        keep_last: Keep at most this many messages, not counting pinned system messages.
        max_tokens: Keep at most this many tokens, pinned system messages included.
        counter: Token counter (see ``count_tokens``); it must not decrease when
            messages are added.
        keep_system: Pin the leading system messages (never dropped).

    Returns:
        ``(kept, dropped)``: both in their original order; together they hold every
        input message once.

    Raises:
        ValueError: If ``keep_last`` or ``max_tokens`` is negative or not an integer.
    """
    _check_limit("keep_last", keep_last)
    _check_limit("max_tokens", max_tokens)
    groups = split_turns(messages)
    pinned: list[BaseMessage] = []
    if keep_system and groups and isinstance(groups[0][0], SystemMessage):
        pinned = groups.pop(0)

    suffix_sizes = [0] * (len(groups) + 1)
    for index in range(len(groups) - 1, -1, -1):
        suffix_sizes[index] = suffix_sizes[index + 1] + len(groups[index])

    def fits(start: int) -> bool:
        if keep_last is not None and suffix_sizes[start] > keep_last:
            return False
        if max_tokens is None:
            return True
        candidate = pinned + [m for group in groups[start:] for m in group]
        return count_tokens(candidate, counter) <= max_tokens

    # Smallest start index whose suffix fits; fits() is monotone in start.
    low, high = 0, len(groups)
    while low < high:
        middle = (low + high) // 2
        if fits(middle):
            high = middle
        else:
            low = middle + 1
    kept = pinned + [m for group in groups[low:] for m in group]
    dropped = [m for group in groups[:low] for m in group]
    return kept, dropped
