// 收文页: the 阅知确认单 may answer 202 while it is rendered; say so politely and try again
// after Retry-After instead of showing the JSON. Served as a file (the CSP allows no inline script).
"use strict";
(() => {
  const link = document.querySelector("a[data-record-url]");
  const status = document.getElementById("record-status");
  if (!link || !status) {
    return;
  }
  let busy = false;
  const fetchRecord = async () => {
    const answer = await fetch(link.dataset.recordUrl, { credentials: "same-origin" });
    if (answer.status === 202) {
      const seconds = Math.max(1, parseInt(answer.headers.get("Retry-After") || "5", 10));
      status.textContent = status.dataset.pendingText.replace("{seconds}", String(seconds));
      window.setTimeout(fetchRecord, seconds * 1000);
      return;
    }
    busy = false;
    if (!answer.ok) {
      status.textContent = status.dataset.errorText;
      return;
    }
    status.textContent = "";
    // The bytes are here already (and their download is audited once): show them.
    const pdf = await answer.blob();
    window.location.assign(URL.createObjectURL(pdf));
  };
  link.addEventListener("click", (event) => {
    event.preventDefault();
    if (busy) {
      return;
    }
    busy = true;
    fetchRecord().catch(() => {
      busy = false;
      status.textContent = status.dataset.errorText;
    });
  });
})();
// 撤回 of one recipient: htmx swaps the roster in place, which takes the keyboard focus with it;
// put it on the refused reason (its error is the field's description) or on the answer.
(() => {
  document.addEventListener("htmx:afterSettle", (event) => {
    const path = (event.detail.requestConfig && event.detail.requestConfig.path) || "";
    const roster = document.getElementById("roster");
    if (!roster || !/\/recall\/$/.test(path)) {
      return;
    }
    const field = roster.querySelector("[aria-invalid='true']");
    const answer = roster.querySelector("[role='status'], [role='alert']");
    const target = field || answer;
    if (!target) {
      return;
    }
    if (!field) {
      target.setAttribute("tabindex", "-1");
    }
    target.focus();
  });
})();
