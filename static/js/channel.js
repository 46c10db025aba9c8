// The creator's channel page: copy the public share link, and upload several caption files at
// once (chosen or dropped), each with its own YouTube video and title fields.
// Progressive enhancement: without this file the page has a plain multi-file input (files are
// matched to videos by their names) and the share link is a selectable text box.
// A static file, no inline code: the pages' Content-Security-Policy allows only such scripts.
(function () {
  "use strict";

  // --- Copy the share link -----------------------------------------------------------------

  function copyStatus(id, text) {
    const status = document.querySelector('[data-copy-status="' + id + '"]');
    if (status) status.textContent = text;
  }

  function copyBySelection(input) {
    // Older browsers and pages not served over HTTPS have no navigator.clipboard.
    input.focus();
    input.select();
    let copied = false;
    try {
      copied = document.execCommand("copy");
    } catch (error) {
      copied = false;
    }
    return copied;
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-copy]");
    if (!button) return;
    const id = button.getAttribute("data-copy");
    const input = document.getElementById(id);
    if (!input) return;
    const done = function () { copyStatus(id, "Link copied."); };
    const fallback = function () {
      if (copyBySelection(input)) done();
      else copyStatus(id, "The link is selected: press Ctrl+C (or ⌘C) to copy it.");
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, fallback);
    } else {
      fallback();
    }
  });

  // --- Caption uploads: one row of fields per file, drag and drop --------------------------

  function field(labelText, name, placeholder) {
    const wrap = document.createElement("div");
    wrap.className = "file-field";
    const label = document.createElement("label");
    label.htmlFor = "id_" + name;
    label.textContent = labelText;
    const input = document.createElement("input");
    input.type = "text";
    input.name = name;
    input.id = "id_" + name;
    input.placeholder = placeholder;
    input.autocomplete = "off";
    wrap.append(label, input);
    return wrap;
  }

  function renderRows(form) {
    const input = form.querySelector('input[type="file"]');
    const rows = form.querySelector("[data-file-rows]");
    const single = form.querySelector("[data-single-fields]");
    const files = Array.from(input.files || []);
    rows.replaceChildren();
    // One file keeps the form's own fields (including "replace the captions of"); several get
    // a row each, named youtube_<i> and title_<i> after the file's place in the input.
    const several = files.length > 1;
    rows.hidden = !several;
    if (single) single.hidden = several;
    if (!several) return;
    files.forEach(function (file, i) {
      const row = document.createElement("li");
      row.className = "file-row";
      const name = document.createElement("p");
      name.className = "file-name";
      name.textContent = file.name;
      row.append(
        name,
        field("YouTube video (link or id)", "youtube_" + i, "Taken from the file name when it holds one"),
        field("Title", "title_" + i, "Taken from the file name when it holds one")
      );
      rows.append(row);
    });
  }

  function setFiles(input, added) {
    // Files dropped on top of files already chosen are added to them.
    const transfer = new DataTransfer();
    Array.from(input.files || []).forEach(function (file) { transfer.items.add(file); });
    Array.from(added).forEach(function (file) { transfer.items.add(file); });
    input.files = transfer.files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function enhanceUpload(form) {
    if (form.dataset.enhanced) return;
    form.dataset.enhanced = "1";
    const input = form.querySelector('input[type="file"]');
    const zone = form.querySelector("[data-dropzone]");
    input.addEventListener("change", function () { renderRows(form); });
    if (zone && typeof DataTransfer === "function") {
      const hint = zone.querySelector(".drop-hint");
      if (hint) hint.hidden = false;
      zone.classList.add("droppable");
      ["dragenter", "dragover"].forEach(function (type) {
        zone.addEventListener(type, function (event) {
          event.preventDefault();
          zone.classList.add("dragging");
        });
      });
      ["dragleave", "drop"].forEach(function (type) {
        zone.addEventListener(type, function () { zone.classList.remove("dragging"); });
      });
      zone.addEventListener("drop", function (event) {
        event.preventDefault();
        if (event.dataTransfer && event.dataTransfer.files.length) setFiles(input, event.dataTransfer.files);
      });
    }
    renderRows(form);
  }

  function enhance(root) {
    root.querySelectorAll("[data-copy]").forEach(function (button) { button.hidden = false; });
    root.querySelectorAll("form[data-caption-upload]").forEach(enhanceUpload);
  }

  function start() {
    enhance(document);
    // The public section is swapped in by htmx when the switch flips: its copy button too.
    // (An outerHTML swap replaces the element the event names, so look at the whole page.)
    document.body.addEventListener("htmx:afterSettle", function () { enhance(document); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
