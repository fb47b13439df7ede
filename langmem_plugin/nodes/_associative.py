"""Associative recall: from the entities a query names to what is linked to them.

After recall has ranked its candidates (one query embedding, one store batch), this step
looks the query's words up among the user's entities (``knowledge``: one indexed SQL
query on hashed names, no embedding) and, when it names some:

1. adds the **relations** of those entities that still hold ("Lena lives in Berlin
   (since ...)") as short lines of their own section;
2. follows them one hop to the **related entities**, and from both to the archived
   **turns that mention them** (memory chains): a candidate turn that mentions one is
   ranked higher, and a turn the ranking missed is fetched by key (one store batch of
   gets, no embedding) and joins the pool when it shares a word with the query.

Everything competes in the same ranked pool under the same token budget, so a turn the
chain brings in displaces the weakest candidate, never the budget.

Scales (on recall's pool, where a turn's relevance is at most the best raw similarity of
a turn to the query): a relation line gets ``best * (RELATION_BASE + RELATION_WORDS *
share)``, a chained turn ``best * (CHAIN_BASE + CHAIN_WORDS * share)`` (``share``: the
part of the query's content words, names aside, that the line or turn holds); a candidate
turn that mentions a named entity is lifted by ``MENTION_BOOST``, one that mentions a
related entity by ``RELATED_BOOST``.

Why these values (LoCoMo dev, 760 questions, MiniLM, 800 tokens, the offline rules' graph;
evidence-in-context per category 1 multi-hop / 2 temporal / 3 open-domain / 4 single-hop;
without the expansion 0.866 / 0.955 / 0.636 / 0.962):

* the first design (8 relation lines at ``0.55 + 0.4 share``, 8 chained turns at
  ``0.5 + 0.4 share`` for any shared word, boosts 0.15 / 0.1) cost evidence everywhere:
  0.817 / 0.935 / 0.659 / 0.950. Relation lines and weakly related turns outranked turns
  that held the evidence, in a budget that holds about 20 turns;
* boosts alone (0.1 / 0.1): 0.859 / 0.961 / 0.659 / 0.962; a related-entity boost alone
  (0.1): 0.859 / 0.955 / 0.659 / 0.962 (greetings name the other speaker, so "mentions a
  named entity" is a weak signal there, and one multi-hop question lost its evidence);
* 3 relation lines and 4 chained turns at base 0.3: 0.866 / 0.948 / 0.636 / 0.962;
* 2 relation lines sharing a query word at ``0.1 + 0.2 share``, 2 chained turns holding
  60% of the query's words, no boosts: 0.866 / 0.955 / 0.636 / 0.962, no category falls;
* a related-entity boost of 0.05 with those relation lines and no chains: 0.866 / 0.955 /
  0.659 / 0.962 (one open-domain question more);
* the values here (that boost, the 2 strict chained turns, and relation lines kept
  without a shared word: they rank below nearly every turn, so they fill what the turns
  leave): 0.866 / 0.955 / 0.659 / 0.962 (``benchmarks/locomo_context.py``, overall 0.925
  against 0.923 without).

So on LoCoMo the expansion is neutral, and it does not raise multi-hop evidence: the
offline rules find few relations in those conversations (they are about activities in
common nouns, "I went camping"), and the turns the chains reach are mostly already among
the candidates. The relations it adds are cheap lines that fill a budget the turns leave
(a small memory: the notebook, the README example), and with a model's relations, which
are richer, the same weights apply.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from langchain_core.documents import Document
from langgraph.store.base import GetOp, Item

from langmem_plugin._namespaces import user_namespace
from langmem_plugin._text import QUESTION_WORDS, analyze
from langmem_plugin.knowledge._graph import knowledge_of
from langmem_plugin.knowledge._model import Relation
from langmem_plugin.knowledge._pipeline import ngrams
from langmem_plugin.nodes._context import Scope
from langmem_plugin.nodes._turns import named, norm, turn_of

if TYPE_CHECKING:
    from langmem_plugin.nodes.recall import Recall, _Entry

__all__ = ["RELATIONS_TITLE", "associate"]

RELATIONS_TITLE = "Known relations between people, places and things:"
#: Relation lines added at most (those sharing the most words with the query first).
K_RELATIONS = 2
RELATIONS_READ = 200
RELATION_BASE, RELATION_WORDS, RELATION_MIN_SHARE = 0.1, 0.2, 0.0
#: Turns the chains bring in at most, each holding >= 60% of the query's content words.
K_CHAINED = 2
CHAIN_BASE, CHAIN_WORDS, CHAIN_MIN_SHARE = 0.3, 0.4, 0.6
#: Mentions read (newest first), and the turns among them fetched when not candidates yet:
#: at 10,000 turns (``benchmarks/recall_latency.py``) fetching 40 cost 4.1 ms of recall's p50
#: (26.8 -> 30.9 ms), 10 cost 3.5 ms (22.4 -> 25.9 ms, another run).
MENTIONS = 100
FETCH = 10
#: Lift of candidate turns that mention a named / a related entity (measured below).
MENTION_BOOST, RELATED_BOOST = 0.0, 0.05


def _share(query_terms: set[str], text: str) -> float:
    if not query_terms:
        return 0.0
    return len(query_terms & set(analyze(text))) / len(query_terms)


def associate(
    recall: Recall,
    scope: Scope,
    query: str,
    docs: Sequence[Document],
    entries: list[_Entry],
    present: frozenset[str],
) -> list[_Entry]:
    """``entries`` with the query's entities' relations and chained turns (module docstring)."""
    graph = knowledge_of(recall.store)
    if graph is None:
        return entries
    user = scope.user_id
    found = graph.find(user, ngrams(query))
    if not found:
        return entries
    names = {e.id: e for e in found.values()}
    name_words = set(analyze(" ".join(e.name for e in names.values())))
    terms = set(analyze(query, drop=QUESTION_WORDS)) - name_words
    relations = graph.relations(user, list(names), current=True, limit=RELATIONS_READ)
    # One hop, along the relations that share a word with the query (all, when few).
    along = [r for r in relations if _share(terms, r.line()) > 0.0]
    if len(relations) <= K_RELATIONS:
        along = relations
    related = {r.object_id if r.subject_id in names else r.subject_id for r in along}
    related -= set(names)
    sims = [d.metadata.get("raw_scores", {}).get("similarity") for d in docs]
    best = max((s for s in sims if s is not None), default=None)
    out = list(entries) + _relation_entries(
        relations, terms, best if best is not None else recall.min_turn_similarity
    )
    if best is not None and best >= recall.min_turn_similarity:
        # the archive holds something near the query: follow the chains to its turns
        mentions = graph.mentions(user, [*names, *related], limit=MENTIONS)
        threads = {m.message_id: m.thread_id for m in mentions}  # newest first
        direct = {m.message_id for m in mentions if m.entity_id in names}
        have: set[str] = set()
        for entry in out:
            if entry.turn is not None:
                have.add(entry.key)
                if entry.key in direct:
                    entry.relevance *= 1.0 + MENTION_BOOST
                elif entry.key in threads:
                    entry.relevance *= 1.0 + RELATED_BOOST
        wanted = [(t, k) for k, t in threads.items() if k not in have and k not in present]
        if terms:  # a chained turn must share the query's words: none to share, none to fetch
            out += _chained(recall, user, wanted[:FETCH], docs, terms, direct, best)
    out.sort(key=lambda e: -e.relevance)
    return out


def _relation_entries(relations: Sequence[Relation], terms: set[str], top: float) -> list[_Entry]:
    """The relations as pool entries, those sharing the query's words first."""
    from langmem_plugin.nodes.recall import _Entry

    shares = {r.id: _share(terms, r.line()) for r in relations}
    scored = sorted(
        (r for r in relations if shares[r.id] >= RELATION_MIN_SHARE), key=lambda r: -shares[r.id]
    )
    out = []
    for relation in scored[:K_RELATIONS]:
        line = f"- {relation.line()}"
        relevance = top * (RELATION_BASE + RELATION_WORDS * shares[relation.id])
        out.append(_Entry("relation", relevance, line, relation.id, norm(line)))
    return out


def _chained(
    recall: Recall,
    user: str,
    wanted: Sequence[tuple[str, str]],
    docs: Sequence[Document],
    terms: set[str],
    direct: set[str],
    best: float,
) -> list[_Entry]:
    """Turns the chains reach that the ranking missed: fetched by key, kept on shared words."""
    from langmem_plugin.nodes.recall import ARCHIVE, _Entry

    if not wanted:
        return []
    ops = [GetOp(user_namespace(ARCHIVE, user, t), k) for t, k in wanted]
    items = [i for i in recall.store.batch(ops) if isinstance(i, Item)]
    new_docs = [
        Document(
            page_content=str(i.value.get("content", "")),
            metadata={**i.value, "namespace": i.namespace, "key": i.key},
        )
        for i in items
        if i.value.get("content")
    ]
    heads = Counter(named(d.page_content.strip()) for d in [*docs, *new_docs])
    speakers = {n for n, c in heads.items() if n is not None and c >= 2}
    chained = []
    for doc in new_docs:
        share = _share(terms, doc.page_content)
        if share < CHAIN_MIN_SHARE:
            continue
        turn = turn_of(doc, speakers)
        weight = 1.0 if str(doc.metadata.get("key")) in direct else 0.9
        relevance = best * (CHAIN_BASE + CHAIN_WORDS * share) * weight
        chained.append(_Entry("turn", relevance, turn.line, turn.key, turn.text, turn))
    chained.sort(key=lambda e: -e.relevance)
    return chained[:K_CHAINED]


def relation_keys(chosen: Sequence[Any]) -> list[str]:
    """Ids of the relations a recall put in the context."""
    return [e.key for e in chosen if e.kind == "relation"]
