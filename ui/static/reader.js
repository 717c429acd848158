// The reader's one script (its hash is in the page's CSP): marks what the link points at.
// #…:~:text=[prefix-,]start[,end]  the cited sentence, wrapped in <mark class="kb-cited"> and scrolled to
//   (browsers strip the directive from location, so it is read from the navigation entry as well);
// #t=SECONDS  the transcript cue playing at that second, and its turn, marked and scrolled to.
// It also sends "Was this article helpful?" (stars, and the improvement note) with the page's token.
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

  function markCue() {
    var moment = /(?:^#|&)t=(\d+(?:\.\d+)?)/.exec(location.hash);
    if (!moment) return null;
    var cues = document.querySelectorAll("[data-start]"), chosen = null;
    for (var i = 0; i < cues.length; i++) {
      if (parseFloat(cues[i].getAttribute("data-start")) <= parseFloat(moment[1]) + 0.5) chosen = cues[i];
    }
    var old = document.querySelectorAll(".kb-here");
    for (var k = 0; k < old.length; k++) old[k].classList.remove("kb-here");
    chosen = chosen || cues[0];
    if (!chosen) return null;
    chosen.classList.add("kb-here");
    chosen.closest(".kb-turn").classList.add("kb-here");
    return chosen;
  }

  function show(target) {
    if (target) target.scrollIntoView({ block: "center" });
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

  rating();
  var main = document.querySelector("main");
  var target = markCue() || (main && markSentence(main));
  show(target);  // and once more after the browser's own jump to the fragment's id
  window.addEventListener("load", function () { setTimeout(function () { show(target); }, 0); });
  window.addEventListener("hashchange", function () { show(markCue()); });
})();
