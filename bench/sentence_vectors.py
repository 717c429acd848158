"""Which sentence answers, by the model alone, as the stored sentence vectors are made and kept.

For every labelled question with a fact (bench/kbs and the sample), in the chunk that holds the fact,
the sentence (a recording's cue) with the best cosine to the question is chosen; it is right when it
holds the fact. Compared on the same questions:

  fp32         each sentence embedded on its own (the build's separate pass), float32
  fp16, int8   the same vectors as format 4 (float16) and format 5 (int8 with a per-vector scale) keep them:
               `same` is the share of questions whose chosen sentence is fp32's
  late …       (--late-chunking, needs PyTorch and sentence-transformers) one pass over the chunk, each
               sentence's vector pooled from the chunk's token outputs (Günther et al. 2024): plain, with a
               window of w tokens either side, minus c × the chunk's vector ("contrast"), with the title and
               heading tokens, and linear maps to fp32 learnt on SciFact sentences (../shared/eval)

    python bench/sentence_vectors.py [--late-chunking] [--smoke]

--smoke: the sample's first 12 fact questions, no late chunking. Writes bench/results/sentence_vectors.json.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import CACHE, ROOT, SHARED_EVAL, add_smoke, embedder, finish  # noqa: E402

from assistant.evaluate.landing import holds_fact  # noqa: E402
from assistant.config import Settings  # noqa: E402
from assistant.evaluate.run import eval_index, layout  # noqa: E402
from corpus.beir import load_queries  # noqa: E402
from corpus.sentences import answer_units, unit_text  # noqa: E402
from index import load_index  # noqa: E402
from index.quantize import dequantize_int8, quantize_int8  # noqa: E402

KBS = ROOT / "bench" / "kbs"


def cases(folder: Path | None, limit: int | None = None):
    """(question, facts, the chunk holding a fact) for each fact-labelled question."""
    index = load_index(eval_index(Settings(index_dir=CACHE / "unused"), folder, embedder(), CACHE))
    chunks = [index.chunk(int(r)) for r in index.live_rows()]
    out = []
    for query in load_queries(layout(folder)[1])[0]:
        facts = query.meta.get("fact")
        if not facts:
            continue
        facts = [facts] if isinstance(facts, str) else list(facts)
        chunk = next((c for c in chunks if any(holds_fact(u.text, facts) for u in answer_units(c))), None)
        if chunk is not None:
            out.append((query.text, facts, chunk))
    return out[:limit]


def chosen(vectors: list, question: np.ndarray) -> int:
    return int(np.argmax([-9.0 if v is None else float(v @ question) for v in vectors]))


def variants(chunk, units, late) -> dict[str, list]:
    exact = embedder().embed([unit_text(u) for u in units])
    codes, scales = quantize_int8(exact)
    out = {"fp32": list(exact), "fp16": list(exact.astype(np.float16).astype(np.float32)),
           "int8": list(dequantize_int8(codes, scales))}
    if late is not None:
        out.update(late.variants(chunk, units))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--late-chunking", action="store_true", help="also the late-chunking variants (PyTorch)")
    add_smoke(parser)
    args = parser.parse_args()
    kbs = {"sample": None} if args.smoke else {"sample": None} | {
        d.name: d for d in sorted(KBS.iterdir()) if (d / "content").is_dir()}
    late = None
    if args.late_chunking and not args.smoke:
        late = LateChunking()
        late.learn_map(SHARED_EVAL / "scifact" / "corpus.jsonl")
    result, totals = {}, {}
    for name, folder in kbs.items():
        counts: dict[str, list[int]] = {}
        for question, facts, chunk in cases(folder, 12 if args.smoke else None):
            units = answer_units(chunk)
            vector = embedder().embed_query(question)
            found = variants(chunk, units, late)
            base = chosen(found["fp32"], vector)
            for key, vectors in found.items():
                pick = chosen(vectors, vector)
                tally = counts.setdefault(key, [0, 0, 0])
                tally[0] += holds_fact(units[pick].text, facts)
                tally[1] += pick == base
                tally[2] += 1
        result[name] = {k: {"right": round(a / n, 3), "same_as_fp32": round(s / n, 3), "questions": n}
                        for k, (a, s, n) in counts.items()}
        for key, (a, s, n) in counts.items():
            total = totals.setdefault(key, [0, 0, 0])
            total[0], total[1], total[2] = total[0] + a, total[1] + s, total[2] + n
        print(name, "  ".join(f"{k} {v['right']:.3f} (same {v['same_as_fp32']:.3f})" for k, v in result[name].items()),
              flush=True)
    result["all"] = {k: {"right": round(a / n, 3), "same_as_fp32": round(s / n, 3), "questions": n}
                     for k, (a, s, n) in totals.items()}
    print("all", "  ".join(f"{k} {v['right']:.3f} (same {v['same_as_fp32']:.3f}, {v['questions']})"
                           for k, v in result["all"].items()))
    finish(result, ROOT / "bench" / "results" / "sentence_vectors.json", args.smoke)


class LateChunking:
    """Sentence vectors pooled from one pass over the chunk (sentence-transformers' token outputs)."""

    def __init__(self):
        import torch
        from sentence_transformers import SentenceTransformer

        from index.embedding import model_folder

        torch.set_num_threads(os.cpu_count() or 1)
        self.torch = torch
        self.model = SentenceTransformer(str(model_folder("all-MiniLM-L6-v2")), device="cpu")
        self.maps: list[np.ndarray] = []

    def pooled(self, chunk, units):
        """Per unit: {"plain", "window 4/8/16" (± tokens), "head" (title and heading tokens + the unit's)}
        and the chunk's own vector; None where the unit cannot be placed in the chunk's text."""
        text, tokenizer = chunk.embed_text, self.model.tokenizer
        head = len(text) - len(chunk.text) if text.endswith(chunk.text) else None
        offsets = tokenizer(text, return_offsets_mapping=True, truncation=True,
                            max_length=self.model.max_seq_length)["offset_mapping"]
        with self.torch.inference_mode():
            tokens = self.model[0](self.model.tokenize([text]))["token_embeddings"][0].numpy()
        n = len(offsets)
        whole = unit(tokens[:n].mean(0))
        heading = [i for i, (x, y) in enumerate(offsets) if y > x and head is not None and y <= head]
        out = []
        for span in spans(chunk.text, units):
            at = [] if span is None or head is None else [
                i for i, (x, y) in enumerate(offsets) if y > x and x < span[1] + head and y > span[0] + head]
            if not at:
                out.append(None)
                continue
            first, last = at[0], at[-1] + 1
            found = {"plain": unit(tokens[first:last].mean(0)),
                     "head": unit(tokens[heading + list(range(first, last))].mean(0))}
            for w in (4, 8, 16):
                found[f"window {w}"] = unit(tokens[max(1, first - w):min(n - 1, last + w)].mean(0))
            out.append((found, whole))
        return out

    def variants(self, chunk, units) -> dict[str, list]:
        pooled = self.pooled(chunk, units)
        pick = lambda f: [None if p is None else f(*p) for p in pooled]  # noqa: E731
        out = {"late": pick(lambda v, whole: v["plain"])}
        for w in (4, 8, 16):
            out[f"late window {w}"] = pick(lambda v, whole, w=w: v[f"window {w}"])
        for c in (0.25, 0.5, 0.75, 1.0):
            out[f"late contrast {c}"] = pick(lambda v, whole, c=c: unit(v["plain"] - c * whole))
        out["late window 4 contrast 0.5"] = pick(lambda v, whole: unit(v["window 4"] - 0.5 * whole))
        out["late head + sentence"] = pick(lambda v, whole: v["head"])
        if self.maps:
            out["late, learnt map"] = pick(lambda v, whole: unit(np.append(v["plain"], 1.0) @ self.maps[0]))
            out["late + chunk, learnt map"] = pick(
                lambda v, whole: unit(np.concatenate([v["plain"], whole, [1.0]]) @ self.maps[1]))
        return out

    def learn_map(self, corpus: Path, documents: int = 700) -> None:
        """Ridge regressions to the separately embedded vectors, from the plain late-chunked vector and from it
        with the chunk's, on SciFact abstracts' sentences (not the labelled knowledge bases)."""
        from assistant.build.run import chunk_settings
        from corpus import chunk_document
        from corpus.beir import load_corpus

        if not corpus.is_file():
            return
        plain, both, target = [], [], []
        for doc in load_corpus(corpus).documents[:documents]:
            for chunk in chunk_document(doc, embedder().count_tokens, chunk_settings(Settings(), embedder())):
                units = answer_units(chunk)
                pooled = self.pooled(chunk, units)
                keep = [i for i, p in enumerate(pooled) if p is not None]
                if keep:
                    plain += [np.append(pooled[i][0]["plain"], 1.0) for i in keep]
                    both += [np.concatenate([pooled[i][0]["plain"], pooled[i][1], [1.0]]) for i in keep]
                    target += list(embedder().embed([unit_text(units[i]) for i in keep]))
        y = np.array(target)
        print(f"learnt maps on {len(y)} SciFact sentences", flush=True)
        self.maps = [np.linalg.solve(x.T @ x + np.eye(x.shape[1]), x.T @ y) for x in (np.array(plain), np.array(both))]


def spans(text: str, units) -> list[tuple[int, int] | None]:
    """Each unit's characters in the chunk's text, found in order (whitespace may differ)."""
    out, at = [], 0
    for u in units:
        words = u.text.split()
        found = re.compile(r"\s+".join(map(re.escape, words))).search(text, at) if words else None
        out.append(None if found is None else (found.start(), found.end()))
        at = found.start() + 1 if found is not None else at
    return out


def unit(vector: np.ndarray) -> np.ndarray:
    return vector / np.linalg.norm(vector)


if __name__ == "__main__":
    main()
