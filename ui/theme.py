"""The help-centre look: a calm theme and a little CSS for the header and the passage cards."""

from __future__ import annotations

import re

import gradio as gr

THEME = gr.themes.Soft(primary_hue="teal", secondary_hue="slate", neutral_hue="slate")

CSS = """
.gradio-container { max-width: 920px !important; margin: 0 auto !important; }
.kb-header { padding: 8px 0 4px; }
.kb-header h1 { font-size: 1.9rem; margin: 0 0 6px; }
.kb-kicker { text-transform: uppercase; letter-spacing: .08em; font-size: .8rem; font-weight: 600;
  color: var(--kb-accent, var(--primary-600)); margin: 0; }
.kb-holds { color: var(--body-text-color-subdued); margin: 0; }
.kb-examples { flex-wrap: wrap !important; gap: 8px !important; }
.kb-examples button { flex: 1 1 240px !important; min-width: 0 !important; white-space: normal !important;
  text-align: left !important; justify-content: flex-start !important; }
.kb-answer { display: flex; flex-direction: column; gap: 10px; min-width: 0; }
.kb-lead { margin: 0; font-weight: 600; }
.kb-cards { display: flex; flex-direction: column; gap: 10px; min-width: 0; }
.kb-card { border: 1px solid var(--border-color-primary); border-left: 4px solid var(--kb-accent, var(--primary-500));
  border-radius: 10px; padding: 10px 14px; background: #ffffff; box-shadow: 0 1px 2px rgba(15,23,42,.06); min-width: 0;
  overflow-wrap: anywhere; }
.kb-meta { display: flex; gap: 10px; align-items: center; flex-wrap: wrap; font-size: .8rem; }
.kb-badge { background: color-mix(in srgb, var(--kb-accent, #0f766e) 12%, white); color: color-mix(in srgb, var(--kb-accent, #0f766e) 80%, black); border-radius: 999px; padding: 1px 9px;
  font-weight: 600; }
.kb-time { font-weight: 600; text-decoration: none; }
h3.kb-title { font-size: 1.02rem; margin: 6px 0 2px; line-height: 1.35; font-weight: 600; }
.kb-link { color: var(--kb-accent, #0f766e); text-decoration: none; font-weight: 600; }
.kb-link:hover { text-decoration: underline; }
.kb-section { font-size: .85rem; color: var(--body-text-color-subdued); }
.kb-text { margin: 6px 0 0; line-height: 1.5; }
.kb-text mark { background: #fff3b0; color: inherit; padding: 0 2px; border-radius: 3px; }
.kb-nearest { margin: 0; padding-left: 1.2em; }
.kb-list { margin: 6px 0 0; padding-left: 1.3em; line-height: 1.5; }
.kb-list mark, .kb-text mark { background: #fff3b0; color: inherit; padding: 0 2px; border-radius: 3px; }
.kb-more { margin-top: 10px; }
.kb-more summary { cursor: pointer; font-weight: 600; color: var(--kb-accent, #0f766e); }
.kb-notice { margin: 0; font-weight: 600; }
.kb-footer { text-align: center; color: #52606d; font-size: .9em; padding: 12px 0 4px; }
.kb-hint { margin: 0; color: var(--body-text-color-subdued); font-size: .9rem; }
.kb-question { white-space: pre-wrap; overflow-wrap: anywhere; }
.kb-logo { height: 1.4em; vertical-align: middle; margin-right: 8px; }
.kb-subtitle { margin: 0 0 4px; }
.kb-searched { margin: 0; font-size: .85rem; color: var(--body-text-color-subdued); }
.kb-turns { margin: 6px 0 0; display: flex; flex-direction: column; gap: 4px; }
.kb-turn { margin: 0; line-height: 1.45; }
.kb-turn mark { background: #fff3b0; color: inherit; padding: 0 2px; border-radius: 3px; }
.kb-speaker { font-weight: 600; }
.kb-at { font-size: .8rem; color: var(--body-text-color-subdued); margin-right: 4px; }
.kb-answering { border-left: 3px solid var(--kb-accent, #0f766e); padding-left: 8px; }
.kb-text code, .kb-turn code { font-size: .9em; background: #f1f5f9; padding: 0 3px; border-radius: 3px; }
#kb-chat .message, #kb-chat .message-row { max-width: 100%; min-width: 0; }
@media (max-width: 640px) {
  .gradio-container { padding-left: 6px !important; padding-right: 6px !important; }
  #kb-chat .message-row, #kb-chat .message { padding-left: 4px !important; padding-right: 4px !important; }
  .kb-header h1 { font-size: 1.5rem; }
  .kb-card { padding: 8px 10px; }
}
"""

# The feedback prompt under answers, the improvement box, and the Insights tab (ui.feedback, ui.insights).
CSS += """
.kb-helpful { margin: 8px 0 0; font-size: .9rem; color: var(--body-text-color-subdued); }
.kb-feedback-status { margin: 4px 0; color: #0f5f55; font-weight: 600; }
.kb-feedback-status.kb-error { color: #b42318; }
.kb-improve-about { margin: 0; }
/* A no-match reply has "This did not help" (ui.feedback) instead of 👍 / 👎. */
#kb-chat .message-row:has(.kb-no-match) .message-buttons { display: none !important; }
.kb-not-helped { color: var(--kb-accent, #0f766e); }
.kb-figures { display: flex; flex-wrap: wrap; gap: 8px; }
.kb-figure { flex: 1 1 120px; border: 1px solid var(--border-color-primary); border-radius: 10px; padding: 8px 12px;
  display: flex; flex-direction: column; min-width: 0; }
.kb-figure strong { font-size: 1.4rem; }
.kb-figure-label, .kb-figure-note { font-size: .8rem; color: var(--body-text-color-subdued); }
.kb-insights table { width: 100%; border-collapse: collapse; font-size: .9rem; }
.kb-insights th, .kb-insights td { text-align: left; vertical-align: top; padding: 4px 8px;
  border-bottom: 1px solid var(--border-color-primary); overflow-wrap: anywhere; }
.kb-insights th { white-space: nowrap; }
.kb-insights h3 { font-size: 1rem; margin: 12px 0 4px; }
"""

def accent_css(color: str) -> str:
    """The site's accent colour for links, card edges, the header and primary buttons; only a hex colour
    (settings refuse anything else) ever reaches the stylesheet."""
    if not re.fullmatch(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})", color or ""):
        return ""
    return (f":root, .dark {{ --kb-accent: {color}; --button-primary-background-fill: {color}; "
            f"--button-primary-background-fill-hover: {color}; --color-accent: {color}; }}\n")
