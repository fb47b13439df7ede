"""Message records: exact serialisation, search text and a sortable write sequence."""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, message_to_dict, messages_from_dict

__all__ = ["SequenceClock", "decode_message", "encode_message", "search_text"]


class SequenceClock:
    """Hands out strictly increasing ``(nanoseconds, writer_id)`` sequence keys.

    Within a process the nanosecond part strictly increases (a lock and ``max(now,
    last + 1)``), so two writes ordered by happens-before are ordered by key, whatever
    thread or task made them. Across processes, keys compare by wall-clock time and
    ties are broken by the writer id (random per process), so every key is unique and
    every reader sorts records the same way.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = 0
        self._pid = os.getpid()
        self.writer_id = self._new_writer_id()

    @staticmethod
    def _new_writer_id() -> str:
        return f"{os.getpid():x}{uuid.uuid4().hex[:12]}"

    def next_block(self, count: int) -> tuple[int, str]:
        """Reserve ``count`` consecutive sequence numbers.

        Args:
            count: How many numbers to reserve.

        Returns:
            ``(first, writer_id)``: the numbers are ``first .. first + count - 1``.
        """
        with self._lock:
            if os.getpid() != self._pid:  # forked child: never share a writer id
                self._pid = os.getpid()
                self.writer_id = self._new_writer_id()
            first = max(time.time_ns(), self._last + 1)
            self._last = first + max(count, 1) - 1
            return first, self.writer_id


#: One clock per process, shared by every history object.
CLOCK = SequenceClock()


def encode_message(message: BaseMessage) -> str:
    """Serialise one message to JSON so that ``decode_message`` gives it back exactly.

    Args:
        message: Any LangChain message.

    Returns:
        The JSON text.

    Raises:
        TypeError: If ``message`` is not a ``BaseMessage`` or holds values that are not
            JSON-serialisable.
    """
    if not isinstance(message, BaseMessage):
        raise TypeError(f"expected a BaseMessage, got {type(message).__name__}: {message!r:.80}")
    try:
        return json.dumps(message_to_dict(message), ensure_ascii=False)
    except (TypeError, ValueError) as error:
        raise TypeError(f"message {message!r:.120} is not JSON-serialisable: {error}") from error


def decode_message(document: str) -> BaseMessage:
    """Inverse of ``encode_message``."""
    data: dict[str, Any] = json.loads(document)
    return messages_from_dict([data])[0]


def search_text(message: BaseMessage) -> str:
    """The text embedded for semantic search: content plus any tool calls."""
    text = str(message.text)
    parts: list[str] = [text] if text else []
    if isinstance(message, AIMessage):
        parts.extend(
            f"{call['name']}({json.dumps(call['args'], ensure_ascii=False)})"
            for call in message.tool_calls
        )
    return "\n".join(parts) or message.type
