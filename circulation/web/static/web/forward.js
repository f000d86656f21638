// 传阅 / 补发: "全部股室"/"全部二级机构" tick their units; a person found by the search moves to
// "已选人员" when ticked (so a new search keeps them). Served as a file (no inline script).
"use strict";

(function () {
  const form = document.querySelector(".forward-form");
  if (!form) {
    return;
  }

  // 全部股室 / 全部二级机构: tick or untick every unit of that kind.
  form.querySelectorAll("input[name=all_kind]").forEach(function (all) {
    all.addEventListener("change", function () {
      form.querySelectorAll("input[name=units][data-kind='" + all.dataset.kind + "']").forEach(
        function (unit) {
          unit.checked = all.checked;
        }
      );
    });
  });
  form.querySelectorAll("input[name=units]").forEach(function (unit) {
    unit.addEventListener("change", function () {
      if (!unit.checked) {
        const all = form.querySelector("input[name=all_kind][data-kind='" + unit.dataset.kind + "']");
        if (all) {
          all.checked = false;
        }
      }
    });
  });

  const results = document.getElementById("people-results");
  const chosen = document.getElementById("chosen-people");
  const empty = document.getElementById("chosen-empty");
  let counter = chosen.children.length;

  const chosenNames = function () {
    return Array.prototype.map.call(chosen.querySelectorAll("input[name=people]"), function (box) {
      return box.value;
    });
  };

  results.addEventListener("change", function (event) {
    const box = event.target;
    if (!(box instanceof HTMLInputElement) || !box.checked) {
      return;
    }
    const item = box.closest("li");
    counter += 1;
    const label = item.querySelector("label");
    box.id = "chosen-" + counter;
    label.htmlFor = box.id;
    chosen.appendChild(item);
    empty.hidden = true;
    box.focus();
    if (!results.querySelector("li")) {
      results.replaceChildren();
    }
  });

  // A new search shows nobody who is already chosen (and no duplicate ids).
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.target !== results) {
      return;
    }
    const names = chosenNames();
    results.querySelectorAll("input[name=people]").forEach(function (box) {
      if (names.indexOf(box.value) !== -1) {
        box.closest("li").remove();
      }
    });
  });
})();
