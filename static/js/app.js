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
})();
