"""Export a sentence-transformers model to ONNX once, offline, from its local folder.

    ensure_export(name, variant, cache_dir) -> ExportPaths    export (and quantize) unless cached

The exported graph is the whole sentence-transformers pipeline after tokenization: the transformer,
then the model's own pooling and normalisation modules (as its modules.json lists them), so its
output is the sentence embedding itself. It is exported with PyTorch's TorchScript-based exporter
(no hub, no optimum), fused with onnxruntime's transformer optimizer where the architecture is
known to it, and checked against PyTorch on a few texts before it is published to the cache.
int8 is onnxruntime's dynamic quantization of that graph (weights int8, activations quantized at
run time; uses AVX-512 VNNI where the CPU has it, else AVX2).
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
from pathlib import Path

import numpy as np

from index.embedding.model_cache import ExportPaths, export_paths, fingerprint
from index.errors import ModelError

log = logging.getLogger(__name__)
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
CHECK_TEXTS = ("How do I set up a PMO?", "a", "Portfolio governance " * 120)
OPTIMIZER_TYPES = {"bert": "bert", "mpnet": "bert", "roberta": "bert", "xlm-roberta": "bert", "distilbert": "bert"}


def ensure_export(name: str, variant: str = "fp32", cache_dir: Path | None = None) -> ExportPaths:
    """The cached export of `name` in `variant`, made now (minutes at most, once) when missing."""
    folder, paths = export_paths(name, cache_dir)
    if paths.ready(variant):
        return paths
    from filelock import FileLock  # here: a question with the export made never needs it

    paths.folder.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(paths.folder) + ".lock"):
        if not paths.ready("fp32"):
            _export_fp32(folder, paths)
        if variant == "int8" and not paths.ready("int8"):
            _quantize(paths)
    return paths


def _export_fp32(folder: Path, paths: ExportPaths) -> None:
    log.warning("exporting %s to ONNX once (cached in %s)…", folder, paths.folder)
    model = _load_sentence_transformer(folder)
    inputs = [n for n in INPUTS if n in model.tokenizer.model_input_names or n != "token_type_ids"]
    staging = Path(tempfile.mkdtemp(prefix=".export-", dir=paths.folder.parent))
    try:
        raw = staging / "raw.onnx"
        _torch_export(model, inputs, raw)
        final = staging / "model.onnx"
        if not _optimize(raw, final, model):
            shutil.move(raw, final)
        raw.unlink(missing_ok=True)
        model.tokenizer.backend_tokenizer.save(str(staging / "tokenizer.json"))
        meta = {"source": str(folder), "fingerprint": fingerprint(folder), "inputs": inputs,
                "dimension": _dimension(model), "max_seq_length": int(model.max_seq_length),
                "pad_token_id": int(model.tokenizer.pad_token_id or 0), "normalised": _has_normalize(model),
                "libraries": _versions()}
        (staging / "export.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
        _check(model, staging, meta)
        if paths.folder.exists():
            shutil.rmtree(paths.folder)
        staging.rename(paths.folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _load_sentence_transformer(folder: Path):
    try:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging
    except ImportError as exc:
        raise ModelError("exporting the model to ONNX needs sentence-transformers and torch once: "
                         "pip install sentence-transformers torch, then run the command again") from exc
    transformers_logging.disable_progress_bar()
    model = SentenceTransformer(str(folder), device="cpu", local_files_only=True).eval()
    if getattr(model.tokenizer, "backend_tokenizer", None) is None:
        raise ModelError(f"model {folder} has no fast (Rust) tokenizer, so it cannot run on ONNX Runtime; "
                         "set backend = \"torch\"")
    return model


def _torch_export(model, inputs: list[str], out: Path) -> None:
    import torch

    class Pipeline(torch.nn.Module):
        """Transformer → the model's own pooling/normalisation modules → sentence_embedding."""

        def __init__(self, st):
            super().__init__()
            self.st = st

        def forward(self, *tensors):
            given = dict(zip(inputs, tensors))
            token_embeddings = self.st[0].auto_model(**given)[0]
            features = {"token_embeddings": token_embeddings, "attention_mask": given["attention_mask"]}
            for module in list(self.st)[1:]:
                features = module(features)
            return features["sentence_embedding"]

    sample = model.tokenizer(["hello world, an example", "a"], padding=True, return_tensors="pt")
    args = tuple(sample[n] for n in inputs)
    axes = {n: {0: "batch", 1: "sequence"} for n in inputs} | {"sentence_embedding": {0: "batch"}}
    import warnings

    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(Pipeline(model).eval(), args, str(out), dynamo=False, input_names=inputs,
                          output_names=["sentence_embedding"], dynamic_axes=axes, opset_version=17)


def _optimize(raw: Path, out: Path, model) -> bool:
    """onnxruntime's transformer fusions (attention, layer norm, GELU); False when not applicable."""
    config = model[0].auto_model.config
    kind = OPTIMIZER_TYPES.get(getattr(config, "model_type", ""))
    if kind is None:
        return False
    try:
        from onnxruntime.transformers.optimizer import optimize_model

        optimized = optimize_model(str(raw), model_type=kind, num_heads=int(config.num_attention_heads),
                                   hidden_size=int(config.hidden_size), opt_level=1)
        optimized.save_model_to_file(str(out))
        return True
    except Exception as exc:  # noqa: BLE001 — an unfused graph is still correct, only slower
        log.warning("onnxruntime's optimizer could not fuse %s (%s); using the plain export", raw, exc)
        return False


def _quantize(paths: ExportPaths) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    log.warning("quantizing %s to int8 once…", paths.onnx("fp32"))
    tmp = paths.folder / ".model.int8.onnx.tmp"
    quantize_dynamic(str(paths.onnx("fp32")), str(tmp), weight_type=QuantType.QInt8, per_channel=True,
                     extra_options={"DefaultTensorType": 1})  # onnx.TensorProto.FLOAT, for the fused ops
    tmp.replace(paths.onnx("int8"))


def _check(model, staging: Path, meta: dict) -> None:
    """The export must give PyTorch's embeddings (cosine ≥ 0.9999) before it is cached."""
    from index.embedding.onnx_backend import OnnxEmbedder

    onnx = OnnxEmbedder.from_folder(staging, name=str(staging), variant="fp32", meta=meta)
    expected = model.encode(list(CHECK_TEXTS), normalize_embeddings=True, convert_to_numpy=True)
    cosine = np.sum(onnx.embed(CHECK_TEXTS) * expected, axis=1)
    if float(cosine.min()) < 0.9999:
        raise ModelError(f"the ONNX export of {meta['source']} does not match PyTorch (cosine {cosine.min():.5f}); "
                         "set backend = \"torch\"")


def _has_normalize(model) -> bool:
    return any(type(module).__name__ == "Normalize" for module in model)


def _versions() -> dict:
    from importlib import metadata

    out = {}
    for package in ("torch", "sentence-transformers", "transformers", "onnxruntime", "onnx"):
        try:
            out[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            pass
    return out


def _dimension(model) -> int:
    """sentence-transformers 6 names it get_embedding_dimension; 5 get_sentence_embedding_dimension."""
    getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    return int(getter())
