// 收件箱 and 通知 (served as a file: the Content-Security-Policy allows no inline script).
// htmx swaps the confirmation panel and a notification in place; this file lets a refused form
// (400 bad input, 409 state, 429 password lock-out) show its errors in the panel, and puts the
// keyboard focus back where the swapped content is.
"use strict";

(function () {
  var SHOWN_ERRORS = [400, 409, 429];

  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (target && target.id === "ack-panel" && SHOWN_ERRORS.indexOf(event.detail.xhr.status) !== -1) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.elt;
    if (!target || !target.id) {
      return;
    }
    if (target.id === "ack-panel") {
      var invalid = target.querySelector("[aria-invalid='true']");
      (invalid || document.getElementById("ack-panel-heading")).focus();
    } else if (target.id.indexOf("notification-") === 0) {
      var link = target.querySelector(".notification-title a");
      if (link) {
        link.focus();
      }
    }
  });
})();
