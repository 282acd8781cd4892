/* The directory import: the CSV goes up with a progress bar (large files take a while on the office's links);
   the answer (preview or refusal) replaces the page's main part. Without this script the form posts normally. */
(function () {
  "use strict";

  function bindConfirm() {
    // One press is enough (the server imports a preview once anyway): the button goes grey at once.
    var confirm = document.getElementById("import-confirm");
    if (!confirm || confirm.dataset.bound) { return; }
    confirm.dataset.bound = "1";
    confirm.addEventListener("submit", function () {
      var button = document.getElementById("import-confirm-button");
      window.setTimeout(function () { button.disabled = true; }, 0);  // after the browser took the form
    });
  }

  function bind() {
    bindConfirm();
    var form = document.getElementById("import-form");
    if (!form || form.dataset.bound) { return; }
    form.dataset.bound = "1";
    form.addEventListener("submit", function (event) {
      var input = document.getElementById("import-file");
      var progress = document.getElementById("import-progress");
      var percent = document.getElementById("import-percent");
      var file = input && input.files && input.files[0];
      if (!file || !window.XMLHttpRequest || !window.FormData || !window.DOMParser) { return; }
      event.preventDefault();
      if (file.size > Number(form.dataset.maxBytes)) {
        percent.textContent = form.dataset.tooLarge;
        percent.className = "error";
        return;
      }
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.upload.addEventListener("progress", function (e) {
        if (!e.lengthComputable) { return; }
        progress.hidden = false;
        progress.value = Math.round((e.loaded / e.total) * 100);
        percent.textContent = progress.value + " %";
        document.body.dataset.uploadProgress = String(progress.value);  // outlives the swap of <main>
      });
      xhr.addEventListener("load", function () {
        var page = new DOMParser().parseFromString(xhr.responseText, "text/html");
        var main = page.querySelector("main");
        if (!main) { form.submit(); return; }
        document.querySelector("main").replaceWith(document.adoptNode(main));
        document.title = page.title;
        bind();
      });
      xhr.addEventListener("error", function () { form.submit(); });
      form.querySelector("button[type=submit]").disabled = true;
      xhr.send(new FormData(form));
    });
  }

  document.addEventListener("DOMContentLoaded", bind);
})();
