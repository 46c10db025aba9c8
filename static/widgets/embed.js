/*! Yoppy website widget loader. One tag:
 *   <script src="https://YOPPY/embed.js" data-widget="PUBLIC_KEY" async></script>
 * Options (data-*): mode (floating|inline), target (CSS selector, inline), height (inline, px),
 * position (bottom-right|bottom-left|top-right|top-left), colour (#rrggbb), greeting, starters
 * ("A?|B?"), button-text, open (true|false), visitor-token (a JWT your server signs).
 * API: window.Yoppy.open() / .close() / .reset(), or window.postMessage({type: "yoppy:open"},
 * location.origin); "yoppy:state" events tell when it opens or closes. See docs/WIDGET.md.
 * The chat lives in an iframe Yoppy serves, inside a closed shadow root: no CSS crosses. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var d = script.dataset, key = d.widget || "";
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(key)) return;
  var base = new URL(script.src).origin;
  var PASS = { mode: "mode", position: "position", colour: "colour", color: "colour", greeting: "greeting", starters: "starters", buttonText: "button", open: "open" };
  var small = window.matchMedia("(max-width: 480px)");
  var host, frame, mode, position, isOpen = false, bubble = null, ready = false, queue = [];

  function css(node, rules) {
    // Inline !important declarations outrank every rule of the host page's stylesheets.
    for (var k in rules) node.style.setProperty(k, rules[k], "important");
  }

  function send(type) {
    if (!ready) { queue.push(type); return; }
    frame.contentWindow.postMessage({ type: type }, base);
  }

  function layout() {
    if (mode === "inline") return;
    var edge = "16px", v = position.indexOf("top") === 0 ? "top" : "bottom", h = /left$/.test(position) ? "left" : "right";
    css(host, { top: "auto", bottom: "auto", left: "auto", right: "auto" });
    if (isOpen && small.matches) {
      css(host, { top: "0", left: "0", width: "100%", height: "100%" });
    } else if (isOpen) {
      var r = {}; r[v] = edge; r[h] = edge;
      r.width = "min(400px, calc(100vw - 32px))"; r.height = "min(640px, calc(100vh - 32px))";
      css(host, r);
    } else {
      var b = {}; b[v] = "10px"; b[h] = "10px";
      b.width = (bubble ? bubble.width : 0) + "px"; b.height = (bubble ? bubble.height : 0) + "px";
      css(host, b);
    }
  }

  function mount(config) {
    var looks = config.looks;
    mode = d.mode === "inline" || d.mode === "floating" ? d.mode : looks.mode;
    position = /^(top|bottom)-(left|right)$/.test(d.position || "") ? d.position : looks.position;
    var params = new URLSearchParams({ origin: location.origin });
    for (var k in PASS) if (d[k] !== undefined) params.set(PASS[k], d[k]);
    params.set("mode", mode);
    host = document.createElement("yoppy-widget");
    css(host, { all: "initial", display: "block", margin: "0", padding: "0", border: "0", overflow: "hidden", "box-sizing": "border-box", opacity: "1", visibility: "visible", transform: "none", filter: "none", "pointer-events": "auto" });
    var root = host.attachShadow({ mode: "closed" });
    frame = document.createElement("iframe");
    frame.title = config.title;
    frame.allow = "autoplay; encrypted-media; picture-in-picture";
    frame.src = config.frame + "?" + params + (d.visitorToken ? "#vt=" + encodeURIComponent(d.visitorToken) : "");
    css(frame, { all: "initial", display: "block", width: "100%", height: "100%", border: "0", margin: "0", padding: "0", background: "transparent", "color-scheme": "normal", "max-width": "none", "max-height": "none", "min-width": "0", "min-height": "0" });
    root.appendChild(frame);
    var target = mode === "inline" && d.target ? document.querySelector(d.target) : null;
    if (mode === "inline") {
      var height = /^\d{2,4}$/.test(d.height || "") ? d.height + "px" : "560px";
      css(host, { position: "relative", width: "100%", height: height, "max-width": "100%" });
      if (target) target.appendChild(host); else script.parentNode.insertBefore(host, script.nextSibling);
    } else {
      css(host, { position: "fixed", "z-index": "2147483000", width: "0", height: "0" });
      layout();
      document.body.appendChild(host);
    }
    window.Yoppy = {
      open: function () { send("yoppy:open"); },
      close: function () { send("yoppy:close"); },
      reset: function () { send("yoppy:reset"); },
    };
  }

  window.addEventListener("message", function (event) {
    var m = event.data || {};
    if (typeof m.type !== "string" || m.type.indexOf("yoppy:") !== 0) return;
    if (frame && event.source === frame.contentWindow) {
      // From the widget's frame: only Yoppy's origin is believed.
      if (event.origin !== base || m.type !== "yoppy:state") return;
      isOpen = !!m.open;
      if (m.bubble && m.bubble.width > 0) bubble = { width: Math.min(320, m.bubble.width), height: Math.min(120, m.bubble.height) };
      if (!ready) { ready = true; queue.splice(0).forEach(send); }
      layout();
      window.dispatchEvent(new CustomEvent("yoppy:state", { detail: { open: isOpen } }));
    } else if (event.source === window && event.origin === location.origin) {
      // The host page's own scripts: window.postMessage({type: "yoppy:open"}, location.origin).
      if (/^yoppy:(open|close|reset)$/.test(m.type)) send(m.type);
    }
  });
  small.addEventListener("change", function () { if (host) layout(); });

  fetch(base + "/widget/" + key + "/config", { credentials: "omit" })
    .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
    .then(mount)
    .catch(function () { console.warn("Yoppy widget " + key + " is not enabled for " + location.origin + "."); });
})();
