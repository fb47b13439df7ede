"""Test helpers: a scripted chat model that plays back canned responses.

``ScriptedChatModel`` is a real LangChain ``BaseChatModel``: it works in ``create_agent``,
``StateGraph`` nodes, ``bind_tools`` and ``with_structured_output``, counts its calls and can
raise on demand, so memory pipelines can be tested offline and deterministically.

Example:
    >>> from langchain_core.messages import AIMessage
    >>> model = ScriptedChatModel(script=["hi", {"name": "Ada"}])
    >>> model.invoke("hello").content
    'hi'
    >>> model.calls
    1
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.exceptions import OutputParserException
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable, RunnableLambda
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import BaseModel, PrivateAttr, ValidationError
from typing_extensions import override

from langmem_plugin.errors import LangMemError

__all__ = ["ScriptExhaustedError", "ScriptedChatModel"]

ScriptItem = Any
"""An AIMessage, a str, a dict / pydantic instance / JSON string (structured output), an
Exception (raised), or a callable ``(messages) -> any of these``."""


class ScriptExhaustedError(LangMemError, RuntimeError):
    """Raised when a ``ScriptedChatModel`` is called more times than its script allows."""


class ScriptedChatModel(BaseChatModel):
    """A chat model that returns scripted responses in order.

    Script items may be:

    * ``AIMessage`` (tool calls allowed) or ``str``: returned as the reply;
    * ``dict``, a pydantic instance or a JSON string: the reply when used through
      ``with_structured_output`` (a non-JSON string there is malformed output);
    * an ``Exception`` instance: raised by that call;
    * a callable taking the input messages and returning any of the above.

    As a memory's ``llm``, it answers the pipeline's one call per session run: script one
    ``SessionExtraction``-shaped item per run, e.g. ``{"episode": {"summary": "..."},
    "profile": {"facts": [{"category": "location", "value": "Porto"}]}, "lessons": []}``
    (a lesson names the number of the failed task it is for: ``{"failure": 1, ...}``).

    Attributes:
        script: The responses, consumed in order.
        default: Returned once the script is exhausted; when ``None`` an exhausted script
            raises ``ScriptExhaustedError``.
    """

    script: list[Any]
    default: Any = None
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _position: int = PrivateAttr(default=0)
    _inputs: list[list[BaseMessage]] = PrivateAttr(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted-chat-model"

    @property
    def calls(self) -> int:
        """How many times the model has been called."""
        return len(self._inputs)

    @property
    def inputs(self) -> list[list[BaseMessage]]:
        """The messages of every call, in order."""
        return list(self._inputs)

    @property
    def remaining(self) -> int:
        """How many scripted responses are left."""
        return len(self.script) - self._position

    def _next(self, messages: list[BaseMessage]) -> Any:
        with self._lock:
            self._inputs.append(list(messages))
            if self._position >= len(self.script):
                if self.default is None:
                    raise ScriptExhaustedError(
                        f"script of {len(self.script)} responses exhausted at call {self.calls}"
                    )
                item = self.default
            else:
                item = self.script[self._position]
                self._position += 1
        if callable(item) and not isinstance(item, (BaseModel, type)):
            item = item(messages)
        if isinstance(item, BaseException):
            raise item
        return item

    @override
    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        item = self._next(messages)
        if isinstance(item, AIMessage):
            message = item
        elif isinstance(item, str):
            message = AIMessage(content=item)
        elif isinstance(item, BaseModel):
            message = AIMessage(content=item.model_dump_json())
        else:
            message = AIMessage(content=json.dumps(item, default=str))
        return ChatResult(generations=[ChatGeneration(message=message)])

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools; the script decides which tool calls are made."""
        formatted = [convert_to_openai_tool(t) for t in tools]
        return self.bind(tools=formatted, tool_choice=tool_choice, **kwargs)

    @override
    def with_structured_output(
        self,
        schema: dict[str, Any] | type,
        *,
        include_raw: bool = False,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | BaseModel]:
        """Return a runnable that parses the next scripted item against ``schema``.

        A pydantic schema yields an instance of it (``ValidationError`` on invalid data);
        a JSON schema yields a dict (``OutputParserException`` when it is not a JSON object
        or lacks required keys). The call is counted like any other.
        """

        def parse(raw: AIMessage) -> dict[str, Any] | BaseModel:
            data: Any
            if raw.tool_calls:
                data = raw.tool_calls[0]["args"]
            else:
                text = raw.text
                try:
                    data = json.loads(text)
                except json.JSONDecodeError as exc:
                    raise OutputParserException(
                        f"malformed structured output: {text[:200]!r}"
                    ) from exc
            if isinstance(schema, type) and issubclass(schema, BaseModel):
                try:
                    return schema.model_validate(data)
                except ValidationError as exc:
                    raise OutputParserException(f"invalid structured output: {exc}") from exc
            if not isinstance(data, dict):
                raise OutputParserException(f"structured output is not an object: {data!r}")
            required = schema.get("required", []) if isinstance(schema, dict) else []
            missing = [k for k in required if k not in data]
            if missing:
                raise OutputParserException(f"structured output lacks keys {missing}: {data!r}")
            return data

        return self | RunnableLambda(parse)
