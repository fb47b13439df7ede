"""The mpnet conversion: safetensors reading, the ONNX graph against a numpy MPNet, the cache.

The graph mechanics are tested on tiny synthetic weights (a few kB), checked against a numpy
transcription of Hugging Face's ``MPNetModel`` written independently of the graph builder.
One test runs the real model; it needs the part packages (``make install`` installs them).
"""

from __future__ import annotations

import io
import json
import math
import struct
import zipfile
from importlib import metadata
from pathlib import Path

import numpy as np
import onnxruntime
import pytest

from langmem_plugin import _mpnet
from langmem_plugin._mpnet import MpnetConfig, build_graph, read_safetensors
from langmem_plugin.errors import EmbeddingModelError

TINY = MpnetConfig(hidden=16, heads=4, layers=2, intermediate=64, max_positions=300)
_erf = np.vectorize(math.erf)


def tiny_weights(config: MpnetConfig = TINY, vocab: int = 50) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    h, f = config.hidden, config.intermediate
    w = {
        "embeddings.position_ids": np.arange(config.max_positions)[None],
        "embeddings.word_embeddings.weight": rng.normal(0, 0.5, (vocab, h)),
        "embeddings.position_embeddings.weight": rng.normal(0, 0.5, (config.max_positions, h)),
        "embeddings.LayerNorm.weight": 1 + rng.normal(0, 0.1, h),
        "embeddings.LayerNorm.bias": rng.normal(0, 0.1, h),
        "encoder.relative_attention_bias.weight": rng.normal(0, 1, (config.buckets, config.heads)),
    }
    for i in range(config.layers):
        p = f"encoder.layer.{i}"
        for n in "qkvo":
            w[f"{p}.attention.attn.{n}.weight"] = rng.normal(0, 0.3, (h, h))
            w[f"{p}.attention.attn.{n}.bias"] = rng.normal(0, 0.1, h)
        for ln in ("attention.LayerNorm", "output.LayerNorm"):
            w[f"{p}.{ln}.weight"] = 1 + rng.normal(0, 0.1, h)
            w[f"{p}.{ln}.bias"] = rng.normal(0, 0.1, h)
        w[f"{p}.intermediate.dense.weight"] = rng.normal(0, 0.3, (f, h))
        w[f"{p}.intermediate.dense.bias"] = rng.normal(0, 0.1, f)
        w[f"{p}.output.dense.weight"] = rng.normal(0, 0.3, (h, f))
        w[f"{p}.output.dense.bias"] = rng.normal(0, 0.1, h)
    return {k: v.astype(np.int64 if "position_ids" in k else np.float32) for k, v in w.items()}


def safetensors_bytes(tensors: dict[str, np.ndarray]) -> bytes:
    header: dict[str, object] = {"__metadata__": {"format": "pt"}}
    blobs, offset = [], 0
    for name, array in reversed(tensors.items()):  # file order differs from name order
        data = array.tobytes()
        dtype = {np.dtype(np.float32): "F32", np.dtype(np.int64): "I64"}[array.dtype]
        header[name] = {
            "dtype": dtype,
            "shape": list(array.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        blobs.append(data)
        offset += len(data)
    head = json.dumps(header).encode()
    return struct.pack("<Q", len(head)) + head + b"".join(blobs)


# --- numpy MPNet (transformers' modeling_mpnet, written out) -----------------------------
def _bucket(relative: int, buckets: int = 32, max_distance: int = 128) -> int:
    ret, n = 0, -relative
    buckets //= 2
    ret += (n < 0) * buckets
    n = abs(n)
    max_exact = buckets // 2
    if n < max_exact:
        return ret + n
    large = max_exact + int(
        math.log(n / max_exact) / math.log(max_distance / max_exact) * (buckets - max_exact)
    )
    return ret + min(large, buckets - 1)


def _ln(x: np.ndarray, g: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    mu = x.mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(((x - mu) ** 2).mean(-1, keepdims=True) + eps) * g + b


def numpy_mpnet(
    w: dict[str, np.ndarray], cfg: MpnetConfig, ids: np.ndarray, mask: np.ndarray
) -> np.ndarray:
    batch, length = ids.shape
    real = ids != cfg.padding_idx
    positions = np.cumsum(real, axis=1) * real + cfg.padding_idx
    x = (
        w["embeddings.word_embeddings.weight"][ids]
        + w["embeddings.position_embeddings.weight"][positions]
    )
    x = _ln(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], cfg.layer_norm_eps)
    buckets = np.array([[_bucket(j - i) for j in range(length)] for i in range(length)])
    bias = w["encoder.relative_attention_bias.weight"][buckets].transpose(2, 0, 1)[None]
    bias = bias + (1.0 - mask[:, None, None, :]) * np.finfo(np.float32).min
    hd = cfg.hidden // cfg.heads

    def lin(v: np.ndarray, p: str) -> np.ndarray:
        return v @ w[p + ".weight"].T + w[p + ".bias"]

    def heads(t: np.ndarray) -> np.ndarray:
        return t.reshape(batch, length, cfg.heads, hd).transpose(0, 2, 1, 3)

    for i in range(cfg.layers):
        p = f"encoder.layer.{i}"
        q, k, v = (heads(lin(x, f"{p}.attention.attn.{n}")) for n in "qkv")
        s = q @ k.transpose(0, 1, 3, 2) / math.sqrt(hd) + bias
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        c = (s @ v).transpose(0, 2, 1, 3).reshape(batch, length, cfg.hidden)
        ln = f"{p}.attention.LayerNorm"
        x = _ln(
            lin(c, f"{p}.attention.attn.o") + x,
            w[ln + ".weight"],
            w[ln + ".bias"],
            cfg.layer_norm_eps,
        )
        h = lin(x, f"{p}.intermediate.dense")
        h = 0.5 * h * (1 + _erf(h / math.sqrt(2)))
        ln = f"{p}.output.LayerNorm"
        x = _ln(
            lin(h, f"{p}.output.dense") + x, w[ln + ".weight"], w[ln + ".bias"], cfg.layer_norm_eps
        )
    return x


def _batch() -> tuple[np.ndarray, np.ndarray]:
    """Two texts, one right-padded, 200 pieces: far relative positions use the log buckets."""
    rng = np.random.default_rng(1)
    ids = rng.integers(4, 50, (2, 200))
    ids[:, 0], ids[0, -1], ids[1, 150], ids[1, 151:] = 0, 2, 2, 1
    return ids, (ids != 1).astype(np.int64)


def _run(model: bytes, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
    session = onnxruntime.InferenceSession(model, providers=["CPUExecutionProvider"])
    return session.run(["last_hidden_state"], {"input_ids": ids, "attention_mask": mask})[0]


def _pooled(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    m = mask[:, :, None]
    v = (hidden * m).sum(1) / m.sum(1)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_safetensors_are_read_in_file_order_from_a_stream_that_cannot_seek() -> None:
    weights = tiny_weights()

    class OneWay(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self.inner = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
            chunk = self.inner.read(min(len(buffer), 7))  # short reads too
            buffer[: len(chunk)] = chunk
            return len(chunk)

    read = dict(read_safetensors(OneWay(safetensors_bytes(weights))))
    assert read.keys() == weights.keys()
    for name, array in weights.items():
        np.testing.assert_array_equal(read[name], array)


def test_truncated_safetensors_raise_a_clear_error() -> None:
    data = safetensors_bytes(tiny_weights())
    with pytest.raises(EmbeddingModelError, match=r"ended .* bytes early"):
        dict(read_safetensors(io.BytesIO(data[:-10])))


def test_fp32_graph_equals_a_numpy_mpnet_on_real_positions() -> None:
    weights = tiny_weights()
    ids, mask = _batch()
    ours = _run(build_graph(dict(weights), TINY, quantize=False), ids, mask)
    reference = numpy_mpnet(weights, TINY, ids, mask)
    assert ours.shape == (2, 200, TINY.hidden)
    np.testing.assert_allclose(ours[mask == 1], reference[mask == 1], atol=1e-4)


def test_int8_graph_stays_close_to_fp32_and_is_smaller() -> None:
    weights = tiny_weights(MpnetConfig(hidden=64, heads=4, layers=2, intermediate=256))
    config = MpnetConfig(hidden=64, heads=4, layers=2, intermediate=256)
    ids, mask = _batch()
    ids, mask = ids[:, :100], mask[:, :100]
    fp32_model = build_graph(dict(weights), config, quantize=False)
    int8_model = build_graph(dict(weights), config, quantize=True)
    cosine = (
        _pooled(_run(fp32_model, ids, mask), mask) * _pooled(_run(int8_model, ids, mask), mask)
    ).sum(1)
    assert cosine.min() > 0.98, cosine
    assert len(int8_model) < 0.6 * len(fp32_model)


def test_a_missing_tensor_is_named() -> None:
    weights = tiny_weights()
    del weights["encoder.layer.1.output.dense.bias"]
    with pytest.raises(EmbeddingModelError, match=r"encoder\.layer\.1\.output\.dense\.bias"):
        build_graph(weights, TINY)


def test_config_json_gives_the_shape_and_rejects_other_models() -> None:
    config = MpnetConfig.from_json(
        json.dumps(
            {
                "model_type": "mpnet",
                "hidden_size": 16,
                "num_attention_heads": 4,
                "num_hidden_layers": 2,
                "intermediate_size": 64,
                "max_position_embeddings": 300,
            }
        ).encode()
    )
    assert (config.hidden, config.heads, config.layers, config.max_positions) == (16, 4, 2, 300)
    with pytest.raises(EmbeddingModelError, match="not an MPNet model"):
        MpnetConfig.from_json(b'{"model_type": "bert"}')


# --- the split archive, conversion and cache ----------------------------------------------
@pytest.fixture
def fake_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """A tiny model zipped like the real one and split in three part files."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(_mpnet.WEIGHTS_MEMBER, safetensors_bytes(tiny_weights()))
        archive.writestr(
            _mpnet.CONFIG_MEMBER,
            json.dumps(
                {
                    "model_type": "mpnet",
                    "hidden_size": 16,
                    "num_attention_heads": 4,
                    "num_hidden_layers": 2,
                    "intermediate_size": 64,
                    "max_position_embeddings": 300,
                }
            ),
        )
        archive.writestr(_mpnet.TOKENIZER_MEMBER, '{"version": "1.0"}')
    data = buffer.getvalue()
    cuts = [0, len(data) // 3, 2 * len(data) // 3, len(data)]
    paths = []
    for i in range(3):
        path = tmp_path / f"parts/model.zip.00{i + 1}"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data[cuts[i] : cuts[i + 1]])
        paths.append(path)
    import hashlib

    parts = tuple(
        (f"fake-part-{i}", str(p), p.stat().st_size, hashlib.sha256(p.read_bytes()).hexdigest())
        for i, p in enumerate(paths)
    )
    monkeypatch.setattr(_mpnet, "PARTS", parts)
    monkeypatch.setattr(_mpnet, "_part_paths", lambda: paths)
    monkeypatch.setenv("LANGMEM_CACHE_DIR", str(tmp_path / "cache"))
    return paths


def test_split_parts_read_as_one_archive(fake_parts: list[Path]) -> None:
    with _mpnet._ConcatReader(fake_parts) as raw, zipfile.ZipFile(io.BufferedReader(raw)) as z:
        assert z.read(_mpnet.TOKENIZER_MEMBER) == b'{"version": "1.0"}'
        assert set(z.namelist()) >= {_mpnet.WEIGHTS_MEMBER, _mpnet.CONFIG_MEMBER}


def test_convert_writes_the_cache_atomically_and_a_corrupt_cache_is_not_used(
    fake_parts: list[Path], tmp_path: Path
) -> None:
    _mpnet.convert(quantize=True)
    model, tokenizer, stamp = _mpnet._cache_paths(True)
    assert model.parent.parent == tmp_path / "cache"
    assert f"-c{_mpnet.CONVERTER_VERSION}" in model.parent.name
    assert not [p for p in model.parent.iterdir() if p.name.endswith(".tmp")]
    assert _mpnet.ensure_converted() == (model, tokenizer)  # cached: no conversion
    ids, mask = _batch()
    hidden = _run(model.read_bytes(), ids, mask)
    assert hidden.shape == (2, 200, TINY.hidden)
    model.write_bytes(model.read_bytes()[:-1] + b"\0")  # same size, other content
    assert not _mpnet._cached(model, tokenizer, stamp)


def test_a_part_whose_hash_differs_is_refused(fake_parts: list[Path]) -> None:
    fake_parts[1].write_bytes(b"x" * fake_parts[1].stat().st_size)
    with pytest.raises(EmbeddingModelError, match=r"fake-part-1 has sha256 .* reinstall"):
        _mpnet.convert()


def test_a_missing_part_package_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_mpnet, "PARTS", (("no-such-mpnet-part-package", "x", 1, "0" * 64),))
    with pytest.raises(EmbeddingModelError, match=r"no-such-mpnet-part-package.*--no-deps"):
        _mpnet._part_paths()


# --- the real model (needs the part packages) ---------------------------------------------
def _parts_installed() -> bool:
    try:
        metadata.distribution(_mpnet.PARTS[0][0])
    except metadata.PackageNotFoundError:
        return False
    return True


@pytest.mark.skipif(not _parts_installed(), reason="mpnet part packages not installed")
def test_real_mpnet_gives_768_dim_unit_vectors_that_rank_paraphrases_first() -> None:
    from langmem_plugin._embeddings import LocalEmbeddings

    emb = LocalEmbeddings(model="mpnet")
    texts = [
        "The cat sits on the mat.",
        "A cat is sitting on a rug.",
        "Quarterly revenue grew 5% compared with last year.",
        "My favourite drink is green tea with honey.",
        "I prefer tea over coffee in the morning.",
    ]
    vectors = np.asarray(emb.embed_documents(texts))
    assert vectors.shape == (5, 768)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    sims = vectors @ vectors.T
    assert sims[0, 1] > 0.6 > sims[0, 2]
    assert sims[3, 4] > sims[3, 2] + 0.2
    # the batch a text is embedded with (its activation scale) changes its vector very little
    alone = np.asarray(emb.embed_query(texts[0]))
    assert float(alone @ vectors[0]) > 0.98
