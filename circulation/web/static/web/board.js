// 传阅看板: htmx swaps the table and the notice's rows; this only moves the focus to the answer
// of a 催办 or 撤回 so a keyboard or screen-reader user hears it (served as a file: the CSP
// allows no inline script).
"use strict";
document.addEventListener("htmx:afterSwap", (event) => {
  const target = event.detail && event.detail.target;
  if (!target || !target.classList || !target.classList.contains("notice-rows")) {
    return;
  }
  const swapped = document.getElementById(target.id);
  const answer = swapped && swapped.querySelector(".feedback p");
  if (answer) {
    answer.setAttribute("tabindex", "-1");
    answer.focus();
  }
});
