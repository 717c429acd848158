/* The help centre's search box for any page: one line,
 *   <script src="https://HOST/widget.js" data-placeholder="Ask a question…" async></script>
 * adds a search box and answer cards inside a shadow root (the page's CSS cannot reach in, ours cannot
 * leak out) right where the tag is, or inside data-target="#some-element". It asks HOST's /api/search.
 * Optional: data-heading, data-k (passages, 1-50), data-accent (#rgb or #rrggbb), data-target.
 * No framework. Every string from the knowledge base is set as text (textContent), never as HTML,
 * and only http(s) and relative links become links. */
(function () {
  "use strict";
  var CONFIG = __CONFIG__;
  var script = document.currentScript || lastWidgetScript();
  if (!script || !script.src) return;
  var base = new URL(".", script.src);
  var data = script.dataset;
  var NOT_HERE = "Search is not available here.";
  var HEX = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i;
  var options = {
    placeholder: data.placeholder || CONFIG.placeholder,
    heading: data.heading || CONFIG.heading,
    k: Math.max(1, Math.min(50, parseInt(data.k, 10) || CONFIG.top_k)),
    accent: HEX.test(data.accent || "") ? data.accent : CONFIG.accent_color
  };
  var BADGES = {article: "Article", transcript: "Session recording", deck: "Slide deck", text: "Note"};
  var CSS = [
    ":host{all:initial;display:block;--kbw-accent:#0f766e;font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1e293b}",
    "*{box-sizing:border-box}",
    ".box{max-width:760px;margin:0 auto;padding:14px 0}",
    "label.heading{display:block;font-size:1.25em;font-weight:650;margin:0 0 8px}",
    ".row{display:flex;gap:8px}",
    "input{flex:1 1 auto;min-width:0;font:inherit;padding:9px 12px;border:1px solid #cbd5e1;border-radius:8px;background:#fff;color:inherit}",
    "input:focus{outline:2px solid var(--kbw-accent);outline-offset:1px;border-color:var(--kbw-accent)}",
    "button{font:inherit;font-weight:600;padding:9px 16px;border:0;border-radius:8px;background:var(--kbw-accent);color:#fff;cursor:pointer}",
    "button:disabled{opacity:.6;cursor:progress}",
    "button:focus-visible{outline:2px solid #1e293b;outline-offset:2px}",
    ".status{min-height:1.5em;margin:8px 0 0;color:#475569;font-size:.92em}",
    ".status.error{color:#b91c1c}",
    ".results{display:flex;flex-direction:column;gap:10px}",
    ".lead,.notice{margin:4px 0 0;font-weight:600}",
    ".card{border:1px solid #e2e8f0;border-left:4px solid var(--kbw-accent);border-radius:10px;padding:10px 14px;background:#fff;overflow-wrap:anywhere}",
    ".meta{display:flex;gap:10px;align-items:center;flex-wrap:wrap;font-size:.8em}",
    ".badge{background:#f1f5f9;color:#334155;border-radius:999px;padding:1px 9px;font-weight:600}",
    "a{color:var(--kbw-accent);font-weight:600;text-decoration:none}",
    "a:hover,a:focus-visible{text-decoration:underline}",
    "h3{font-size:1.02em;margin:6px 0 2px;line-height:1.35}",
    ".section{font-size:.85em;color:#64748b}",
    ".text{margin:6px 0 0}",
    "mark{background:#fff3b0;color:inherit;padding:0 2px;border-radius:3px}",
    "ul{margin:0;padding-left:1.2em}",
    ".more summary{cursor:pointer;font-weight:600;color:var(--kbw-accent)}",
    ".hint{margin:0;color:#64748b;font-size:.9em}"
  ].join("\n");

  function lastWidgetScript() {
    var all = document.querySelectorAll('script[src*="widget.js"]');
    return all[all.length - 1];
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function safeHref(url) {
    if (typeof url !== "string" || !url) return null;
    try {
      var parsed = new URL(url, base);
      return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
    } catch (e) {
      return null;
    }
  }

  function link(url, label, className) {
    var href = safeHref(url);
    if (!href) return el("span", className, label);
    var a = el("a", className, label);
    a.href = href;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    return a;
  }

  function clock(seconds) {
    var total = Math.floor(seconds || 0), h = Math.floor(total / 3600), m = Math.floor(total % 3600 / 60), s = total % 60;
    var two = function (n) { return (n < 10 ? "0" : "") + n; };
    return h ? h + ":" + two(m) + ":" + two(s) : m + ":" + two(s);
  }

  function plain(text) {  /* one line, without Markdown's **bold** marks (noise in a card) */
    return String(text || "").replace(/\*\*(\S(?:.*?\S)?)\*\*/g, "$1").replace(/\s+/g, " ").trim();
  }

  /* A passage's Markdown as words, the words the chat shows (ui/markup.py, same rules): `code` kept as
   * written, a link or image as its words (its target never followed), no bold, italic or stray marks,
   * the owner's inline tags (<kbd>, <em>…) as their text; one line. */
  var LINK = /!?\[([^\]\n]*)\]\((?:[^()\n]|\([^()\n]*\))*\)/g;
  var BOLD = /(\*\*|__)(?=\S)(.+?)(?<=\S)\1/g;
  var ITALIC = /(?<![\p{L}\p{N}_*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\p{L}\p{N}_*])|(?<![\p{L}\p{N}_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\p{L}\p{N}_])/gu;
  var STRAY = /\*\*|__|(?<![\p{L}\p{N}_*])\*(?=\S)|(?<=\S)\*(?![\p{L}\p{N}_*])/gu;
  var TAG_PAIR = /<(kbd|em|strong|code|sub|sup)>(.+?)<\/\1>/gi;
  function words(text) {
    return String(text || "").split(/(`[^`\n]+`)/).map(function (part, i) {
      if (i % 2) return part.slice(1, -1);
      part = part.replace(LINK, "$1").replace(BOLD, "$2").replace(ITALIC, function (m, a, b) { return a || b; })
        .replace(STRAY, "").replace(/`/g, "");
      for (var n = 0; n < 3; n++) part = part.replace(TAG_PAIR, "$2");
      return part.replace(/<br\s*\/?>/gi, " ");
    }).join("").replace(/\s+/g, " ").trim();
  }

  function excerpt(text, highlight, width) {
    var p = el("p", "text");
    text = words(text);
    highlight = words(highlight);
    var at = highlight ? text.indexOf(highlight) : -1;
    if (at < 0) {
      p.textContent = text.length > width ? text.slice(0, width).replace(/\s+\S*$/, "") + "…" : text;
      return p;
    }
    var room = Math.floor(Math.max(0, width - highlight.length) / 2);
    var start = Math.max(0, at - room), end = Math.min(text.length, at + highlight.length + room);
    var space = text.indexOf(" ", start);  /* cut between words, not inside one */
    if (start > 0 && space >= 0 && space < at) start = space + 1;
    space = text.lastIndexOf(" ", end);
    if (end < text.length && space > at + highlight.length) end = space;
    p.appendChild(document.createTextNode((start ? "…" : "") + text.slice(start, at)));
    p.appendChild(el("mark", null, highlight));
    p.appendChild(document.createTextNode(text.slice(at + highlight.length, end) + (end < text.length ? "…" : "")));
    return p;
  }

  function card(passage) {
    var article = el("article", "card");
    var meta = el("div", "meta");
    var badge = BADGES[passage.source_type] || String(passage.source_type || "");
    if (typeof passage.page === "number") badge += " · page " + passage.page;
    meta.appendChild(el("span", "badge", badge));
    if (typeof passage.start_seconds === "number") {
      meta.appendChild(link(passage.url, "▶ " + clock(passage.start_seconds), "time"));
    }
    article.appendChild(meta);
    var title = el("h3", "title");
    title.appendChild(link(passage.url, plain(passage.title), "link"));
    article.appendChild(title);
    if (passage.section) article.appendChild(el("div", "section", passage.section));
    article.appendChild(excerpt(passage.text, passage.highlight, 420));
    return article;
  }

  function render(results, answer, askAgain) {
    results.textContent = "";
    var passages = Array.isArray(answer.passages) ? answer.passages : [];
    if (answer.searched_for) results.appendChild(el("p", "hint", "Searched for: " + answer.searched_for));
    if (answer.answered) {
      var count = passages.length;
      results.appendChild(el("p", "lead", count + " passage" + (count === 1 ? "" : "s") + " from " + CONFIG.site_name + ":"));
      passages.forEach(function (passage) { results.appendChild(card(passage)); });
      var more = Array.isArray(answer.more) ? answer.more : [];
      if (more.length) {  /* weaker passages behind a closed disclosure, so nothing found is lost */
        var details = el("details", "more");
        details.appendChild(el("summary", null, "More results (" + more.length + ")"));
        var others = el("ul", "nearest");
        more.forEach(function (passage) {
          var item = el("li");
          item.appendChild(link(passage.url, plain(passage.title), "link"));
          if (passage.section) item.appendChild(el("span", "section", " " + passage.section));
          others.appendChild(item);
        });
        details.appendChild(others);
        results.appendChild(details);
      }
      return;
    }
    results.appendChild(el("p", "notice", answer.message || "No confident match."));
    var examples = Array.isArray(answer.examples) ? answer.examples : [];
    if (examples.length) {  /* after a greeting: questions to try, each asked when clicked */
      results.appendChild(el("p", "lead", "For example:"));
      var tries = el("ul", "nearest");
      examples.forEach(function (example) {
        var item = el("li");
        var button = el("button", "example", plain(String(example)));
        button.type = "button";
        button.addEventListener("click", function () { askAgain(String(example)); });
        item.appendChild(button);
        tries.appendChild(item);
      });
      results.appendChild(tries);
    }
    if (!passages.length) return;
    results.appendChild(el("p", "lead", "Nearest articles:"));
    var list = el("ul", "nearest");
    passages.forEach(function (passage) {
      var item = el("li");
      item.appendChild(link(passage.url, plain(passage.title), "link"));
      list.appendChild(item);
    });
    results.appendChild(list);
    if (CONFIG.no_match_hint) results.appendChild(el("p", "hint", CONFIG.no_match_hint));
  }

  function refusal(response, body) {
    if (response.status === 403 && body && typeof body.setting === "string") {
      /* This page's origin is not in allowed_origins: a neutral line for the visitor, the fix for the owner. */
      if (!body.setting) { console.warn("Help-centre search box: " + body.error); return NOT_HERE; }
      var preview = new URL("widget", base);
      preview.searchParams.set("origin", location.origin);
      console.warn("Help-centre search box: this page's origin (" + location.origin + ") is not in the " +
        "assistant's allowed_origins, so it cannot search. Add this line to its assistant.toml (or add the " +
        "origin to the list the setting already has), then restart it:\n  " + body.setting + "\nSee " + preview.href);
      return NOT_HERE;
    }
    if (body && typeof body.error === "string") return body.error;
    if (response.status === 429) {
      return "Too many questions at once; try again in " + (response.headers.get("Retry-After") || "a few") + " s.";
    }
    return "The help centre could not answer just now (error " + response.status + "). Please try again.";
  }

  function build(root) {
    var box = el("div", "box");
    var form = el("form");
    form.setAttribute("role", "search");
    var label = el("label", "heading", options.heading);
    label.htmlFor = "kbw-q";
    var row = el("div", "row");
    var input = el("input");
    input.id = "kbw-q";
    input.type = "search";
    input.placeholder = options.placeholder;
    input.autocomplete = "off";
    input.maxLength = CONFIG.max_question_chars;
    input.setAttribute("enterkeyhint", "search");
    var button = el("button", null, "Search");
    button.type = "submit";
    var status = el("div", "status");
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    var results = el("div", "results");
    row.appendChild(input);
    row.appendChild(button);
    form.appendChild(label);
    form.appendChild(row);
    box.appendChild(form);
    box.appendChild(status);
    box.appendChild(results);
    root.appendChild(el("style", null, CSS));
    root.appendChild(box);
    return {form: form, input: input, button: button, status: status, results: results};
  }

  function searchUrl(question, asked) {
    var url = new URL("api/search", base);
    url.searchParams.set("q", question);
    url.searchParams.set("k", String(options.k));
    url.searchParams.set("channel", "widget");
    asked.slice(-2).forEach(function (before) { url.searchParams.append("after", before); });
    return url.href;
  }

  function mount(host) {
    var ui = build(host.attachShadow({mode: "open"}));
    host.style.setProperty("--kbw-accent", options.accent);
    var asked = [], pending = null;
    function say(text, isError) {
      ui.status.className = isError ? "status error" : "status";
      ui.status.textContent = text;
    }
    ui.form.addEventListener("submit", function (event) {
      event.preventDefault();
      var question = ui.input.value.trim();
      if (!question) return say("Please type a question.", false);
      if (pending) pending.abort();
      pending = window.AbortController ? new AbortController() : null;
      say("Searching…", false);
      ui.button.disabled = true;
      fetch(searchUrl(question, asked), {credentials: "omit", signal: pending ? pending.signal : undefined})
        .then(function (response) {
          return response.json().catch(function () { return null; }).then(function (body) {
            if (!response.ok || !body) throw new Error(refusal(response, body));
            asked.push(question);
            say("", false);
            render(ui.results, body, function (example) {
              ui.input.value = example;
              if (ui.form.requestSubmit) ui.form.requestSubmit();
              else ui.form.dispatchEvent(new Event("submit", {cancelable: true}));
            });
          });
        })
        .catch(function (error) {
          if (error && error.name === "AbortError") return;
          say(error instanceof TypeError || !error || !error.message
            ? "The help centre cannot be reached just now. Please try again later." : error.message, true);
        })
        .then(function () { ui.button.disabled = false; });
    });
  }

  function place() {
    var host = document.createElement("div");
    host.className = "kb-widget";
    var target = null;
    try { target = data.target ? document.querySelector(data.target) : null; } catch (e) { target = null; }
    if (target) target.appendChild(host);
    else if (script.parentNode && script.parentNode !== document.head) script.parentNode.insertBefore(host, script);
    else document.body.appendChild(host);
    mount(host);
  }

  var later = document.readyState === "loading" && (data.target || !document.body || script.parentNode === document.head);
  if (later) document.addEventListener("DOMContentLoaded", place);
  else place();
})();
