// Progressive enhancement only: every page works without this file.
// The htmx indicator styles live in app.css (htmx's own inline styles are off for a strict CSP).
document.documentElement.classList.add("js");

// Print buttons are hidden in the markup (window.print needs this file) and shown here.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-print]").forEach(function (button) { button.hidden = false; });
});

document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
    return;
  }
  var copyButton = event.target.closest("[data-copy]");
  if (copyButton) {
    copyText(copyButton);
    return;
  }
  var confirmButton = event.target.closest("[data-confirm]");
  if (confirmButton && !window.confirm(confirmButton.getAttribute("data-confirm"))) {
    event.preventDefault();
    return;
  }
  // +/− change the number at once; one request then carries the final quantity (htmx waits for a pause).
  var step = event.target.closest("[data-step]");
  if (step && window.htmx) {
    var input = step.form && step.form.querySelector("input[name=quantity]");
    if (!input) return;
    event.preventDefault();
    // The input's min and max are the server's quantity rule (rendered from it): a tap stays within them.
    var low = parseInt(input.min, 10), high = parseInt(input.max, 10);
    var current = parseInt(input.value, 10);
    var next = (isNaN(current) ? low : current) + parseInt(step.getAttribute("data-step"), 10);
    next = Math.max(low, Math.min(high, next));
    input.value = String(next);
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }
});

// A line with a change not yet saved is "dirty" until the server has answered.
document.addEventListener("change", function (event) {
  var line = event.target.closest("form.line");
  if (line) line.setAttribute("data-dirty", "");
});
document.addEventListener("htmx:afterRequest", function (event) {
  var line = event.detail.elt && event.detail.elt.closest && event.detail.elt.closest("form.line");
  if (line) line.removeAttribute("data-dirty");
});

// Placing (or saving) the order waits until every inline change has been saved, so none is lost.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form.hasAttribute("data-waits-for-edits")) return;
  var unsaved = function () { return document.querySelector("form.line[data-dirty], .htmx-request"); };
  if (form.getAttribute("data-submitting") === "now") return;
  var button = form.querySelector("button[type=submit]");
  if (button) { button.setAttribute("aria-busy", "true"); }
  if (!unsaved()) { form.setAttribute("data-submitting", "now"); return; }
  event.preventDefault();
  var waited = 0;
  var timer = setInterval(function () {
    waited += 100;
    if (!unsaved() || waited >= 8000) {
      clearInterval(timer);
      form.setAttribute("data-submitting", "now");
      form.submit();
    }
  }, 100);
});

// Copy: put the value of the input a button names (data-copy="<input id>") on the clipboard, and say so.
// Without this file the button stays hidden and the text in the readonly box can still be selected.
function copyText(button) {
  var input = document.getElementById(button.getAttribute("data-copy"));
  if (!input) return;
  var field = button.closest(".field");
  var status = field && field.querySelector("[data-copy-status]");
  var say = function (message) { if (status) status.textContent = message; };
  input.focus();
  input.select();
  var fallback = function () {
    var copied = false;
    try { copied = document.execCommand("copy"); } catch (error) { copied = false; }
    say(copied ? "Copied." : "Selected: press Ctrl+C (or \u2318C) to copy.");
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(input.value).then(function () { say("Copied."); }, fallback);
  } else {
    fallback();
  }
}
