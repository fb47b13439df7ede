"""Recall's evidence-in-context on LoCoMo for several dense/lexical weights of the archive.

Usage::

    python scripts/sweep_fusion_weights.py DATA.json [--embeddings mpnet] [--dense 0.3 0.4 0.5]

Ingests the file once (as ``benchmarks/locomo_context.py`` does), then for each dense weight
``w`` (lexical ``1 - w``) builds recall with ``retriever_options={"dense_weight": w,
"lexical_weight": 1 - w}`` and prints evidence in context (800 tokens) and the share of
questions whose first evidence turn is in the archive ranking's top 20. A tuning aid, not a
benchmark: no latency, no baselines.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from _locomo import (
    DocumentCache,
    add_embeddings_argument,
    content_words,
    evidence_in_context,
    evidence_rank,
    load,
)
from locomo_context import ingest

from langmem_plugin._embeddings import LocalEmbeddings
from langmem_plugin.memory import Memory
from langmem_plugin.nodes import MemoryOptions
from langmem_plugin.nodes._context import Scope
from langmem_plugin.nodes.recall import ARCHIVE, ARCHIVE_RETRIEVER_OPTIONS, Recall
from langmem_plugin.retriever import MemoryRetriever


def main() -> None:
    """Measure and print (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data")
    parser.add_argument("--dense", type=float, nargs="+", default=[0.3, 0.4, 0.5, 0.6])
    add_embeddings_argument(parser)
    args = parser.parse_args()
    conversations = load(args.data)
    cache = DocumentCache(LocalEmbeddings(model=args.embeddings))
    cache.serving = True
    with (
        tempfile.TemporaryDirectory() as tmp,
        Memory.from_path(Path(tmp) / "memory", embeddings=cache) as memory,
    ):
        for conv in conversations:
            ingest(memory, conv)
        memory.flush()
        for dense in args.dense:
            options = {
                **ARCHIVE_RETRIEVER_OPTIONS,
                "dense_weight": dense,
                "lexical_weight": 1 - dense,
            }
            recall = Recall(
                memory.store, retriever_options=options, counter=MemoryOptions().token_counter
            )
            found, top20 = [], []
            for conv in conversations:
                said = {t.dia_id: t.said for t in conv.turns}
                archive = MemoryRetriever(
                    store=memory.store, namespace=(ARCHIVE, conv.sample_id), **options
                )
                for q in conv.questions:
                    evidence = [said[d] for d in sorted(q.evidence)]
                    text = recall.build(Scope(conv.sample_id), q.text).text
                    hit = evidence_in_context(evidence, content_words(text))
                    if hit is None:
                        continue
                    found.append(hit)
                    ranked = [i.value["content"] for i in archive.search_items(q.text, k=50)]
                    rank = evidence_rank(ranked, evidence)
                    top20.append(rank is not None and rank < 20)
            print(
                f"{args.embeddings} dense {dense:.2f} lexical {1 - dense:.2f}: evidence in "
                f"context {sum(found) / len(found):.4f}, top 20 {sum(top20) / len(top20):.4f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
