// The console's only script (a static file: the CSP forbids inline scripts): copy buttons and confirmations.
"use strict";
document.addEventListener("click", function (event) {
  var copy = event.target.closest("[data-copy]");
  if (copy) {
    var field = document.getElementById(copy.getAttribute("data-copy"));
    var done = function () { copy.textContent = copy.getAttribute("data-copied") || copy.textContent; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done);
    } else {
      field.select();
      document.execCommand("copy");
      done();
    }
    return;
  }
  var confirmed = event.target.closest("[data-confirm]");
  if (confirmed && !window.confirm(confirmed.getAttribute("data-confirm"))) {
    event.preventDefault();
  }
});
