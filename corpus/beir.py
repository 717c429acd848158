"""BEIR-layout evaluation sets: corpus.jsonl as documents, queries.jsonl and qrels/<split>.tsv."""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from corpus.errors import LoadError
from corpus.folder import LoadResult, Skipped
from corpus.model import Document, Segment
from corpus.text import clean, clean_line, document_url


@dataclass(frozen=True)
class Query:
    query_id: str
    text: str
    kind: str  # "off_topic" for questions the knowledge base should not answer, "followup" for follow-ups
    meta: dict = field(default_factory=dict, compare=False)  # the query's metadata (labels such as "fact")


def load_corpus(path: Path) -> LoadResult:
    """Every line of corpus.jsonl as a one-segment article; bad lines are skipped with a reason."""
    documents, skipped = [], []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                row = json.loads(line)
                body = clean(str(row.get("text") or ""))
                doc_id = str(row["_id"])
            except (ValueError, KeyError, TypeError) as exc:
                skipped.append(Skipped(f"{path.name}:{number}", f"not a corpus line with _id and text ({exc})"))
                continue
            if not body:
                skipped.append(Skipped(f"{path.name}:{number}", "empty text"))
                continue
            if not doc_id.strip() or clean_line(doc_id) != doc_id:
                skipped.append(Skipped(f"{path.name}:{number}", "_id is empty or holds control characters, "
                                       "line breaks or unpaired surrogates; give it a plain id"))
                continue
            url, _ = document_url((row.get("metadata") or {}).get("url"), None, doc_id)
            title = clean_line(str(row.get("title") or "")) or clean_line(doc_id) or "(untitled)"
            digest = hashlib.sha256(line.encode()).hexdigest()[:32]
            documents.append(Document(doc_id, title, url, "article", (Segment(text=body),), digest))
    return LoadResult(tuple(documents), tuple(skipped), ())


def load_queries(folder: Path, split: str = "test", group: str | None = None
                 ) -> tuple[list[Query], dict[str, dict[str, int]]]:
    """Queries that have relevance labels in the split, plus those marked off-topic; and the labels.
    `group` keeps only queries whose metadata.group equals it (StackFAQ: tune on 0, report on 1)."""
    folder = Path(folder)
    qrels_path = folder / "qrels" / f"{split}.tsv"
    if not (folder / "queries.jsonl").is_file() or not qrels_path.is_file():
        raise LoadError(f"{folder} is not a BEIR folder: it needs queries.jsonl and qrels/{split}.tsv")
    qrels: dict[str, dict[str, int]] = {}
    with open(qrels_path, encoding="utf-8") as handle:
        for row in csv.reader(handle, delimiter="\t"):
            if len(row) < 3 or row[0] == "query-id":
                continue
            qrels.setdefault(row[0], {})[row[1]] = int(float(row[2]))
    queries = []
    with open(folder / "queries.jsonl", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            meta = row.get("metadata") or {}
            kind = str(meta.get("type") or "")
            if group is not None and str(meta.get("group")) != str(group):
                continue
            if row["_id"] in qrels or kind == "off_topic":
                queries.append(Query(str(row["_id"]), str(row["text"]), kind or "labelled", meta))
    return queries, qrels
