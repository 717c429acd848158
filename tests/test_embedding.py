"""The embedding backends: OpenVINO and ONNX Runtime equal PyTorch, one protocol, exports cached, variants followed."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from conftest import MODEL_CACHE, chunk_settings, embedder_of

from assistant import Assistant
from assistant.config import SAMPLE_CONTENT, SAMPLE_QUESTIONS
from index import Embedder
from index.embedding import EmbedderSpec
from index.embedding.export import ensure_export
from index.embedding.model_cache import export_paths, fingerprint
from index.embedding.router import GPU_MIN_TEXTS, GpuForBulk

ODD = ["", "   padded question   ", "?!", "PMO", "Wie richte ich ein PMO ein?", "如何建立项目管理办公室",
       "¿Cómo priorizo el portafolio?", "naïve café résumé", "RACI 🚀 matrix ✅", "x" * 300, "e = mc^2; x_1 <= 10",
       "def risk(score): return score * 2", "<b>bold</b> &amp; html", "tab\tseparated\nnew line", "1,234.56 €"]


def varied_texts(embedder) -> list[str]:
    """Over 1,000 texts: the sample's chunks (as a build chunks it, no index needed) cut to many lengths,
    whole chunks joined past 256 tokens, the sample questions, and odd inputs (empty, other scripts,
    emoji, markup, code)."""
    from corpus import chunk_document, load_folder

    settings = chunk_settings(embedder)
    chunks = [chunk.embed_text for doc in load_folder(SAMPLE_CONTENT).documents
              for chunk in chunk_document(doc, embedder.count_tokens, settings)]
    words = [chunk.split() for chunk in chunks]
    cut = [" ".join(w[:n]) for w, n in zip(words, itertools.cycle((2, 4, 7, 12, 24)))]
    joined = [" ".join(chunks[i:i + 4]) for i in range(0, 400, 8)]  # past 256 tokens
    questions = [json.loads(line)["text"] for line in (SAMPLE_QUESTIONS / "queries.jsonl").read_text().splitlines()]
    mixed = [f"{a} {b}" for a, b in zip(ODD * 16, itertools.cycle(questions))]
    return cut + joined + questions + ODD + mixed


@pytest.mark.slow  # PyTorch loaded (once in the run: 8 s of imports), a thousand texts embedded three ways
def test_pytorch_keeps_the_contract_and_the_cpu_backends_equal_it_on_a_thousand_varied_texts(embedder):
    """Plain sentence-transformers on PyTorch, fp32, is the reference. It keeps the embedder contract, its
    CUDA pipeline (run here on the CPU) gives what `encode` gives, and it counts tokens as the default does.
    The default (OpenVINO: bf16 on a CPU with AMX/AVX-512 BF16, else f32) equals it on every text; ONNX
    Runtime fp32 (the fallback, on the same tokenized inputs) on every long and odd one and a quarter of
    the rest."""
    torch_embedder = embedder_of(backend="torch", device="cpu")
    keeps_the_contract(torch_embedder)
    assert [embedder.count_tokens(t) for t in CONTRACT_TEXTS] == [torch_embedder.count_tokens(t) for t in CONTRACT_TEXTS]
    pipeline_gives_what_encode_gives(torch_embedder)
    texts = varied_texts(embedder)
    assert len(texts) >= 1000
    long = [t for t in texts if embedder.count_tokens(t) > 256]
    assert len(long) >= 40  # truncation to max_seq_length is part of what must match
    reference = torch_embedder.embed(texts)
    some = sorted({n for n, t in enumerate(texts) if t in long or t in ODD} | set(range(0, len(texts), 4)))
    for backend, rows in ((embedder, list(range(len(texts)))), (embedder_of(backend="onnx"), some)):
        cosine = np.sum(backend.embed([texts[n] for n in rows]) * reference[rows], axis=1)
        worst = rows[int(np.argmin(cosine))]
        assert cosine.min() >= 0.9999, (backend.backend, cosine.min(), texts[worst][:120])


def test_auto_runs_openvino_where_installed_and_onnx_runtime_without_it(embedder, monkeypatch):
    from index.embedding import openvino_backend
    from index.errors import ModelError

    assert embedder.backend in ("openvino-bf16", "openvino-f32")
    assert embedder_of(variant="int8").backend == "onnx"  # int8 is ONNX Runtime's
    with pytest.raises(ModelError, match='set backend = "onnx"'):
        embedder_of(backend="openvino", variant="int8")
    monkeypatch.setattr(openvino_backend, "available", lambda: False)  # as if OpenVINO were not installed
    fallback = embedder_of()
    assert fallback.backend == "onnx" and fallback.variant == "fp32"
    assert np.dot(fallback.embed_query("set up a PMO"), embedder.embed_query("set up a PMO")) >= 0.9999
    with pytest.raises(ModelError, match="pip install openvino"):
        embedder_of(backend="openvino")


CONTRACT_TEXTS = ["How do I set up a PMO?", "Portfolio governance " * 200, ""]


def test_the_default_backend_keeps_the_contract(embedder):
    keeps_the_contract(embedder)  # PyTorch's: in the thousand-texts test above, which loads it once
    assert embedder.count_tokens("Portfolio governance " * 200) > 256  # counted before truncation


def keeps_the_contract(backend) -> None:
    assert isinstance(backend, Embedder)
    assert (backend.dimension, backend.max_tokens) == (384, 256)
    vectors = backend.embed(CONTRACT_TEXTS)
    assert vectors.dtype == np.float32 and vectors.flags.c_contiguous and vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert backend.embed([]).shape == (0, 384)
    assert np.allclose(backend.embed_query(CONTRACT_TEXTS[0]), vectors[0], atol=1e-5)


def pipeline_gives_what_encode_gives(torch_embedder) -> None:
    """The overlapped tokenize-then-run loop used on CUDA, run here on the CPU in fp32."""
    texts = [f"Question {n}: " + "how to run a portfolio board " * (n % 12) for n in range(40)]
    torch_embedder.batch_size = 16
    try:
        piped = torch_embedder._embed_pipelined(texts, progress=False)
    finally:
        torch_embedder.batch_size = 32
    assert np.min(np.sum(piped * torch_embedder.embed(texts), axis=1)) >= 0.9999


def test_openvino_bulk_batches_hold_about_2048_tokens_and_every_text_once(embedder):
    from index.embedding.openvino_backend import BULK_ROWS, BULK_TOKENS

    if not embedder.backend.startswith("openvino"):
        pytest.skip("OpenVINO is not the default here")
    lengths = np.array([12] * 300 + [256] * 40 + [100] * 50)
    order = np.argsort(lengths, kind="stable")
    batches = embedder._batches(order, lengths, few=False)
    assert np.array_equal(np.concatenate(batches), order)
    assert all(len(b) <= BULK_ROWS and len(b) * lengths[b].max() <= BULK_TOKENS for b in batches)
    assert [len(b) for b in batches][-1] == 8 and len(batches[0]) == BULK_ROWS  # 8 long chunks; 64 sentences


def test_a_model_that_fails_the_openvino_check_runs_on_onnx_runtime(embedder, tmp_path):
    _, paths = export_paths("all-MiniLM-L6-v2", Path(MODEL_CACHE))  # where the `embedder` fixture exported it
    assert json.loads((paths.folder / "openvino.json").read_text())["cosine"] >= 0.9999  # the one-off check
    _, failed = export_paths("all-MiniLM-L6-v2", tmp_path)
    failed.folder.mkdir(parents=True)
    for file in paths.folder.iterdir():
        if file.name != "openvino.json":
            (failed.folder / file.name).symlink_to(file)
    (failed.folder / "openvino.json").write_text('{"ok": false, "error": "as if its output differed"}')
    assert embedder_of(cache_dir=tmp_path).backend == "onnx"


def test_the_export_is_cached_and_a_changed_model_gets_a_new_one(embedder, tmp_path):
    _, paths = export_paths("all-MiniLM-L6-v2", Path(MODEL_CACHE))  # where the `embedder` fixture exported it
    stamp = paths.onnx("fp32").stat().st_mtime_ns
    assert ensure_export("all-MiniLM-L6-v2", cache_dir=Path(MODEL_CACHE)).folder == paths.folder
    assert paths.onnx("fp32").stat().st_mtime_ns == stamp  # not exported again
    meta = paths.read_meta()
    assert meta["max_seq_length"] == 256 and meta["inputs"] == ["input_ids", "attention_mask", "token_type_ids"]
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "weights.bin").write_bytes(b"1")
    before = fingerprint(folder)
    (folder / "weights.bin").write_bytes(b"22")
    assert fingerprint(folder) != before


@pytest.mark.slow  # an int8 export and two builds
def test_an_int8_index_is_queried_with_int8_and_a_variant_change_rebuilds(build, tmp_path):
    content = tmp_path / "content"
    content.mkdir()
    for path in sorted(SAMPLE_CONTENT.rglob("*.md"))[:3]:
        (content / path.name).write_text(path.read_text())
    int8 = embedder_of(variant="int8")
    settings = build(content, embedder=int8)
    assistant = Assistant.open(settings)
    assert assistant.index.variant == "int8" and assistant.embedder.variant == "int8"
    assert assistant.ask("how do I set up a PMO?").passages
    from assistant.build.run import run_build

    report = run_build(settings, show_progress=False)  # settings say fp32
    assert report.full and "variant changed (int8 → fp32)" in report.full_reason
    assert assistant.refresh() and assistant.embedder.variant == "fp32" and assistant.index.variant == "fp32"


class FakeBackend:
    """A fake embedder (the routing is the point, not the model): records what it was asked."""

    def __init__(self, name="fake", variant="fp32", backend="fake"):
        self.name, self.variant, self.backend, self.dimension, self.max_tokens = name, variant, backend, 2, 8
        self.calls = []

    def count_tokens(self, text):
        return len(text.split())

    def embed(self, texts, progress=False):
        self.calls.append(len(texts))
        return np.ones((len(texts), 2), dtype=np.float32) / np.sqrt(2)

    def embed_query(self, text):
        return self.embed([text])[0]


def test_bulk_goes_to_the_gpu_and_questions_stay_on_the_cpu(monkeypatch):
    cpu, gpu = FakeBackend(backend="onnx"), FakeBackend(backend="torch-cuda-fp16")
    router = GpuForBulk(cpu, EmbedderSpec())
    monkeypatch.setattr(router, "_cuda", lambda: setattr(router, "_gpu", gpu) or True)
    router.embed_query("a question")
    router.embed(["chunk"] * 3)
    router.embed(["chunk"] * GPU_MIN_TEXTS)
    assert cpu.calls == [1, 3] and gpu.calls == [GPU_MIN_TEXTS] and router.backend == "torch-cuda-fp16"


def test_without_cuda_bulk_stays_on_the_cpu_backend(monkeypatch):
    cpu = FakeBackend(backend="onnx")
    router = GpuForBulk(cpu, EmbedderSpec())
    monkeypatch.setitem(sys.modules, "torch", None)  # as if PyTorch could not be imported
    router.embed(["chunk"] * GPU_MIN_TEXTS)
    assert cpu.calls == [GPU_MIN_TEXTS] and router.backend == "onnx"


QUERY_PATH = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from assistant.cli import main
    from assistant.config import Settings
    from assistant.answer.search import Assistant
    from ui.app import create_app
    index, content = sys.argv[1], Path(sys.argv[2])
    main(["ask", "how do I set up a PMO?", "--index", index, "--json"], standalone_mode=False)
    assistant = Assistant.open(Settings(index_dir=Path(index)))
    create_app(assistant, assistant.settings)  # what `assistant serve` builds
    import gradio.component_meta
    serving = [m for m in ("langchain_text_splitters", "pypdf", "bs4") if m in sys.modules]  # build-only
    print("SERVE=" + json.dumps(serving + [gradio.component_meta.create_or_modify_pyi.__name__]))
    from assistant.build.run import run_build
    content.mkdir()
    (content / "a.md").write_text("# Risk registers\\n\\nEvery risk needs an owner.\\n")
    run_build(Settings(content_dir=content, index_dir=content.parent / "small"), show_progress=False)
    heavy = [m for m in ("torch", "sentence_transformers", "transformers") if m in sys.modules]
    print("HEAVY=" + json.dumps(heavy))
""")


@pytest.mark.slow  # a subprocess
def test_ask_serve_and_a_small_build_import_neither_torch_nor_sentence_transformers(sample_index, tmp_path):
    """Also what keeps `serve` quick: no chunker or loaders, and Gradio without its import-time stub writer."""
    done = subprocess.run([sys.executable, "-c", QUERY_PATH, str(sample_index), str(tmp_path / "content")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert '"answered": true' in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "HEAVY=[]"
    assert 'SERVE=["_no_stub"]' in done.stdout.splitlines()
