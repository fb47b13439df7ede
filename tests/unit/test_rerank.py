"""The reranker hook (a LangChain BaseDocumentCompressor) and the one-query-embedding rule."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from langchain_core.callbacks import Callbacks
from langchain_core.documents import Document
from langchain_core.documents.compressor import BaseDocumentCompressor
from langchain_core.embeddings import Embeddings
from langchain_core.messages import AIMessage, HumanMessage
from langgraph.store.memory import InMemoryStore

from langmem_plugin._embeddings import LocalEmbeddings
from langmem_plugin.errors import RerankerError
from langmem_plugin.retriever import MemoryRetriever
from tests.unit.nodes_support import FeatureHost, embeddings

NS = ("memories", "ada")
FACTS = [
    "Ada adopted a grey cat named Miso in March.",
    "Ada's favourite drink is green tea.",
    "Ada sails on the Tagus every Sunday.",
    "Ada is learning Portuguese at an evening class.",
    "Ada's cat Miso likes sleeping on the piano.",
]


class KeywordFirst(BaseDocumentCompressor):
    """A scripted reranker: documents containing ``word`` first, then the rest reversed."""

    word: str
    calls: list[str] = []

    def model_post_init(self, context: Any, /) -> None:
        self.calls = []

    def _order(self, documents: Sequence[Document]) -> list[Document]:
        hits = [d for d in documents if self.word in d.page_content.lower()]
        rest = [d for d in reversed(documents) if d not in hits]
        return [
            Document(
                d.page_content, metadata={**d.metadata, "relevance_score": 1.0 - i / 100}, id=d.id
            )
            for i, d in enumerate([*hits, *rest])
        ]

    def compress_documents(
        self, documents: Sequence[Document], query: str, callbacks: Callbacks | None = None
    ) -> Sequence[Document]:
        self.calls.append(f"sync:{query}:{len(documents)}")
        return self._order(documents)

    async def acompress_documents(
        self, documents: Sequence[Document], query: str, callbacks: Callbacks | None = None
    ) -> Sequence[Document]:
        self.calls.append(f"async:{query}:{len(documents)}")
        return self._order(documents)


class Impostor(KeywordFirst):
    """Returns a document it was not given."""

    def _order(self, documents: Sequence[Document]) -> list[Document]:
        return [Document("made up", id="memories/ada/nope")]


class CountingEmbeddings(Embeddings):
    """Wraps real embeddings and counts the calls (keeps the inner model's gates)."""

    def __init__(self, inner: LocalEmbeddings) -> None:
        self.inner = inner
        self.queries = 0
        self.documents = 0

    @property
    def similarity_gates(self) -> Any:
        return self.inner.similarity_gates

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.documents += 1
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        self.queries += 1
        return self.inner.embed_query(text)

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        self.documents += 1
        return await self.inner.aembed_documents(texts)

    async def aembed_query(self, text: str) -> list[float]:
        self.queries += 1
        return await self.inner.aembed_query(text)


@pytest.fixture(scope="module")
def store() -> InMemoryStore:
    store = InMemoryStore(index={"dims": 384, "embed": embeddings(), "fields": ["content"]})
    for i, text in enumerate(FACTS):
        store.put(NS, f"m{i}", {"content": text, "occurred_at": f"2026-03-0{i + 1}"})
    return store


def test_retriever_returns_the_rerankers_order_and_metadata(store: InMemoryStore) -> None:
    plain = MemoryRetriever(store=store, namespace=NS).invoke("tea", k=5)
    reranker = KeywordFirst(word="piano")
    reranked = MemoryRetriever(store=store, namespace=NS, reranker=reranker).invoke("tea", k=3)
    assert plain[0].page_content == FACTS[1]  # the fused ranking puts tea first
    assert reranked[0].page_content == FACTS[4]  # the reranker puts the piano first
    assert len(reranked) == 3
    assert reranked[0].metadata["relevance_score"] == 1.0
    assert reranked[0].metadata["raw_scores"]  # the retriever's metadata is kept
    assert reranker.calls == ["sync:tea:5"]  # all 5 memories (< rerank_candidates) went in


async def test_retriever_async_calls_the_rerankers_async_method(store: InMemoryStore) -> None:
    reranker = KeywordFirst(word="piano")
    retriever = MemoryRetriever(store=store, namespace=NS, reranker=reranker, rerank_candidates=2)
    docs = await retriever.ainvoke("cat", k=1)
    assert reranker.calls == ["async:cat:2"]  # max(k, rerank_candidates) candidates
    assert len(docs) == 1
    assert "cat" in docs[0].page_content.lower()


def test_retriever_refuses_a_document_the_reranker_made_up(store: InMemoryStore) -> None:
    retriever = MemoryRetriever(store=store, namespace=NS, reranker=Impostor(word="x"))
    with pytest.raises(RerankerError, match="memories/ada/nope"):
        retriever.invoke("tea")


@pytest.fixture(scope="module")
def host() -> FeatureHost:
    host = FeatureHost()
    host.ingest(
        [
            HumanMessage("I adopted a grey cat called Miso last week."),
            AIMessage("Lovely! How is Miso settling in?"),
            HumanMessage("Great, she sleeps on the piano all day."),
            AIMessage("Cats love warm spots."),
            HumanMessage("I also started sailing lessons on Sundays."),
        ],
        user_id="ada",
        thread_id="t0",
        timestamp=datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
    )
    host.flush()
    return host


#: Room for the header and about two turns: what the ranking puts first is what is shown.
TIGHT = 75


def test_recall_context_packs_turns_in_the_rerankers_order(host: FeatureHost) -> None:
    plain = FeatureHost(recall_tokens=TIGHT)
    plain.store = host.store
    reranker = KeywordFirst(word="sailing")
    ranked = FeatureHost(reranker=reranker, recall_tokens=TIGHT)
    ranked.store = host.store
    without = plain.recall_context("ada", "tell me about my cat")
    text = ranked.recall_context("ada", "tell me about my cat")
    assert reranker.calls
    assert reranker.calls[0].startswith("sync:tell me about my cat:")
    assert "Miso" in without
    assert "sailing" not in without
    assert "sailing lessons" in text  # lifted by the reranker although unrelated to cats


async def test_arecall_context_uses_the_rerankers_async_method(host: FeatureHost) -> None:
    reranker = KeywordFirst(word="sailing")
    ranked = FeatureHost(reranker=reranker, recall_tokens=TIGHT)
    ranked.store = host.store
    text = await ranked.arecall_context("ada", "tell me about my cat")
    assert [c.split(":")[0] for c in reranker.calls] == ["async"]
    assert "sailing lessons" in text
    assert text == ranked.recall_context("ada", "tell me about my cat")


def test_one_recall_embeds_the_query_once_and_no_document(host: FeatureHost) -> None:
    counting = CountingEmbeddings(embeddings())
    counted = FeatureHost()
    counted.store = InMemoryStore(index={"dims": 384, "embed": counting, "fields": ["content"]})
    counted.embeddings = counting
    counted.ingest(
        [HumanMessage("I adopted a grey cat called Miso."), AIMessage("Lovely!")],
        user_id="ada",
        thread_id="t0",
    )
    counted.flush()
    assert counting.documents >= 1  # ingestion embedded the turns, in batches
    counting.queries = counting.documents = 0
    text = counted.recall_context("ada", "what is my cat called?")
    assert "Miso" in text
    assert (counting.queries, counting.documents) == (1, 0)


async def test_one_async_recall_embeds_the_query_once(host: FeatureHost) -> None:
    counting = CountingEmbeddings(embeddings())
    counted = FeatureHost()
    counted.store = InMemoryStore(index={"dims": 384, "embed": counting, "fields": ["content"]})
    counted.embeddings = counting
    counted.ingest([HumanMessage("My cat is called Miso.")], user_id="ada", thread_id="t0")
    counted.flush()
    counting.queries = counting.documents = 0
    assert "Miso" in await counted.arecall_context("ada", "what is my cat called?")
    assert (counting.queries, counting.documents) == (1, 0)
