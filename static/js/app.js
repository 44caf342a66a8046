// Small behaviours the pages share. No inline scripts: the CSP allows only files like this.
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    if (event.target.matches("select[data-autosubmit]")) {
      event.target.form.submit();
    }
  });

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target.matches("[data-menu-toggle]")) {   // the folded site menu on a phone
      var open = target.closest(".topbar").classList.toggle("menu-open");
      target.setAttribute("aria-expanded", open ? "true" : "false");
    }
    if (target.matches("[data-print]")) {
      window.print();
    }
    if (target.matches("a[data-export]")) {
      // Export what the filters show now, even after htmx changed them in place.
      var form = document.querySelector("form.filters");
      if (form) {
        var url = new URL(target.href, window.location.href);
        url.search = new URLSearchParams(new FormData(form)).toString();
        target.href = url.toString();
      }
    }
  });

  // A form (or the button that submits it) with data-confirm asks first.
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var question = (button && button.dataset.confirm) || event.target.dataset.confirm;
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // Clocks count down in the browser from their due time; no push is needed to turn red.
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function span(ms) {
    var s = Math.floor(Math.abs(ms) / 1000);
    var h = Math.floor(s / 3600);
    return (h ? h + ":" : "") + pad(Math.floor(s / 60) % 60) + ":" + pad(s % 60);
  }
  function tickClocks() {
    var now = Date.now();
    document.querySelectorAll(".clock[data-due]:not([data-met]):not([data-settled])").forEach(function (clock) {
      var left = new Date(clock.dataset.due).getTime() - now;
      if (left > 0) {
        clock.textContent = clock.dataset.labelLeft + " " + span(left);
        clock.classList.toggle("soon", left <= 10 * 60 * 1000);
      } else {
        clock.textContent = clock.dataset.labelOver + " " + span(left);
        clock.classList.remove("clock-running", "soon");
        clock.classList.add("clock-overdue");
      }
    });
  }
  tickClocks();
  window.setInterval(tickClocks, 1000);

  // The written report says, as one types, which items of plan §4.1 are still empty.
  function showMissing(form) {
    var line = form.querySelector(".missing-live");
    if (!line) { return; }
    var missing = [];
    form.querySelectorAll("[data-element]").forEach(function (input) {
      var field = input.closest(".field");
      var empty = !input.value.trim();
      field.classList.toggle("is-missing", empty);
      if (empty) { missing.push(field.querySelector("label").textContent.replace("*", "").trim()); }
    });
    line.textContent = missing.length ? line.dataset.label + "：" + missing.join("、") : "";
  }
  document.querySelectorAll("form[data-written-report]").forEach(function (form) {
    showMissing(form);
    form.addEventListener("input", function () { showMissing(form); });
  });
})();
