// 登记收文 and 附件: the 密级 explanation and the attachments' drop zone. Served as a file (the
// Content-Security-Policy allows no inline script). Uploads go to the API with the session
// and the CSRF token; every text shown comes from the page (translated) or the server's answer,
// always through textContent (never as HTML).
"use strict";

(function () {
  const english = document.documentElement.lang === "en";

  // 密级: choosing 秘密/机密/绝密 brings the reason forward (it is always shown under the field).
  const secrecy = document.getElementById("id_secrecy");
  const reason = document.getElementById("secrecy-reason");
  if (secrecy && reason) {
    const allowed = ["public", "internal"];
    const mark = function () {
      const refused = allowed.indexOf(secrecy.value) === -1;
      reason.classList.toggle("refused", refused);
      secrecy.setAttribute("aria-invalid", refused ? "true" : "false");
    };
    secrecy.addEventListener("change", mark);
    mark();
  }

  const zone = document.getElementById("drop-zone");
  if (!zone) {
    return;
  }
  const input = document.getElementById("attachment-input");
  const list = document.getElementById("uploads");
  const token = zone.querySelector("input[name=csrfmiddlewaretoken]").value;
  const t = function (key) {
    return zone.dataset["t" + key.charAt(0).toUpperCase() + key.slice(1)] || "";
  };

  const line = function (parent, tag, className, text) {
    const element = document.createElement(tag);
    if (className) {
      element.className = className;
    }
    if (text !== undefined) {
      element.textContent = text;
    }
    parent.appendChild(element);
    return element;
  };

  const size = function (bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    if (bytes < 1024 * 1024) {
      return (bytes / 1024).toFixed(1) + " KB";
    }
    return (bytes / 1024 / 1024).toFixed(1) + " MB";
  };

  const errorText = function (answer) {
    if (!answer) {
      return t("failed");
    }
    const first = (answer.errors || [])[0];
    if (first) {
      return english ? first.message_en : first.message;
    }
    return (english ? answer.detail_en : answer.detail) || t("failed");
  };

  const showVerdict = function (item, answer) {
    const verdict = line(item, "div", "verdict ok");
    line(verdict, "p", "", "✔ " + t("checked"));
    const facts = line(verdict, "dl", "facts");
    line(facts, "dt", "", t("type"));
    line(facts, "dd", "", answer.extension.toUpperCase() + " (" + answer.content_type + ")");
    line(facts, "dt", "", t("size"));
    line(facts, "dd", "", size(answer.size));
    line(facts, "dt", "", "SHA-256");
    line(line(facts, "dd"), "code", "hash", answer.sha256);
    (answer.warnings || []).forEach(function (warning) {
      line(verdict, "p", "warning", "⚠ " + t("warning") + (english ? warning.message_en : warning.message));
    });
  };

  const upload = function (file) {
    const item = line(list, "li", "upload");
    line(item, "strong", "", file.name);
    const label = line(item, "label", "progress-label", t("uploading") + "（" + size(file.size) + "）");
    const bar = line(item, "progress", "");
    bar.max = 100;
    bar.value = 0;
    bar.id = "progress-" + list.children.length;
    label.htmlFor = bar.id;
    const request = new XMLHttpRequest();
    request.open("POST", zone.dataset.uploadUrl);
    request.setRequestHeader("X-CSRFToken", token);
    request.setRequestHeader("Accept", "application/json");
    request.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) {
        bar.value = Math.round((event.loaded / event.total) * 100);
      }
    });
    request.addEventListener("load", function () {
      let answer = null;
      try {
        answer = JSON.parse(request.responseText);
      } catch (error) {
        answer = null;
      }
      bar.value = 100;
      if (request.status === 201 && answer) {
        label.textContent = t("done");
        item.classList.add("done");
        showVerdict(item, answer);
      } else {
        label.textContent = t("refused");
        label.removeAttribute("for");
        bar.remove(); // nothing was stored: no full bar to suggest otherwise
        item.classList.add("refused");
        line(item, "p", "check-error", "✖ " + errorText(answer));
      }
    });
    request.addEventListener("error", function () {
      label.textContent = t("refused");
      label.removeAttribute("for");
      bar.remove(); // nothing was stored: no full bar to suggest otherwise
      item.classList.add("refused");
      line(item, "p", "check-error", "✖ " + t("failed"));
    });
    const body = new FormData();
    body.append("file", file);
    request.send(body);
  };

  const uploadAll = function (files) {
    Array.prototype.forEach.call(files, upload);
  };

  input.addEventListener("change", function () {
    uploadAll(input.files);
    input.value = "";
  });
  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (event) {
      event.preventDefault();
      zone.classList.add("dragging");
    });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function (event) {
      event.preventDefault();
      zone.classList.remove("dragging");
    });
  });
  zone.addEventListener("drop", function (event) {
    if (event.dataTransfer && event.dataTransfer.files.length) {
      uploadAll(event.dataTransfer.files);
    }
  });
  zone.addEventListener("submit", function (event) {
    event.preventDefault();
  });
})();
