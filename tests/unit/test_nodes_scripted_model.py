"""ScriptedChatModel: scripted replies, tools, structured output, failures, counting."""

from __future__ import annotations

import pytest
from langchain_core.exceptions import OutputParserException
from langchain_core.messages import AIMessage
from langchain_core.tools import tool
from pydantic import BaseModel

from langmem_plugin.testing import ScriptedChatModel, ScriptExhaustedError


class Person(BaseModel):
    name: str
    age: int


@tool
def lookup(city: str) -> str:
    """Look a city up."""
    return city


def test_plays_the_script_in_order_and_counts_calls() -> None:
    model = ScriptedChatModel(script=["one", AIMessage("two")])
    assert [model.invoke("a").text, model.invoke("b").text] == ["one", "two"]
    assert model.calls == 2
    assert model.inputs[1][0].text == "b"
    with pytest.raises(ScriptExhaustedError, match="2 responses"):
        model.invoke("c")


def test_bind_tools_returns_scripted_tool_calls() -> None:
    call = {"name": "lookup", "args": {"city": "Rome"}, "id": "c1"}
    model = ScriptedChatModel(script=[AIMessage("", tool_calls=[call])])
    reply = model.bind_tools([lookup]).invoke("go")
    assert reply.tool_calls[0]["args"] == {"city": "Rome"}


@pytest.mark.parametrize(
    "item", [{"name": "Ada", "age": 36}, '{"name": "Ada", "age": 36}', Person(name="Ada", age=36)]
)
def test_structured_output_from_dict_json_or_instance(item: object) -> None:
    model = ScriptedChatModel(script=[item])
    assert model.with_structured_output(Person).invoke("x") == Person(name="Ada", age=36)


def test_structured_output_with_json_schema_returns_a_dict() -> None:
    schema = {
        "title": "p",
        "type": "object",
        "properties": {"name": {"type": "string"}},
        "required": ["name"],
    }
    model = ScriptedChatModel(script=[{"name": "Ada"}, {"nom": "Ada"}])
    assert model.with_structured_output(schema).invoke("x") == {"name": "Ada"}
    with pytest.raises(OutputParserException, match="name"):
        model.with_structured_output(schema).invoke("x")


@pytest.mark.parametrize("bad", ["not json {", '{"name": "Ada"}', "[1, 2]"])
def test_malformed_structured_output_raises(bad: str) -> None:
    model = ScriptedChatModel(script=[bad])
    with pytest.raises(OutputParserException):
        model.with_structured_output(Person).invoke("x")
    assert model.calls == 1


def test_raises_on_demand_and_default_reply() -> None:
    model = ScriptedChatModel(script=[TimeoutError("slow")], default="fallback")
    with pytest.raises(TimeoutError, match="slow"):
        model.invoke("x")
    assert model.invoke("y").text == "fallback"


def test_callable_items_see_the_messages() -> None:
    model = ScriptedChatModel(script=[lambda messages: f"echo {messages[-1].text}"])
    assert model.invoke("hi").text == "echo hi"
