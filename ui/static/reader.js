// The reader's one script (its hash is in the page's CSP): marks what the link points at.
// #…:~:text=[prefix-,]start[,end]  the cited sentence, wrapped in <mark class="kb-cited"> and scrolled to
//   (browsers strip the directive from location, so it is read from the navigation entry as well);
// #t=SECONDS  the transcript cue playing at that second, and its turn, marked and scrolled to.
// It also sends "Was this article helpful?" (stars, and the improvement note) with the page's token, and
// answers the search box in the bar with the assistant's cards (/api/search), every text set as text.
(function () {
  "use strict";
  var BLOCKS = "p,li,td,th,tr,h1,h2,h3,h4,h5,h6,pre,blockquote,dt,dd,figcaption,caption,section,header,div";

  function directive() {
    var nav = performance.getEntriesByType ? performance.getEntriesByType("navigation")[0] : null;
    var urls = [location.href, nav ? nav.name : ""];
    for (var i = 0; i < urls.length; i++) {
      var at = urls[i].indexOf(":~:text=");
      if (at >= 0) return urls[i].slice(at + 8).split("&")[0];
    }
    return "";
  }

  function terms(text) {
    var parts = text.split(",").map(function (p) {
      try { return decodeURIComponent(p); } catch (e) { return p; }
    });
    var found = { prefix: "", start: "", end: "" };
    if (parts.length > 1 && /-$/.test(parts[0])) found.prefix = parts.shift().slice(0, -1);
    if (parts.length > 1 && /^-/.test(parts[parts.length - 1])) parts.pop();
    found.start = parts[0] || "";
    found.end = parts.length > 1 ? parts[1] : "";
    return found;
  }

  function flatten(root) {  // the page's text, whitespace folded, with where each character came from
    var text = "", nodes = [], offsets = [], lastBlock = null, space = true;
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (var node = walker.nextNode(); node; node = walker.nextNode()) {
      var block = node.parentElement.closest(BLOCKS);
      if (block !== lastBlock && !space) { text += " "; nodes.push(null); offsets.push(0); space = true; }
      lastBlock = block;
      for (var i = 0; i < node.data.length; i++) {
        var white = /\s/.test(node.data[i]);
        if (white && space) continue;
        text += white ? " " : node.data[i];
        nodes.push(node); offsets.push(i); space = white;
      }
    }
    return { text: text.toLowerCase(), nodes: nodes, offsets: offsets };
  }

  function wrap(flat, from, to) {  // every piece of text in [from, to) inside a <mark>, last first
    var marks = [], i = to - 1;
    while (i >= from) {
      var node = flat.nodes[i];
      if (!node) { i--; continue; }
      var j = i;
      while (j - 1 >= from && flat.nodes[j - 1] === node) j--;
      var piece = node.splitText(flat.offsets[j]);
      piece.splitText(flat.offsets[i] - flat.offsets[j] + 1);
      var mark = document.createElement("mark");
      mark.className = "kb-cited";
      piece.parentNode.replaceChild(mark, piece);
      mark.appendChild(piece);
      marks.unshift(mark);
      i = j - 1;
    }
    return marks;
  }

  function markSentence(root) {
    var found = terms(directive());
    if (!found.start) return null;
    var flat = flatten(root), start = found.start.toLowerCase(), at;
    if (found.prefix) {
      var both = flat.text.indexOf(found.prefix.toLowerCase() + " " + start);
      at = both < 0 ? -1 : both + found.prefix.length + 1;
    } else {
      at = flat.text.indexOf(start);
    }
    if (at < 0) return null;
    var stop = at + start.length;
    if (found.end) {
      var end = flat.text.indexOf(found.end.toLowerCase(), stop);
      if (end >= 0) stop = end + found.end.length;
    }
    return wrap(flat, at, stop)[0] || null;
  }

  function moment() {  // the seconds of #t=SECONDS, or null
    var found = /(?:^#|&)t=(\d+(?:\.\d+)?)/.exec(location.hash);
    return found ? parseFloat(found[1]) : null;
  }

  function markCue(at) {  // the first cue starting in that second (a link names the answering cue's whole
    // second), else the last one started by then
    if (at === null || at === undefined) return null;
    var cues = document.querySelectorAll(".kb-cue[data-start]"), chosen = -1, same = -1;
    for (var i = 0; i < cues.length; i++) {
      var start = parseFloat(cues[i].getAttribute("data-start"));
      if (same < 0 && Math.floor(start) === Math.floor(at)) same = i;
      if (start <= at) chosen = i;
    }
    chosen = same >= 0 ? same : Math.max(chosen, 0);
    var asked = cues[chosen], reply = cues[chosen + 1];  // a question another speaker answers within 5 s:
    if (asked && reply && asked.textContent.indexOf("?") >= 0 && reply.closest(".kb-turn") !== asked.closest(".kb-turn")
        && reply.closest(".kb-turn").querySelector(".kb-speaker")  // the link opens at the question, the answer is cited
        && parseFloat(reply.getAttribute("data-start")) - parseFloat(asked.getAttribute("data-end")) <= 5) chosen += 1;
    chosen = cues[chosen];
    var old = document.querySelectorAll(".kb-here");
    for (var k = 0; k < old.length; k++) old[k].classList.remove("kb-here");
    if (!chosen) return null;
    chosen.classList.add("kb-here");
    chosen.closest(".kb-turn").classList.add("kb-here");
    return chosen;
  }

  function show(target) {
    if (target) target.scrollIntoView({ block: "center" });
  }

  function seek(at, play) {  // the recording embedded above the transcript, at `at` seconds
    var media = document.querySelector(".kb-media"), embed = document.querySelector("iframe.kb-embed");
    if (media) {
      var go = function () {
        media.currentTime = at;
        if (play) { var started = media.play(); if (started && started.catch) started.catch(function () {}); }
      };
      if (media.readyState >= 1) go(); else media.addEventListener("loadedmetadata", go, { once: true });
    } else if (embed) {
      var base = embed.getAttribute("data-embed"), whole = Math.floor(at || 0), src;
      if (embed.getAttribute("data-kind") === "youtube") src = base + "?start=" + whole + (play ? "&autoplay=1" : "");
      else src = base + (play ? "?autoplay=1" : "") + "#t=" + whole + "s";
      if (embed.getAttribute("src") !== src) embed.setAttribute("src", src);
    }
  }

  function times() {  // a click on a time plays from that moment, without leaving the page
    document.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest('a[href^="#t="]');
      if (!link || !document.querySelector(".kb-media, iframe.kb-embed")) return;
      event.preventDefault();
      var at = parseFloat(link.getAttribute("href").slice(3));
      history.replaceState(null, "", "#t=" + Math.floor(at));
      show(markCue(at));
      seek(at, true);
    });
  }

  function markPage() {  // a deck: the page of #page=N marked and opened in the PDF beside it
    var found = /(?:^#|&)page=(\d+)/.exec(location.hash), pdf = document.querySelector("iframe.kb-pdf");
    if (!found || !pdf) return null;
    pdf.setAttribute("src", pdf.getAttribute("data-pdf") + "#page=" + found[1]);
    var old = document.querySelectorAll(".kb-page-text.kb-here");
    for (var k = 0; k < old.length; k++) old[k].classList.remove("kb-here");
    var section = document.getElementById("page=" + found[1]);
    if (section) section.classList.add("kb-here");
    return section;
  }

  function rating() {  // five star buttons and a note, posted as JSON to this app's /ratings
    var box = document.getElementById("kb-rate");
    if (!box) return;
    var stars = box.querySelectorAll(".kb-star"), note = box.querySelector("textarea");
    var status = box.querySelector(".kb-rate-status"), chosen = 0;
    function say(text, error) { status.textContent = text; status.className = "kb-rate-status" + (error ? " kb-error" : ""); }
    function send(withNote) {
      if (!chosen) { say("Choose from one to five stars first.", true); return; }
      var body = {doc_id: box.getAttribute("data-doc"), token: box.getAttribute("data-token"), stars: chosen,
                  comment: withNote ? note.value : ""};
      fetch(box.getAttribute("data-post"), {method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)})
        .then(function (response) {
          return response.json().catch(function () { return {}; }).then(function (answer) {
            if (!response.ok) { say(answer.error || "Your rating could not be saved just now.", true); return; }
            if (withNote) note.value = "";
            say(withNote ? "Thank you — your suggestion was sent." : "Thank you for rating this article.", false);
          });
        })
        .catch(function () { say("The help centre cannot be reached just now. Please try again later.", true); });
    }
    Array.prototype.forEach.call(stars, function (star, i) {
      star.addEventListener("click", function () {
        chosen = i + 1;
        Array.prototype.forEach.call(stars, function (other, j) {
          other.classList.toggle("kb-on", j < chosen);
          other.setAttribute("aria-checked", j === i ? "true" : "false");
        });
        send(false);
      });
    });
    box.querySelector(".kb-send").addEventListener("click", function () { send(true); });
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function link(url, label) {  // only http(s) and relative addresses become links
    var href = null;
    try { href = /^https?:$/.test(new URL(url, location.href).protocol) ? new URL(url, location.href).href : null; }
    catch (e) { href = null; }
    if (!href) return el("span", null, label);
    var a = el("a", null, label);
    a.href = href;
    return a;
  }

  function words(text) {  // a passage's Markdown as the chat shows it: a link's words, no ** or ` marks
    return String(text || "").replace(/!?\[([^\]\n]*)\]\((?:[^()\n]|\([^()\n]*\))*\)/g, "$1")
      .replace(/(\*\*|__|`)/g, "").replace(/\s+/g, " ").trim();
  }

  function card(passage) {
    var box = el("article", "kb-card"), title = el("h3");
    title.appendChild(link(passage.url, words(passage.title)));
    box.appendChild(title);
    var kinds = {article: "Article", transcript: "Session recording", deck: "Slide deck", text: "Note"};
    var badge = (kinds[passage.source_type] || "") + (typeof passage.page === "number" ? " · page " + passage.page : "");
    box.appendChild(el("span", "kb-badge", [badge, words(passage.section)].filter(Boolean).join(" · ")));
    var text = words(passage.text), best = words(passage.highlight), at = best ? text.indexOf(best) : -1, p = el("p");
    if (at < 0) p.textContent = text.slice(0, 300);
    else {
      p.appendChild(document.createTextNode((at > 120 ? "…" : "") + text.slice(Math.max(0, at - 120), at)));
      p.appendChild(el("mark", null, best));
      p.appendChild(document.createTextNode(text.slice(at + best.length, at + best.length + 120) + "…"));
    }
    box.appendChild(p);
    return box;
  }

  function search() {  // the bar's search box: the assistant's answer as cards above the article
    var form = document.querySelector("form.kb-search"), results = document.querySelector(".kb-results");
    if (!form || !results) return;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var question = form.querySelector("input").value.trim();
      if (!question) return;
      var url = new URL(form.getAttribute("data-api"), location.href);
      url.searchParams.set("q", question);
      url.searchParams.set("channel", "reader");
      results.hidden = false;
      results.textContent = "Searching…";
      fetch(url.href, {credentials: "same-origin"}).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (answer) {
          results.textContent = "";
          if (!response.ok) { results.appendChild(el("p", "kb-error", answer.error || "The search failed; try again.")); return; }
          var passages = answer.passages || [];
          results.appendChild(el("p", "kb-lead", answer.answered ? passages.length + " passage" +
            (passages.length === 1 ? "" : "s") + " for “" + question + "”:" : (answer.message || "No confident match.")));
          passages.concat(answer.answered ? (answer.more || []).slice(0, 2) : []).forEach(function (p) {
            results.appendChild(card(p));
          });
          var close = el("button", null, "Close");
          close.type = "button";
          close.addEventListener("click", function () { results.hidden = true; results.textContent = ""; });
          results.appendChild(close);
        });
      }).catch(function () { results.textContent = "The help centre cannot be reached just now."; });
    });
  }

  rating();
  search();
  var main = document.querySelector("main");
  var at = moment();
  var target = markCue(at) || markPage() || (main && markSentence(main));
  if (document.querySelector(".kb-media, iframe.kb-embed")) seek(at || 0, false);
  times();
  show(target);  // and once more after the browser's own jump to the fragment's id
  window.addEventListener("load", function () { setTimeout(function () { show(target); }, 0); });
  window.addEventListener("hashchange", function () {
    var now = moment();
    show(markCue(now) || markPage());
    if (now !== null) seek(now, true);
  });
})();
