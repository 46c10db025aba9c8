// Chat: stream answers over Server-Sent Events and play cited moments in an embedded player.
// The final answer block arrives rendered and sanitised by the server (nh3 and the same template
// as stored answers); streamed pieces are set as text.
(function () {
  "use strict";

  if (window.htmx) {
    // Show refusals (quota, sign-up invitation) that come back as 4xx.
    htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "4..", swap: true, error: false },
      { code: "...", swap: false, error: true },
    ];
  }

  function stream(element) {
    element.dataset.started = "1";
    element.classList.add("streaming");
    const body = element.querySelector(".answer-body");
    const source = new EventSource(element.dataset.streamUrl);
    let text = "";
    let tokens = 0;
    source.addEventListener("token", function (event) {
      text += JSON.parse(event.data).text;
      body.textContent = text;
      tokens += 1;
      element.dataset.tokens = String(tokens);  // how many pieces arrived before the end
    });
    source.addEventListener("done", function (event) {
      // The whole answer block (body, confidence, citations) as the server renders stored
      // answers (templates/chat/_answer.html): citation markup is built there only.
      element.innerHTML = JSON.parse(event.data).html;
      element.classList.remove("streaming");
      element.dataset.done = "1";
      source.close();
    });
    source.addEventListener("error", function (event) {
      if (element.dataset.done) return;
      // An "error" event with data is the server's own message; one without data is the
      // connection failing (a 5xx answer, the stream cut off): say so instead of going quiet.
      showError(body, event.data ? JSON.parse(event.data).message : UNAVAILABLE);
      element.classList.remove("streaming");
      element.dataset.failed = "1";
      source.close();
    });
  }

  const UNAVAILABLE = "Yoppy is temporarily unavailable and the answer could not be delivered. Please try again in a few seconds.";

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
      form.parentNode.insertBefore(box, form);
    }
    showError(box, "Yoppy is temporarily unavailable; your question was not sent. Please try again in a few seconds.");
  }
  document.addEventListener("htmx:responseError", askFailed);
  document.addEventListener("htmx:sendError", askFailed);
  document.addEventListener("htmx:afterRequest", function (event) {
    const box = document.getElementById("ask-error");
    if (box && event.detail.successful) box.remove();
  });

  function startStreams() {
    document.querySelectorAll("[data-stream-url]:not([data-started])").forEach(stream);
    const starters = document.getElementById("starters");
    if (starters && document.querySelector("#message-list .msg")) starters.remove();
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
    const target = event.target.closest(".cite, .citation-play, .starter, #player-close");
    if (!target) return;
    if (target.id === "player-close") {
      document.getElementById("player").hidden = true;
      document.getElementById("player-frame").src = "about:blank";
    } else if (target.classList.contains("starter")) {
      const question = document.getElementById("question");
      question.value = target.dataset.question;
      question.form.requestSubmit();
    } else {
      play(target.dataset.video, target.dataset.start);
    }
  });

  // Empty the question box once it was sent (an inline hx-on handler would need eval under the CSP).
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.target.id === "ask-form" && event.detail.successful) event.target.reset();
  });

  document.addEventListener("DOMContentLoaded", startStreams);
  document.addEventListener("htmx:afterSettle", startStreams);
})();
