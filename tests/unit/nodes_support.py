"""Helpers of the memory-node tests: a tiny object with the MemoryFeatures contract."""

from __future__ import annotations

from functools import cache
from typing import Any

from langchain_core.language_models import BaseChatModel
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.store.memory import InMemoryStore

from langmem_plugin._embeddings import LocalEmbeddings
from langmem_plugin.nodes._features import MemoryFeatures


@cache
def embeddings() -> LocalEmbeddings:
    return LocalEmbeddings()


class FeatureHost(MemoryFeatures):
    """The attributes MemoryFeatures assumes, over a real InMemoryStore with real embeddings."""

    def __init__(self, llm: BaseChatModel | None = None, **options: Any) -> None:
        self.store = InMemoryStore(
            index={"dims": 384, "embed": embeddings(), "fields": ["content"]}
        )
        self.embeddings = embeddings()
        self.llm = llm
        if options:
            self.configure_memory(**options)


def memory_graph(host: MemoryFeatures, model: BaseChatModel, checkpointer: Any = None) -> Any:
    """working_memory -> recall -> model -> extract_profile -> reflect, compiled."""

    def call_model(state: MessagesState) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    nodes = host.nodes
    builder = StateGraph(MessagesState)
    builder.add_node(nodes.working_memory)
    builder.add_node(nodes.recall)
    builder.add_node("model", call_model)
    builder.add_node(nodes.extract_profile)
    builder.add_node(nodes.reflect)
    builder.add_edge(START, "working_memory")
    builder.add_edge("working_memory", "recall")
    builder.add_edge("recall", "model")
    builder.add_edge("model", "extract_profile")
    builder.add_edge("extract_profile", "reflect")
    builder.add_edge("reflect", END)
    return builder.compile(checkpointer=checkpointer, store=host.store)
