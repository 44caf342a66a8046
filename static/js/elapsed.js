// Time since each incident's first report ([data-since]), counted in the browser, so the
// server's panels hold no time of their own and one render serves every screen.
(function () {
  "use strict";

  var holder = document.querySelector("[data-label-elapsed]");
  if (!holder) { return; }
  var format = holder.dataset.labelElapsed;

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function elapsed(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    return Math.floor(s / 3600) + ":" + pad(Math.floor(s / 60) % 60) + ":" + pad(s % 60);
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-since]").forEach(function (item) {
      item.textContent = format.replace("{elapsed}",
        elapsed(now - new Date(item.dataset.since).getTime()));
    });
  }
  tick();
  window.setInterval(tick, 1000);
  // Panels replaced after an event show their times at once, not a second later.
  var panels = document.getElementById("panels");
  if (panels) { new MutationObserver(tick).observe(panels, {childList: true}); }
})();
