"""Cosine of the int8 mpnet model to the fp32 graph built from the same weights.

Usage::

    python scripts/measure_mpnet_int8.py [LOCOMO.json] [--sentences 300]

Needs the mpnet extra and its weight packages (README, Install). Both graphs come from
``langmem_plugin._mpnet`` (the fp32 one is converted into the cache too, 438 MB). The
sentences are the first ``--sentences`` turns of the LoCoMo file when one is given (spread
over its conversations), else a built-in list of chat-like sentences. Each sentence is
embedded alone by both graphs (no padding involved) and the cosine of the two unit vectors
printed as min / 1st percentile / mean. The fp32 graph itself is checked against a numpy
transcription of MPNet in ``tests/unit/test_mpnet.py``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from langmem_plugin._embeddings import LocalEmbeddings, _load_runtime
from langmem_plugin._mpnet import ensure_converted

BUILT_IN = [
    f"{who} {verb} {what} {when}."
    for who in ("I", "My sister", "The team", "Caroline")
    for verb in ("painted", "talked about", "went to see", "could not stop thinking about")
    for what in ("a sunset by the lake", "the adoption agency", "our quarterly revenue")
    for when in ("yesterday", "last summer in Lisbon", "after the support group meeting")
]


def main() -> None:
    """Measure and print (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", nargs="?", default=None)
    parser.add_argument("--sentences", type=int, default=300)
    args = parser.parse_args()
    if args.data:
        from _locomo import load

        turns = [t.content for c in load(args.data) for t in c.turns]
        step = max(1, len(turns) // args.sentences)
        sentences = turns[::step][: args.sentences]
    else:
        sentences = BUILT_IN[: args.sentences]
    import onnxruntime

    int8 = np.asarray(LocalEmbeddings(model="mpnet").embed_documents(sentences))
    fp32_file, _ = ensure_converted(quantize=False)
    session = onnxruntime.InferenceSession(str(fp32_file), providers=["CPUExecutionProvider"])
    tokenizer = _load_runtime("mpnet").tokenizer
    fp32 = []
    for text in sentences:
        ids = np.asarray([tokenizer.encode(text).ids], dtype=np.int64)
        (hidden,) = session.run(
            ["last_hidden_state"], {"input_ids": ids, "attention_mask": np.ones_like(ids)}
        )
        pooled = hidden[0].mean(axis=0)
        fp32.append(pooled / np.linalg.norm(pooled))
    cosines = (int8 * np.asarray(fp32)).sum(axis=1)
    source = Path(args.data).name if args.data else "built-in sentences"
    print(
        f"int8 vs fp32 over {len(sentences)} sentences ({source}): cosine min "
        f"{cosines.min():.4f}, p1 {np.percentile(cosines, 1):.4f}, mean {cosines.mean():.4f}"
    )


if __name__ == "__main__":
    main()
