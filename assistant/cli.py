"""The `assistant` command: thin wrappers that parse, load settings, call one function, print."""

from __future__ import annotations

import gc
import json
import sys
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import click

from assistant import reports
from assistant.build import report as build_report
from assistant.config import Settings, load_settings
from assistant.errors import KNOWN_ERRORS


def _settings(ctx: click.Context, **flags) -> Settings:
    try:
        return load_settings(ctx.obj.get("config"), **ctx.obj.get("flags", {}), **flags)
    except KNOWN_ERRORS as exc:
        _fail(exc)


def _fail(exc: Exception | str, code: int = 1):
    click.echo(f"Error: {exc}", err=True)
    sys.exit(code)


@contextmanager
def _collector_paused():
    """Python's cycle collector off while a command starts. Importing the model runtime (and for `serve`
    the web stack) makes some 350,000 objects and next to no garbage, and the collector's 500-odd
    passes over them cost 0.3–0.5 CPU-s of `serve`'s start (measured). Restored as it was."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", type=click.Path(dir_okay=False, path_type=Path), help="TOML settings file (default ./assistant.toml).")
@click.option("--model", help="sentence-transformers model name or folder (default: bundled all-MiniLM-L6-v2).")
@click.version_option(package_name="pmo-help-assistant")
@click.pass_context
def main(ctx: click.Context, config: Path | None, model: str | None) -> None:
    """Semantic search over a knowledge base, answering with cited passages.

    \b
    Example:
      assistant build                 # index the bundled sample knowledge base
      assistant ask "how do I set up a project office?"
    """
    ctx.obj = {"config": config, "flags": {"model": model}}


@main.command()
@click.argument("source", required=False)
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help="Index folder (default .assistant/index).")
@click.option("--base-url", help="Site address that document paths are joined to when a file names no url.")
@click.option("--full", is_flag=True, help="Re-embed everything, not only what changed.")
@click.option("--dry-run", is_flag=True, help="Print what would change and write nothing.")
@click.option("--watch", is_flag=True, help="Keep running and rebuild when the content folder changes.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def build(ctx, source, index_dir, base_url, full, dry_run, watch, as_json):
    """Index a content folder or a help-centre site (default: `sources`, else the bundled sample).

    Reads Markdown, HTML, text, WebVTT/SRT transcripts and PDF decks recursively; only new and
    changed documents are embedded. Bad files are skipped with a reason. A URL is read through its
    sitemap, the WordPress REST API or a bounded crawl, politely (robots.txt, 2 requests/s), and
    re-fetched incrementally (ETag, Last-Modified, sitemap lastmod); PDF decks it links to are indexed.

    \b
    Example:
      assistant build ./site-content --index .assistant/index --base-url https://help.example.org/kb
      assistant build https://help.example.org/ --dry-run
    """
    from assistant.build.delegation import build_via_server
    from assistant.build.reading import with_source
    from assistant.build.run import run_build, watch_and_build

    from assistant.answer.off_topic import everyday_list

    try:
        settings = with_source(_settings(ctx, index_dir=index_dir, base_url=base_url), source)
        everyday_list(settings.answers.elsewhere_file, settings.answers.elsewhere_mode)  # a bad list stops here
        if watch:
            if settings.content.sources:
                _fail("--watch follows a content folder; for sites, run `assistant build` again (e.g. hourly from cron)")
            watch_and_build(settings, echo=lambda text: click.echo(text, err=True))
            return
        # A running `assistant serve` of this index already holds the model: let it build (seconds, not ~10).
        delegate = not dry_run and not settings.content.sources
        outcome = (build_via_server(settings, full) if delegate else None) or run_build(
            settings, full=full, dry_run=dry_run, show_progress=not as_json)
    except KNOWN_ERRORS as exc:
        for line in build_report.skipped_lines(getattr(exc, "skipped", ())):
            click.echo(line, err=True)
        _fail(exc)
    click.echo(json.dumps(outcome.as_dict(), indent=2) if as_json else build_report.build_text(outcome))


@main.command()
@click.argument("question")
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help="Index folder (default .assistant/index).")
@click.option("--top-k", type=int, help="How many passages (default 5).")
@click.option("--after", "previous", multiple=True, metavar="QUESTION",
              help="An earlier question of the conversation (repeat for several, oldest first): a follow-up "
                   "that leans on it is searched with it.")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
@click.pass_context
def ask(ctx, question, index_dir, top_k, previous, as_json):
    """Ask a question; print the best passages with links to their sources.

    \b
    Example:
      assistant ask "how should we score projects for the portfolio?" --top-k 3
      assistant ask "how often should we redo that?" --after "how should we score projects?"
    """
    from assistant.answer.questions import check_question
    from assistant.answer.stores import require_published

    settings = _settings(ctx, index_dir=index_dir, top_k=top_k)
    problem = check_question(question, settings.answers.max_question_chars)  # before any index or model loads
    if problem:
        _fail(problem, code=2)
    try:
        require_published(settings)  # no index: say so before loading anything
        with _collector_paused():
            from assistant.answer.search import Assistant

            answer = Assistant.open(settings).ask(question, previous=previous)
    except KNOWN_ERRORS as exc:
        _fail(exc)
    if answer.kind == "refused":
        _fail(answer.message, code=2)
    if settings.serving.public_url:  # the reader's paths printed whole, as visitors open them
        from assistant.answer.addresses import absolute

        answer = replace(answer, passages=tuple(replace(p, url=absolute(p.url, settings.serving.public_url)) for p in answer.passages),
                         more=tuple(replace(p, url=absolute(p.url, settings.serving.public_url)) for p in answer.more))
    click.echo(json.dumps(_linked(answer.as_dict(), settings), indent=2, ensure_ascii=False) if as_json
               else reports.answer_text(answer))


def _linked(body: dict, settings: Settings) -> dict:
    """The answer's JSON with reader links (`/read/…`) made absolute by public_url; without it, the JSON says
    that they are relative (`relative_links`, with what to do)."""
    from assistant.answer.addresses import (
        RELATIVE_NOTE,
        absolute_answer,
        has_relative_links,
    )

    if settings.serving.public_url:
        return absolute_answer(body, settings.serving.public_url)
    return {**body, "relative_links": RELATIVE_NOTE} if has_relative_links(body) else body


@main.command(name="config")
@click.option("--show", is_flag=True, default=True, help="Print the effective settings (the default).")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
def config_command(ctx, show, as_json):
    """Show every setting in effect, by table, with where its value came from: the default, the config
    file, the environment (its variable named) or a flag. Secrets are masked.

    \b
    Example:
      assistant --config site/assistant.toml config
      ASSISTANT_TOP_K=3 assistant config --json
    """
    from assistant.config import shown

    rows = shown(_settings(ctx))
    if as_json:
        click.echo(json.dumps([{"table": t, "key": k, "flat": f, "value": v, "origin": o} for t, k, f, v, o in rows],
                              indent=2, default=str, ensure_ascii=False))
        return
    width = max(len(key) for _, key, *_ in rows)
    table = None
    for group, key, _, value, origin in rows:
        if group != table:
            click.echo(("" if table is None else "\n") + f"[{group}]")
            table = group
        click.echo(f"  {key:<{width}} = {json.dumps(value, default=str, ensure_ascii=False)}  ({origin})")


@main.command()
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help="Index folder (default .assistant/index).")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
def info(ctx, index_dir, as_json):
    """Describe the published index: documents by type, chunks, model, build time.

    \b
    Example:
      assistant info --json
    """
    from assistant.answer.stores import index_info, open_index

    settings = _settings(ctx, index_dir=index_dir)
    try:
        data = index_info(open_index(settings), settings)
    except KNOWN_ERRORS as exc:
        _fail(exc)
    click.echo(json.dumps(data, indent=2) if as_json else reports.info_text(data))


@main.command(name="eval")
@click.option("--dataset", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="BEIR folder (corpus.jsonl, queries.jsonl, qrels/). Default: the sample knowledge base's questions.")
@click.option("--split", default="test", show_default=True, help="Which qrels/<split>.tsv to read.")
@click.option("--mode", type=click.Choice(["dense", "bm25", "hybrid"]), default="hybrid", show_default=True)
@click.option("--top-k", type=int, default=10, show_default=True, help="Documents ranked per question (metrics cut at 1, 3, 5, 10).")
@click.option("--group", help="Only queries whose metadata.group is this (StackFAQ: tune on 0, report on 1).")
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON.")
@click.pass_context
def evaluate(ctx, dataset, split, mode, top_k, group, as_json):
    """Measure retrieval quality: Recall@1/5/10, MRR@10, nDCG@10, and the no-answer threshold.

    The corpus is indexed with the same chunking and model as `assistant build` (cached and
    reused while it is unchanged).

    \b
    Example:
      assistant eval --dataset ../shared/eval/scifact --mode hybrid --json
    """
    from assistant.evaluate.run import evaluate as run_eval

    settings = _settings(ctx)
    try:
        result = run_eval(settings, dataset, split, mode, progress=not as_json, group=group, depth=top_k)
    except KNOWN_ERRORS as exc:
        _fail(exc)
    click.echo(json.dumps(result.as_dict(), indent=2) if as_json else reports.eval_text(result))


@main.command()
@click.option("--since", default="30d", show_default=True, help="Period: 30d, 12h, 2w, a date (2026-03-01) or all.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--csv", "csv_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Also write questions, gaps, documents, complaints and per-day CSV files into this folder.")
@click.pass_context
def report(ctx, since, as_json, csv_dir):
    """What visitors asked and whether it helped: answered / no match, helpful / not helpful, clicks,
    top questions and documents, documents with complaints, and content gaps (unanswered questions
    grouped by meaning). Reads the same settings as `assistant serve` (data_dir or database_url).

    \b
    Example:
      assistant report --since 30d --json
      assistant report --since all --csv reports/
    """
    from assistant.analytics import load_report, parse_since, report_text, write_csv

    settings = _settings(ctx)
    try:
        result, snapshot = load_report(settings, parse_since(since), _embedder_for(settings))
        written = write_csv(result, snapshot, csv_dir) if csv_dir else []
    except KNOWN_ERRORS as exc:
        _fail(exc)
    click.echo(json.dumps(result.as_dict(), indent=2, ensure_ascii=False) if as_json else report_text(result))
    for path in written:
        click.echo(f"Wrote {path}", err=True)


def _embedder_for(settings: Settings):
    """embed(texts) that loads the model on first use (a report with no gaps never loads it)."""
    loaded = []

    def embed(texts):
        from assistant.answer.embedders import open_embedder

        if not loaded:
            loaded.append(open_embedder(settings))
        return loaded[0].embed(texts)

    return embed


@main.command()
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help="Index folder (default .assistant/index).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=7860, show_default=True, type=int)
@click.pass_context
def serve(ctx, index_dir, host, port):
    """Start the web chat and its API (Gradio), the JSON API (/api/search), the search box for other
    sites (/widget.js) and the MCP server for AI assistants (/gradio_api/mcp/) over the published index.

    \b
    Example:
      assistant serve --port 7860      # then open http://127.0.0.1:7860
    """
    from concurrent.futures import ThreadPoolExecutor

    from assistant.answer.stores import require_published

    settings = _settings(ctx, index_dir=index_dir)
    try:
        require_published(settings)  # no index: say so before importing the web stack
        with _collector_paused():
            with ThreadPoolExecutor(1, thread_name_prefix="open") as pool:
                opening = pool.submit(_open_warm, settings)  # the index and model load while Gradio imports
                from ui.app import create_app, launch

                assistant = opening.result()
            web = create_app(assistant, settings)
            gc.freeze()  # start-up's objects live as long as the server: later collections pass them by
            # (until ui.reload swaps in a new index and unfreezes them)
        launch(web, assistant, host, port)
    except KNOWN_ERRORS as exc:
        _fail(exc)


def _open_warm(settings):
    """Assistant.open, then one question asked and dropped: the first answer's one-off costs (the
    model's first run, the first BM25 and highlighting calls) are paid while Gradio imports."""
    from assistant.answer.search import Assistant

    assistant = Assistant.open(settings)
    try:
        assistant.ask("how do I get started?", top_k=settings.answers.top_k)
    except KNOWN_ERRORS:
        pass  # the real questions will say what is wrong
    return assistant
