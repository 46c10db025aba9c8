// The widget's frame: asks through /widget/<key>/ask and reads its Server-Sent Events from a
// fetch stream (the session token rides in a header, never in a URL). Streamed pieces are set as
// text; the final answer block is the server's rendering (templates/chat/_answer.html, sanitised),
// parsed inertly with DOMParser. Messages to and from the host page's loader (static/widgets/
// embed.js) are checked both ways: only the parent window, only the origin this frame was
// allowed for. Documented in docs/WIDGET.md.
(function () {
  "use strict";

  var body = document.body;
  var data = body.dataset;
  var hostOrigin = data.hostOrigin;
  var token = data.session;
  var floating = data.mode === "floating";
  var preview = data.preview === "1";
  var storeKey = "yoppy:" + data.key + ":" + hostOrigin;
  var conversation = "";
  var openedOnce = false;
  var busy = false;

  var $ = function (id) { return document.getElementById(id); };
  var panel = $("yw-panel"), bubble = $("yw-bubble"), list = $("yw-messages"), thread = $("yw-history");
  var form = $("yw-form"), input = $("yw-question");

  var UNAVAILABLE = "The chat is temporarily unavailable and the answer could not be delivered. Please try again in a few seconds.";

  function colour(value) {
    if (!/^#[0-9a-fA-F]{6}$/.test(value || "")) return;
    var root = document.documentElement.style;
    root.setProperty("--yw-accent", value);
    // Text on the accent colour: black or white, whichever reads better (WCAG relative luminance).
    var c = [1, 3, 5].map(function (i) {
      var v = parseInt(value.substr(i, 2), 16) / 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    var luminance = 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
    root.setProperty("--yw-on-accent", luminance > 0.18 ? "#111827" : "#ffffff");
  }
  colour(data.colour);

  function tell(message) {
    if (window.parent !== window) window.parent.postMessage(message, hostOrigin);
  }

  function isOpen() { return !floating || !panel.hidden; }

  function state() {
    var size = bubble && !isOpen() ? { width: bubble.offsetWidth + 12, height: bubble.offsetHeight + 12 } : null;
    tell({ type: "yoppy:state", open: isOpen(), bubble: size });
  }

  function open() {
    if (!floating || isOpen()) return;
    panel.hidden = false;
    bubble.hidden = true;
    bubble.setAttribute("aria-expanded", "true");
    state();
    input.focus();
    if (!openedOnce && !preview) {
      openedOnce = true;
      api(data.eventUrl, { type: "open" }).catch(function () {});
    }
  }

  function close() {
    if (!floating || !isOpen()) return;
    panel.hidden = true;
    bubble.hidden = false;
    bubble.setAttribute("aria-expanded", "false");
    stopPlayer();
    state();
    bubble.focus();
  }

  function reset() {
    conversation = "";
    thread.replaceChildren();
    stopPlayer();
    var starters = $("yw-starters");
    if (starters) starters.hidden = false;
  }

  function api(url, payload) {
    return fetch(url, {
      method: "POST",
      credentials: "omit",
      headers: { "Content-Type": "application/json", "X-Yoppy-Session": token },
      body: JSON.stringify(payload),
    });
  }

  function parsed(html) {
    // Parsed in a separate, script-less document; the nodes move into ours as they are.
    return Array.prototype.slice.call(new DOMParser().parseFromString(html, "text/html").body.childNodes);
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function showError(container, message, refusal) {
    var p = element("p", refusal ? "" : "error", message);
    p.setAttribute("role", "alert");
    container.replaceChildren(p);
  }

  function scroll() { list.scrollTop = list.scrollHeight; }

  // Server-Sent Events from a fetch body: blocks of "event: x" and "data: {...}" lines.
  function readEvents(response, handle) {
    var reader = response.body.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    function pump() {
      return reader.read().then(function (chunk) {
        buffer += decoder.decode(chunk.value || new Uint8Array(), { stream: !chunk.done });
        var blocks = buffer.split("\n\n");
        buffer = blocks.pop();
        blocks.forEach(function (block) {
          var name = "message", payload = "";
          block.split("\n").forEach(function (line) {
            if (line.indexOf("event: ") === 0) name = line.slice(7);
            else if (line.indexOf("data: ") === 0) payload += line.slice(6);
          });
          if (payload) handle(name, JSON.parse(payload));
        });
        if (!chunk.done) return pump();
      });
    }
    return pump();
  }

  function ask(question) {
    question = (question || "").trim();
    if (!question || busy || preview) return;
    busy = true;
    var starters = $("yw-starters");
    if (starters) starters.hidden = true;
    var asked = element("div", "msg msg-user");
    asked.appendChild(element("p", "", question));
    var answer = element("div", "msg msg-assistant streaming");
    var answerBody = element("div", "answer-body");
    answer.appendChild(answerBody);
    thread.append(asked, answer);
    scroll();
    var text = "", tokens = 0, finished = false;

    function fail(message, refusal) {
      finished = true;
      answer.classList.remove("streaming");
      if (refusal) answer.className = "msg msg-refusal";
      showError(answerBody, message, refusal);
      answer.dataset.failed = "1";
    }

    api(data.askUrl, { question: question, conversation: conversation })
      .then(function (response) {
        if (!response.ok) {
          return response.json().then(function (reply) {
            fail(reply.error || UNAVAILABLE, response.status === 429 || response.status === 400);
          }, function () { fail(UNAVAILABLE); });
        }
        return readEvents(response, function (name, payload) {
          if (name === "start") {
            if (payload.conversation) conversation = String(payload.conversation);
          } else if (name === "token") {
            text += payload.text;
            answerBody.textContent = text;
            tokens += 1;
            answer.dataset.tokens = String(tokens);
            scroll();
          } else if (name === "done") {
            finished = true;
            answer.replaceChildren.apply(answer, parsed(payload.html));
            answer.classList.remove("streaming");
            answer.dataset.done = "1";
            scroll();
          } else if (name === "error") {
            fail(payload.message);
          }
        }).then(function () { if (!finished) fail(UNAVAILABLE); });
      })
      .catch(function () { if (!finished) fail(UNAVAILABLE); })
      .then(function () { busy = false; });
  }

  function play(videoId, start) {
    if (!/^[A-Za-z0-9_-]{11}$/.test(videoId || "")) return;
    $("yw-player-frame").src = "https://www.youtube-nocookie.com/embed/" + videoId + "?start=" + Math.max(0, parseInt(start, 10) || 0) + "&autoplay=1";
    $("yw-player").hidden = false;
  }

  function stopPlayer() {
    $("yw-player").hidden = true;
    $("yw-player-frame").src = "about:blank";
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest("button");
    if (!target) return;
    if (target.id === "yw-bubble") open();
    else if (target.id === "yw-close") close();
    else if (target.id === "yw-reset") reset();
    else if (target.id === "yw-player-close") stopPlayer();
    else if (target.classList.contains("yw-starter")) ask(target.dataset.question);
    else if (target.classList.contains("cite") || target.classList.contains("citation-play")) play(target.dataset.video, target.dataset.start);
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var question = input.value;
    input.value = "";
    ask(question);
  });
  input.addEventListener("keydown", function (event) {
    // Enter sends, Shift+Enter is a new line.
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); form.requestSubmit(); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") close();
  });

  window.addEventListener("message", function (event) {
    if (event.source !== window.parent || event.origin !== hostOrigin) return;
    var message = event.data || {};
    if (message.type === "yoppy:open") open();
    else if (message.type === "yoppy:close") close();
    else if (message.type === "yoppy:reset") reset();
    else if (message.type === "yoppy:preview" && preview) showLooks(message.looks || {});
  });

  // The dashboard's live preview: the form's values, shown as text (never as HTML).
  function showLooks(looks) {
    colour(looks.colour);
    if (typeof looks.greeting === "string") {
      $("yw-greeting").textContent = looks.greeting;
      $("yw-greeting").parentNode.hidden = !looks.greeting;
    }
    if (Array.isArray(looks.starters)) {
      $("yw-starters").replaceChildren.apply($("yw-starters"), looks.starters.slice(0, 4).map(function (s) {
        var b = element("button", "yw-starter", String(s).slice(0, 120));
        b.type = "button";
        return b;
      }));
    }
  }

  function begin() {
    var match = /(?:^#|&)vt=([^&]+)/.exec(location.hash);
    var visitorToken = match ? decodeURIComponent(match[1]) : "";
    if (match) window.history.replaceState(null, "", location.pathname + location.search);
    var previous = "";
    try { previous = sessionStorage.getItem(storeKey) || ""; } catch (e) { previous = ""; }
    var ready = Promise.resolve();
    if (!preview && (visitorToken || previous)) {
      ready = api(data.sessionUrl, { visitor_token: visitorToken, resume: previous })
        .then(function (response) { return response.json().then(function (reply) { return [response, reply]; }); })
        .then(function (pair) {
          var reply = pair[1];
          if (!pair[0].ok) { showError(thread, reply.error || UNAVAILABLE); return; }
          token = reply.token;
          if (reply.conversation) {
            conversation = String(reply.conversation);
            thread.replaceChildren.apply(thread, parsed(reply.history));
            var starters = $("yw-starters");
            if (starters && thread.childNodes.length) starters.hidden = true;
          }
        })
        .catch(function () {});
    }
    ready.then(function () {
      try { if (!preview) sessionStorage.setItem(storeKey, token); } catch (e) { /* storage blocked: a new visit each load */ }
      body.dataset.ready = "1";
      if (floating && data.open === "1") open(); else state();
    });
  }
  begin();
})();
