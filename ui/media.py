"""The recording beside its transcript: which player a transcript's recording gets, and what the page's
Content-Security-Policy must allow for it (exactly that host, nothing more).

    player_for(recording, library, doc_id, root) -> Player | None
        a file of the content folder ("board-talk.webm", beside the transcript)  <video>/<audio> from /asset/
        an http(s) audio or video file                                          <video>/<audio> from its host
        YouTube (any link form), Vimeo                                          an iframe of their player
        anything else (a podcast's page)                                        None: the page links to it
    player_html(player) -> str

The cited moment is set by the reader's script from the page's `#t=SECONDS` (a fragment never reaches
the server): it seeks the media, or gives the iframe its start (`?start=N`, Vimeo `#t=Ns`).
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from pathlib import Path
from urllib.parse import urlsplit

from assistant.answer.links import safe_href
from ui.library import MEDIA_TYPES, Library, asset_url

EMBEDS = {"youtube": "https://www.youtube-nocookie.com/embed/", "vimeo": "https://player.vimeo.com/video/"}


@dataclass(frozen=True)
class Player:
    kind: str  # "video", "audio", "youtube", "vimeo"
    src: str  # the media's address, or the embed's address without its start
    media_src: str = ""  # what CSP media-src must allow ("'self'" or an origin); "" for an iframe
    frame_src: str = ""  # what CSP frame-src must allow (the embed's origin)


def player_for(recording: str | None, library: Library, doc_id: str, root: str) -> Player | None:
    if not recording:
        return None
    parts = urlsplit(recording)
    if not parts.scheme:  # a file of the content folder, named from the transcript's folder
        found = library.local(doc_id, recording)
        path = found[0] if found else ""
        kind = _kind(path)
        return Player(kind, asset_url(path, False, root), "'self'") if kind and library.file(path) else None
    if not safe_href(recording) or parts.scheme not in ("http", "https"):
        return None
    from corpus.web.urls import recording_key

    key = recording_key(recording)
    if key:
        site, ident = key.split(":", 1)
        embed = EMBEDS[site]
        return Player(site, embed + ident, frame_src=f"{urlsplit(embed).scheme}://{urlsplit(embed).netloc}")
    kind = _kind(parts.path)
    return Player(kind, recording, f"{parts.scheme}://{parts.netloc}") if kind else None


def _kind(path: str) -> str | None:
    media = MEDIA_TYPES.get(Path(path).suffix.lower(), "")
    return media.split("/")[0] if media.startswith(("video/", "audio/")) else None


def player_html(player: Player | None, title: str) -> str:
    if player is None:
        return ""
    src = escape(player.src, quote=True)
    if player.kind in ("video", "audio"):
        tag = player.kind
        return (f'<div class="kb-player"><{tag} class="kb-media" src="{src}" controls preload="metadata" playsinline>'
                f"</{tag}></div>")
    return (f'<div class="kb-player kb-player-embed"><iframe class="kb-embed" data-kind="{player.kind}" '
            f'data-embed="{src}" title="{escape("Recording: " + title, quote=True)}" '
            'allow="autoplay; encrypted-media; picture-in-picture; fullscreen" allowfullscreen '
            'referrerpolicy="strict-origin-when-cross-origin"></iframe></div>')


__all__ = ["Player", "player_for", "player_html"]
