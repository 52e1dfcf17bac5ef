// Progressive enhancement only: every page works without this file.
// The htmx indicator styles live in app.css (htmx's own inline styles are off for a strict CSP).
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.getAttribute("data-confirm"))) {
    event.preventDefault();
  }
});
