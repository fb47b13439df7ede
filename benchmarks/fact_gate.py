"""Precision and recall of the profile-fact search gate on labelled (query, fact) pairs.

Usage: python benchmarks/fact_gate.py [--misses]

The pairs are ``tests/data/fact_relevance.jsonl`` (see ``make_fact_relevance.py``): the
``train`` split is what ``nodes._fact_gate``'s floor was chosen on, ``heldout`` was not
used to tune. For comparison, the single cosine floor on the whole ``category: value``
line (what search applied before: ``Recall.floor``, MiniLM 0.15) is scored too, and the
best single floor chosen on train. Precision = pairs kept that are relevant / pairs kept;
recall = relevant pairs kept / relevant pairs. Deterministic; the last line is JSON.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from langmem_plugin._embeddings import resolve_embeddings
from langmem_plugin.nodes._fact_gate import FactGate

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "fact_relevance.jsonl"


def load_pairs(path: Path = DATA) -> list[dict[str, Any]]:
    """The labelled pairs."""
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def precision_recall(kept: list[bool], labels: list[bool]) -> tuple[float, float]:
    """Precision and recall of keeping ``kept`` against ``labels``."""
    hits = sum(k and lab for k, lab in zip(kept, labels, strict=True))
    n_kept, n_rel = sum(kept), sum(labels)
    return (round(hits / n_kept, 3) if n_kept else 1.0, round(hits / n_rel, 3) if n_rel else 1.0)


def gate_decisions(gate: FactGate, rows: list[dict[str, Any]]) -> list[bool]:
    """The gate's verdict on every pair (subjects: the user's name and id)."""
    return [
        gate.relevant(r["query"], r["category"], r["value"], subjects=[r["subject"], r["user"]])
        for r in rows
    ]


def line_similarity(embeddings: Any, rows: list[dict[str, Any]]) -> list[float]:
    """Cosine similarity of each query with its whole fact line (the store's score)."""
    texts = [r["query"] for r in rows] + [f"{r['category']}: {r['value']}" for r in rows]
    vectors = np.asarray(embeddings.embed_documents(texts), dtype=float)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    n = len(rows)
    return [float(vectors[i] @ vectors[n + i]) for i in range(n)]


def main() -> None:
    """Print the gate's and the single floors' figures per split; the last line is JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true")
    args = parser.parse_args()
    embeddings = resolve_embeddings(None)
    gate = FactGate(embeddings)
    rows = load_pairs()
    figures: dict[str, Any] = {}
    train = [r for r in rows if r["split"] == "train"]
    sims_train = line_similarity(embeddings, train)
    labels_train = [r["relevant"] for r in train]

    def f1(floor: float) -> float:
        p, r = precision_recall([s >= floor for s in sims_train], labels_train)
        return 2 * p * r / (p + r) if p + r else 0.0

    best = max((round(x, 2) for x in np.arange(0.1, 0.8, 0.01)), key=f1)
    for split in ("train", "heldout"):
        part = [r for r in rows if r["split"] == split]
        labels = [r["relevant"] for r in part]
        kept = gate_decisions(gate, part)
        sims = line_similarity(embeddings, part)
        figures[split] = {
            "pairs": len(part),
            "relevant": sum(labels),
            "gate": precision_recall(kept, labels),
            "floor_0.15": precision_recall([s >= 0.15 for s in sims], labels),
            f"floor_{best}": precision_recall([s >= best for s in sims], labels),
        }
        print(f"{split}: {len(part)} pairs, {sum(labels)} relevant")
        for name, (p, r) in list(figures[split].items())[2:]:
            print(f"  {name:<12} precision {p:.3f} recall {r:.3f}")
        if args.misses:
            for row, k in zip(part, kept, strict=True):
                if k != row["relevant"]:
                    print(
                        f"    {'kept' if k else 'dropped'}: {row['query']!r} / "
                        f"{row['category']}: {row['value']}"
                    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
