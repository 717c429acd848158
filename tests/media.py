"""A tiny real WebM video for tests, made here: Chromium's own VP8 encoder (WebCodecs) encodes one frame a
second, and the frames are written into a WebM file (Matroska: EBML header, Segment with Info, Tracks, Cues
and one Cluster per frame) by the few lines below, so no encoder has to be installed.

    webm_bytes(browser, seconds=15, size=32) -> bytes    about 1 KB; every frame a keyframe, seekable by Cues
"""

from __future__ import annotations

import base64
import struct

ENCODE = """async ([seconds, size]) => {
  const frames = [];
  const encoder = new VideoEncoder({
    output: (chunk) => { const bytes = new Uint8Array(chunk.byteLength); chunk.copyTo(bytes);
      frames.push(btoa(String.fromCharCode(...bytes))); },
    error: (e) => { throw e; }});
  encoder.configure({codec: 'vp8', width: size, height: size, bitrate: 50000, framerate: 1});
  const canvas = new OffscreenCanvas(size, size), ctx = canvas.getContext('2d');
  for (let s = 0; s < seconds; s++) {
    ctx.fillStyle = `hsl(${s * 24}, 70%, 50%)`; ctx.fillRect(0, 0, size, size);
    const frame = new VideoFrame(canvas, {timestamp: s * 1e6, duration: 1e6});
    encoder.encode(frame, {keyFrame: true}); frame.close();
  }
  await encoder.flush();
  return frames;
}"""


def vp8_frames(browser, seconds: int, size: int) -> list[bytes]:
    """One VP8 keyframe per second, encoded by the browser (WebCodecs needs a secure page: a routed https one)."""
    page = browser.new_page()
    try:
        page.route("https://media.test/", lambda route: route.fulfill(body="<!doctype html>", content_type="text/html"))
        page.goto("https://media.test/")
        return [base64.b64decode(frame) for frame in page.evaluate(ENCODE, [seconds, size])]
    finally:
        page.close()


def _size(n: int) -> bytes:
    length = 1
    while n >= (1 << (7 * length)) - 1:
        length += 1
    return ((1 << (7 * length)) | n).to_bytes(length, "big")


def _element(ident: int, payload: bytes) -> bytes:
    return ident.to_bytes((ident.bit_length() + 7) // 8, "big") + _size(len(payload)) + payload


def _uint(ident: int, value: int, width: int | None = None) -> bytes:
    width = width or max(1, (value.bit_length() + 7) // 8)
    return _element(ident, value.to_bytes(width, "big"))


def webm(frames: list[bytes], size: int, seconds_each: float = 1.0) -> bytes:
    step = int(seconds_each * 1000)  # milliseconds (TimecodeScale 1,000,000 ns)
    header = _element(0x1A45DFA3, _uint(0x4286, 1) + _uint(0x42F7, 1) + _uint(0x42F2, 4) + _uint(0x42F3, 8)
                      + _element(0x4282, b"webm") + _uint(0x4287, 2) + _uint(0x4285, 2))
    info = _element(0x1549A966, _uint(0x2AD7B1, 1_000_000) + _element(0x4D80, b"tests") + _element(0x5741, b"tests")
                    + _element(0x4489, struct.pack(">d", float(step * len(frames)))))
    video = _element(0xE0, _uint(0xB0, size) + _uint(0xBA, size))
    tracks = _element(0x1654AE6B, _element(0xAE, _uint(0xD7, 1) + _uint(0x73C5, 1) + _uint(0x83, 1)
                                           + _element(0x86, b"V_VP8") + video))
    clusters = [_element(0x1F43B675, _uint(0xE7, n * step, 4) + _element(0xA3, b"\x81\x00\x00\x80" + frame))
                for n, frame in enumerate(frames)]

    def cues(first: int) -> bytes:  # cluster positions are fixed-width, so the Cues' own size never changes
        points, at = b"", first
        for n, cluster in enumerate(clusters):
            positions = _element(0xB7, _uint(0xF7, 1) + _uint(0xF1, at, 4))
            points += _element(0xBB, _uint(0xB3, n * step, 4) + positions)
            at += len(cluster)
        return _element(0x1C53BB6B, points)

    first = len(info) + len(tracks) + len(cues(0))
    return header + _element(0x18538067, info + tracks + cues(first) + b"".join(clusters))


def webm_bytes(browser, seconds: int = 15, size: int = 32) -> bytes:
    return webm(vp8_frames(browser, seconds, size), size)
