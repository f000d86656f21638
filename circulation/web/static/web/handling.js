// 批办 forms: the readers' picker (a person found by the search moves to the chosen list when
// ticked, so a new search keeps them); Enter in the search box never submits the form (on the
// 批示 page the first button is "同意拟办意见"). Served as a file (no inline script).
"use strict";

(function () {
  document.querySelectorAll("[data-picker]").forEach(function (picker) {
    const results = picker.querySelector(".picker-results");
    const chosen = picker.querySelector(".picker-chosen");
    const empty = picker.querySelector(".picker-empty");
    const search = picker.querySelector("input[type=search]");
    let counter = chosen.children.length;

    if (search) {
      search.addEventListener("keydown", function (event) {
        if (event.key === "Enter") {
          event.preventDefault();
        }
      });
    }

    results.addEventListener("change", function (event) {
      const box = event.target;
      if (!(box instanceof HTMLInputElement) || !box.checked) {
        return;
      }
      const item = box.closest("li");
      counter += 1;
      box.id = "chosen-" + box.name + "-" + counter;
      item.querySelector("label").htmlFor = box.id;
      chosen.appendChild(item);
      empty.hidden = true;
      box.focus();
      if (!results.querySelector("li")) {
        results.replaceChildren();
      }
    });

    chosen.addEventListener("change", function () {
      empty.hidden = chosen.querySelector("input:checked") !== null;
    });

    // A new search shows nobody who is already chosen (and no duplicate ids).
    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.target !== results) {
        return;
      }
      const names = Array.prototype.map.call(chosen.querySelectorAll("input"), function (box) {
        return box.value;
      });
      results.querySelectorAll("input").forEach(function (box) {
        if (names.indexOf(box.value) !== -1) {
          box.closest("li").remove();
        }
      });
    });
  });
})();
