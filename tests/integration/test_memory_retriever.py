"""Memory.retriever: a hybrid retriever scoped to one user and one kind of memory."""

from __future__ import annotations

from langmem_plugin import Memory, MemoryRetriever


def test_memory_retriever_is_scoped_to_one_user_and_kind() -> None:
    with Memory.in_memory() as memory:
        memory.store.put(("memories", "ada"), "1", {"content": "Ada drinks green tea"})
        memory.store.put(("memories", "ada"), "2", {"content": "Ada sails in the Azores"})
        memory.store.put(("memories", "bob"), "1", {"content": "Bob drinks green tea"})
        memory.store.put(("episodes", "ada"), "e", {"content": "Ada talked about green tea"})
        retriever = memory.retriever("ada", k=5)
        assert isinstance(retriever, MemoryRetriever)
        docs = retriever.invoke("who drinks green tea?")
        assert docs[0].page_content == "Ada drinks green tea"
        assert {d.metadata["namespace"] for d in docs} == {("memories", "ada")}
        episodes = memory.retriever("ada", kind="episodes").invoke("green tea")
        assert [d.page_content for d in episodes] == ["Ada talked about green tea"]
        assert memory.retriever("carol").invoke("green tea") == []
