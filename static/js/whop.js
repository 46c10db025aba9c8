// Yoppy inside Whop's iframe: stream a member's answer over Server-Sent Events and play cited
// moments. The same events as the chat page ("token", then "done" or "error"); the final answer
// block arrives rendered and sanitised by the server (templates/chat/_answer.html), so citation
// markup is never built here. Streamed pieces are set as text.
(function () {
  "use strict";

  if (window.htmx) {
    // Refusals (the pool is used up, an empty question) come back as 4xx with a message to show.
    htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "4..", swap: true, error: false },
      { code: "...", swap: false, error: true },
    ];
  }

  const UNAVAILABLE = "Yoppy is temporarily unavailable and the answer could not be delivered. Please try again in a few seconds.";

  function showError(container, message) {
    const p = document.createElement("p");
    p.className = "error";
    p.setAttribute("role", "alert");
    p.textContent = message;
    container.replaceChildren(p);
  }

  function stream(element) {
    element.dataset.started = "1";
    element.classList.add("streaming");
    const body = element.querySelector(".answer-body");
    const source = new EventSource(element.dataset.whopStream);
    let text = "";
    source.addEventListener("token", function (event) {
      text += JSON.parse(event.data).text;
      body.textContent = text;
    });
    source.addEventListener("done", function (event) {
      element.innerHTML = JSON.parse(event.data).html;
      element.classList.remove("streaming");
      element.dataset.done = "1";
      source.close();
    });
    source.addEventListener("error", function (event) {
      if (element.dataset.done) return;
      showError(body, event.data ? JSON.parse(event.data).message : UNAVAILABLE);
      element.classList.remove("streaming");
      element.dataset.failed = "1";
      source.close();
    });
  }

  function startStreams() {
    document.querySelectorAll("[data-whop-stream]:not([data-started])").forEach(stream);
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
    const target = event.target.closest(".cite, .citation-play, #player-close");
    if (!target) return;
    if (target.id === "player-close") {
      document.getElementById("player").hidden = true;
      document.getElementById("player-frame").src = "about:blank";
    } else {
      play(target.dataset.video, target.dataset.start);
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.target.id === "ask-form" && event.detail.successful) event.target.reset();
  });

  document.addEventListener("DOMContentLoaded", startStreams);
  document.addEventListener("htmx:afterSettle", startStreams);
})();
