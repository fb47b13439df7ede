"""A graph for ``langgraph dev`` that remembers what each user says, in the server's store.

It never names a store: the server gives every run the store of ``langgraph.json``
(``store.py``'s ``ChromaStore``) as ``runtime.store``. The user comes from the run's
context (``client.runs.wait(..., context={"user_id": "ada"})``) and sits at namespace
position 1, as in every langmem namespace, so ``langmem forget`` reaches it.
"""

from __future__ import annotations

import uuid
from typing import TypedDict

from langchain_core.messages import AIMessage
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.runtime import Runtime

from langmem_plugin._namespaces import user_label


class Context(TypedDict):
    """Per-run context: whose memory this is."""

    user_id: str


async def remember(state: MessagesState, runtime: Runtime[Context]) -> dict:
    """Store the user's message, then answer with what the store recalls for it."""
    assert runtime.store is not None
    namespace = ("memories", user_label(runtime.context["user_id"]))
    text = state["messages"][-1].text
    await runtime.store.aput(namespace, str(uuid.uuid4()), {"content": text})
    hits = await runtime.store.asearch(namespace, query=text, limit=3)
    recalled = "; ".join(hit.value["content"] for hit in hits)
    return {"messages": [AIMessage(f"I remember: {recalled}")]}


builder = StateGraph(MessagesState, context_schema=Context)
builder.add_node(remember)
builder.add_edge(START, "remember")
graph = builder.compile()
