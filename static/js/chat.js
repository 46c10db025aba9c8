// Chat: ask with Enter, stream answers over Server-Sent Events (rendered as light markdown while
// they arrive), stop them, page through regenerated answers, and play cited moments in an
// embedded player. The final answer block arrives rendered and sanitised by the server (nh3 and
// the same template as stored answers) and replaces the streamed rendering; streamed text is only
// ever put into the page as text nodes (textContent), never as HTML.
(function () {
  "use strict";

  if (window.htmx) {
    // Show refusals (an empty question, a channel not ready, the quota) that come back as 4xx.
    htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "4..", swap: true, error: false },
      { code: "...", swap: false, error: true },
    ];
  }

  const UNAVAILABLE = "Yoppy is temporarily unavailable and the answer could not be delivered. Please try again in a few seconds.";

  function questionBox() {
    return document.getElementById("question");
  }

  function focusQuestion() {
    const box = questionBox();
    if (box) box.focus({ preventScroll: true });
  }

  // The status region is the one live region of the chat: it gets each finished answer once
  // (emptied first, so the same words are announced again), never the streamed pieces.
  function announce(text) {
    const status = document.getElementById("chat-status");
    if (!status) return;
    status.textContent = "";
    window.setTimeout(function () { status.textContent = text; }, 50);
  }

  // --- A tiny markdown renderer for the streamed text -------------------------------------
  // Paragraphs, line breaks, "> " quotes, "- " and "1. " lists, ``` code, **bold**, *italic*,
  // `code` and [n] citation markers: what answers use. Everything becomes DOM nodes built with
  // createElement and textContent, so a streamed "<img onerror=...>" stays text. An emphasis
  // still open at the end of the text is shown as emphasis already, so "**" never flashes raw.

  function inline(parent, text) {
    const stack = [parent];
    let buffer = "";
    const top = function () { return stack[stack.length - 1]; };
    const flush = function () {
      if (buffer) top().appendChild(document.createTextNode(buffer));
      buffer = "";
    };
    const toggle = function (tag) {
      flush();
      if (top().tagName === tag.toUpperCase() && stack.length > 1) {
        stack.pop();
      } else {
        const element = document.createElement(tag);
        top().appendChild(element);
        stack.push(element);
      }
    };
    const inCode = function () { return top().tagName === "CODE"; };
    let i = 0;
    while (i < text.length) {
      const ch = text[i];
      const prev = i > 0 ? text[i - 1] : " ";
      const next = i + 1 < text.length ? text[i + 1] : " ";
      if (ch === "`") { toggle("code"); i += 1; continue; }
      if (inCode()) { buffer += ch; i += 1; continue; }
      if (ch === "*" && next === "*") { toggle("strong"); i += 2; continue; }
      const opening = !/\s/.test(next) && !/[\w*]/.test(prev);
      const closing = !/\s/.test(prev) && !/\w/.test(next) && top().tagName === "EM";
      if ((ch === "*" || ch === "_") && (opening || closing)) { toggle("em"); i += 1; continue; }
      if (ch === "[") {
        const marker = /^\[(\d{1,2}(?:\s*,\s*\d{1,2})*)\]/.exec(text.slice(i));
        if (marker) {
          flush();
          const cite = document.createElement("span");
          cite.className = "stream-cite";
          cite.textContent = marker[0];
          top().appendChild(cite);
          i += marker[0].length;
          continue;
        }
      }
      buffer += ch;
      i += 1;
    }
    flush();
  }

  function paragraph(lines) {
    const p = document.createElement("p");
    lines.forEach(function (line, index) {
      if (index > 0) p.appendChild(document.createElement("br"));
      inline(p, line.replace(/^#{1,6}\s+/, ""));
    });
    return p;
  }

  const BULLET = /^\s*[-*•]\s+/;
  const NUMBERED = /^\s*\d{1,3}[.)]\s+/;
  const QUOTE = /^\s*>\s?/;

  function renderMarkdown(container, text) {
    const nodes = [];
    const lines = text.replace(/\r\n?/g, "\n").split("\n");
    let i = 0;
    while (i < lines.length) {
      const line = lines[i];
      if (!line.trim()) { i += 1; continue; }
      if (/^\s*```/.test(line)) {
        const pre = document.createElement("pre");
        const code = document.createElement("code");
        const body = [];
        i += 1;
        while (i < lines.length && !/^\s*```/.test(lines[i])) { body.push(lines[i]); i += 1; }
        i += 1;
        code.textContent = body.join("\n");
        pre.appendChild(code);
        nodes.push(pre);
        continue;
      }
      if (QUOTE.test(line)) {
        const quoted = [];
        while (i < lines.length && QUOTE.test(lines[i])) { quoted.push(lines[i].replace(QUOTE, "")); i += 1; }
        const blockquote = document.createElement("blockquote");
        renderMarkdown(blockquote, quoted.join("\n"));
        nodes.push(blockquote);
        continue;
      }
      if (BULLET.test(line) || NUMBERED.test(line)) {
        const pattern = BULLET.test(line) ? BULLET : NUMBERED;
        const list = document.createElement(pattern === BULLET ? "ul" : "ol");
        while (i < lines.length && pattern.test(lines[i])) {
          const item = document.createElement("li");
          inline(item, lines[i].replace(pattern, ""));
          list.appendChild(item);
          i += 1;
        }
        nodes.push(list);
        continue;
      }
      const block = [];
      while (i < lines.length && lines[i].trim() && !QUOTE.test(lines[i]) && !BULLET.test(lines[i])
             && !NUMBERED.test(lines[i]) && !/^\s*```/.test(lines[i])) {
        block.push(lines[i]);
        i += 1;
      }
      nodes.push(paragraph(block));
    }
    container.replaceChildren.apply(container, nodes);
  }

  // --- Streaming ---------------------------------------------------------------------------

  function finish(element) {
    element.classList.remove("streaming");
    element.removeAttribute("aria-busy");
  }

  function stream(element) {
    element.dataset.started = "1";
    element.classList.add("streaming");
    element.setAttribute("aria-busy", "true");
    const body = element.querySelector(".answer-body");
    const source = new EventSource(element.dataset.streamUrl);
    element._source = source;
    let text = "";
    let tokens = 0;
    source.addEventListener("token", function (event) {
      text += JSON.parse(event.data).text;
      renderMarkdown(body, text);  // replaces the typing indicator with the first piece
      tokens += 1;
      element.dataset.tokens = String(tokens);  // how many pieces arrived before the end
      keepInView(element);
    });
    source.addEventListener("done", function (event) {
      const data = JSON.parse(event.data);
      // The whole answer block (body, confidence, citations) as the server renders stored
      // answers (templates/chat/_answer.html): citation markup is built there only.
      element.innerHTML = data.html;
      finish(element);
      element.dataset.done = "1";
      source.close();
      announce("Answer: " + (data.text || ""));
    });
    source.addEventListener("error", function (event) {
      if (element.dataset.done || element.dataset.stopped) return;
      // An "error" event with data is the server's own message; one without data is the
      // connection failing (a 5xx answer, the stream cut off): say so instead of going quiet.
      showError(body, event.data ? JSON.parse(event.data).message : UNAVAILABLE);
      finish(element);
      element.dataset.failed = "1";
      source.close();
      removeStop(element);
    });
  }

  function removeStop(element) {
    const actions = element.querySelector(".answer-actions");
    if (actions) actions.remove();
  }

  // Stop: closing the stream is the signal. The server notices the closed connection at its next
  // piece and stores what was said as a stopped answer (chat.services.answering); the page keeps
  // the same text, and the question stays in the chat with "Regenerate" beside it.
  function stop(element) {
    if (!element._source || element.dataset.done || element.dataset.failed) return;
    element._source.close();
    element.dataset.stopped = "1";
    finish(element);
    removeStop(element);
    const body = element.querySelector(".answer-body");
    if (body.querySelector(".typing")) {
      const p = document.createElement("p");
      p.className = "muted";
      p.textContent = "Stopped before the answer began.";
      body.replaceChildren(p);
    }
    const note = document.createElement("p");
    note.className = "answer-stopped muted";
    note.textContent = "Stopped: you ended this answer early.";
    element.appendChild(note);
    announce("Answer stopped.");
    focusQuestion();
  }

  function keepInView(element) {
    // Follow the answer while the reader is at the bottom; leave them be when they scrolled up.
    const nearBottom = window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 160;
    if (nearBottom) element.scrollIntoView({ block: "end" });
  }

  function showError(container, message) {
    const p = document.createElement("p");
    p.className = "error";
    p.setAttribute("role", "alert");
    p.textContent = message;
    container.replaceChildren(p);
  }

  // Asking (or regenerating) answered 5xx, or the server could not be reached: htmx swaps
  // nothing for those, so the fan would see no reaction at all.
  function askFailed(event) {
    const form = event.target.closest("form");
    if (!form || !form.closest(".ask-form, .regenerate")) return;
    let box = document.getElementById("ask-error");
    if (!box) {
      box = document.createElement("div");
      box.id = "ask-error";
      const ask = document.getElementById("ask-form");
      ask.parentNode.insertBefore(box, ask);
    }
    showError(box, "Yoppy is temporarily unavailable; your question was not sent. Please try again in a few seconds.");
  }
  document.addEventListener("htmx:responseError", askFailed);
  document.addEventListener("htmx:sendError", askFailed);
  document.addEventListener("htmx:afterRequest", function (event) {
    const form = event.target;
    const box = document.getElementById("ask-error");
    if (box && event.detail.successful) box.remove();
    if (form.id !== "ask-form") return;
    // Empty the box only when the question was taken (2xx): a refusal (4xx, shown in the chat)
    // keeps what the fan typed so they can fix it. An inline hx-on handler would need eval
    // under the CSP.
    const status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (status >= 200 && status < 300) form.reset();
    focusQuestion();
  });

  // --- The conversation's own URL -----------------------------------------------------------
  // The first question starts a conversation: its URL goes into the address bar, so a reload or
  // a shared link opens this conversation.
  function followConversationUrl() {
    const input = document.getElementById("conversation-id");
    const url = input && input.dataset.url;
    if (url && window.location.pathname !== url) {
      window.history.pushState({ conversation: input.value }, "", url);
    }
  }
  window.addEventListener("popstate", function () {
    // The page's content belongs to the URL it was built for; going back loads the one asked for.
    window.location.reload();
  });

  // --- Regenerated answers: "Answer 2 of 2" -------------------------------------------------

  function answersOf(exchange) {
    return Array.prototype.filter.call(exchange.children, function (child) {
      return child.classList.contains("msg-assistant");
    });
  }

  function showAnswer(exchange, index) {
    const answers = answersOf(exchange);
    if (index < 0 || index >= answers.length) return;
    answers.forEach(function (answer, i) { answer.hidden = i !== index; });
    const nav = exchange.querySelector(".answer-nav");
    nav.querySelector(".answer-count").textContent = "Answer " + (index + 1) + " of " + answers.length;
    nav.querySelector(".answer-prev").disabled = index === 0;
    nav.querySelector(".answer-next").disabled = index === answers.length - 1;
  }

  function pageAnswers(button, step) {
    const exchange = button.closest(".exchange");
    const answers = answersOf(exchange);
    const current = answers.findIndex(function (answer) { return !answer.hidden; });
    showAnswer(exchange, current + step);
    button.focus();
  }

  function tidyExchanges() {
    const exchanges = document.querySelectorAll("#message-list .exchange");
    exchanges.forEach(function (exchange, index) {
      // Only the last question can be answered again (the server regenerates the last one).
      if (index < exchanges.length - 1) {
        exchange.querySelectorAll(".regenerate").forEach(function (form) { form.remove(); });
      }
      const nav = exchange.querySelector(".answer-nav");
      if (nav && !nav.hidden) {
        const answers = answersOf(exchange);
        const current = answers.findIndex(function (answer) { return !answer.hidden; });
        nav.querySelector(".answer-prev").disabled = current <= 0;
        nav.querySelector(".answer-next").disabled = current === answers.length - 1;
      }
    });
  }

  function startStreams() {
    document.querySelectorAll("[data-stream-url]:not([data-started])").forEach(stream);
    const starters = document.getElementById("starters");
    if (starters && document.querySelector("#message-list .msg")) starters.remove();
    followConversationUrl();
    tidyExchanges();
  }

  function play(videoId, start) {
    if (!/^[A-Za-z0-9_-]{11}$/.test(videoId)) return;
    const player = document.getElementById("player");
    const frame = document.getElementById("player-frame");
    frame.src = "https://www.youtube-nocookie.com/embed/" + videoId + "?start=" + Math.max(0, parseInt(start, 10) || 0) + "&autoplay=1";
    player.hidden = false;
    player.scrollIntoView({ behavior: "smooth", block: "nearest" });
  }

  document.addEventListener("click", function (event) {
    const target = event.target.closest(".cite, .citation-play, .starter, #player-close, .answer-stop, .answer-prev, .answer-next");
    if (!target) return;
    if (target.id === "player-close") {
      document.getElementById("player").hidden = true;
      document.getElementById("player-frame").src = "about:blank";
    } else if (target.classList.contains("starter")) {
      const question = questionBox();
      question.value = target.dataset.question;
      question.form.requestSubmit();
    } else if (target.classList.contains("answer-stop")) {
      stop(target.closest(".msg-assistant"));
    } else if (target.classList.contains("answer-prev")) {
      pageAnswers(target, -1);
    } else if (target.classList.contains("answer-next")) {
      pageAnswers(target, 1);
    } else {
      play(target.dataset.video, target.dataset.start);
    }
  });

  // Enter sends, Shift+Enter is a new line (and Enter while an input method composes a word
  // belongs to the input method). On a touch screen there is no Shift+Enter: there Enter is a new
  // line and the Ask button sends, as in phones' messaging apps.
  const TOUCH = window.matchMedia("(pointer: coarse)");
  document.addEventListener("keydown", function (event) {
    if (event.target.id !== "question" || event.key !== "Enter") return;
    if (event.shiftKey || event.isComposing || event.keyCode === 229 || TOUCH.matches) return;
    event.preventDefault();
    event.target.form.requestSubmit();
  });

  // A new question's exchange comes into view with the answer that will stream under it.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target.id === "message-list") {
      const last = event.target.lastElementChild;
      if (last) last.scrollIntoView({ block: "nearest" });
    }
  });

  document.addEventListener("DOMContentLoaded", startStreams);
  document.addEventListener("htmx:afterSettle", startStreams);
})();
