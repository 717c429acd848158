"""Absolute links for answers that leave the page. Pure.

A document with no page of its own is linked to the app's reader as a path (`/read/notes.md#setup`),
which only a page served by the app itself can open. Whatever goes elsewhere (the JSON API, the MCP
tools, Gradio's `/search`, `assistant ask --json` with `public_url`) carries links made absolute
against the address visitors use:

    absolute("/read/notes.md#setup", "https://help.example.org/kb")  -> "https://help.example.org/kb/read/notes.md#setup"
    absolute_answer(answer_json, base)                                -> the same JSON, every passage url absolute
    absolute_document(document_json, base)                           -> get_document's JSON, every url absolute

Links that are already absolute (the owner's own site, a recording) are left as they are.
"""

from __future__ import annotations

RELATIVE_NOTE = ("Links starting with / open in the app that `assistant serve` runs: put its address in front, "
                 "or set public_url to print them whole.")


def absolute(url: str, base: str | None) -> str:
    """`url` joined to `base` when it is a path on this app ("/read/…"); anything else unchanged."""
    if not base or not isinstance(url, str) or not url.startswith("/") or url.startswith("//"):
        return url
    return base.rstrip("/") + url


def absolute_answer(body: dict, base: str | None) -> dict:
    """An answer's JSON (`Answer.as_dict()`, the API's body) with every passage's url absolute."""
    if not base:
        return body
    out = dict(body)
    for key in ("passages", "more"):
        if isinstance(body.get(key), list):
            out[key] = [{**p, "url": absolute(p.get("url", ""), base)} if isinstance(p, dict) else p for p in body[key]]
    return out


def absolute_document(body: dict, base: str | None) -> dict:
    """get_document's JSON (`DocumentText.as_dict()`) with the document's and each section's url absolute."""
    if not base:
        return body
    sections = [{**s, "url": absolute(s.get("url", ""), base)} for s in body.get("sections", ())]
    return {**body, "url": absolute(body.get("url", ""), base), "sections": sections}


def has_relative_links(body: dict) -> bool:
    """Whether any passage of an answer's JSON links to a path on the app (so it needs the app's address)."""
    return any(isinstance(p, dict) and absolute(p.get("url", ""), "x:") != p.get("url", "")
               for key in ("passages", "more") for p in body.get(key) or ())


__all__ = ["RELATIVE_NOTE", "absolute", "absolute_answer", "absolute_document", "has_relative_links"]
