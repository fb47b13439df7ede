"""Print the raw-similarity figures recall's per-model gates are set from (``SimilarityGates``).

Usage::

    python scripts/calibrate_similarity_gates.py ../shared/data/locomo/locomo_dev.json

For each local model (MiniLM, and mpnet when its extra is installed), on the LoCoMo file:

* **questions**: for every category 1-4 question, the best cosine similarity of a turn of its
  own conversation to it; printed as min / 1st percentile / median. The turn gate must stay
  below the minimum (every real question gets turns).
* **off-topic**: the same for a fixed list of questions no conversation is about; printed as
  max / median. The turn gate must stay above the maximum (an unrelated question gets none).
* **map**: a least-squares line ``other = a * minilm + b`` over the top-20 (question, turn)
  similarities of every question, and MiniLM's floors (episodes 0.15, lessons 0.35, tasks 0.3)
  carried over by it; the episode, lesson and task floors of another model are set from it.

Embeds every turn once per model (mpnet: a few minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from _locomo import load

from langmem_plugin._embeddings import MODELS, LocalEmbeddings
from langmem_plugin.errors import EmbeddingModelError

OFF_TOPIC = [
    "What is the capital of Australia?",
    "How do I reset my wifi router to factory settings?",
    "What is the derivative of sin(x)?",
    "Which programming language should I learn for data science?",
    "How many moons does Jupiter have?",
    "Convert 30 degrees Celsius to Fahrenheit.",
    "What are the side effects of ibuprofen?",
    "How do I file my tax return online?",
    "Explain how a blockchain works.",
    "What time does the stock market open in Tokyo?",
    "Recommend a laptop for video editing under 1500 dollars.",
    "How do I fix a leaking kitchen faucet?",
    "What is the population of Brazil?",
    "Summarise the plot of Hamlet.",
    "How do vaccines train the immune system?",
    "What is the difference between TCP and UDP?",
]
MINILM_FLOORS = {"episode": 0.15, "lesson": 0.35, "task": 0.3}


def main() -> None:
    """Measure and print (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data")
    args = parser.parse_args()
    conversations = load(args.data)
    top: dict[str, np.ndarray] = {}
    for name in MODELS:
        emb = LocalEmbeddings(model=name)
        try:
            emb.embed_query("probe")
        except EmbeddingModelError as error:
            print(f"{name}: skipped ({error})")
            continue
        best, off, pairs = [], [], []
        off_vectors = np.asarray(emb.embed_documents(OFF_TOPIC))
        for conv in conversations:
            turns = np.asarray(emb.embed_documents([t.content for t in conv.turns]))
            questions = np.asarray(emb.embed_documents([q.text for q in conv.questions]))
            sims = questions @ turns.T
            best.extend(sims.max(axis=1))
            pairs.append(np.sort(sims, axis=1)[:, -20:].ravel())
            off.extend((off_vectors @ turns.T).max(axis=1))
        top[name] = np.concatenate(pairs)
        q = np.asarray(best)
        print(
            f"{name}: questions' best turn min {q.min():.3f} p1 {np.percentile(q, 1):.3f} "
            f"median {np.median(q):.3f} (n={len(q)}); off-topic best turn max "
            f"{max(off):.3f} median {np.median(off):.3f} (n={len(off)})"
        )
    base = top.get("minilm")
    for name, values in top.items():
        if name == "minilm" or base is None:
            continue
        a, b = np.polyfit(base, values, 1)
        mapped = ", ".join(f"{k} {a * v + b:.2f}" for k, v in MINILM_FLOORS.items())
        print(f"map minilm -> {name}: {name} = {a:.3f} * minilm + {b:.3f}; floors: {mapped}")


if __name__ == "__main__":
    main()
