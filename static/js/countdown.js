// Live countdown to a call's deadline. The server renders the same figure, so the page reads
// correctly without JavaScript; this only keeps it ticking.
(function () {
  function pad(n) { return String(n).padStart(2, "0"); }
  function tick(el) {
    var left = Math.floor((Date.parse(el.dataset.deadline) - Date.now()) / 1000);
    if (left <= 0) { el.textContent = el.dataset.closedLabel; return false; }
    var days = Math.floor(left / 86400);
    var rest = left % 86400;
    el.textContent = days + el.dataset.daysLabel + " " + pad(Math.floor(rest / 3600)) + ":" +
      pad(Math.floor((rest % 3600) / 60)) + ":" + pad(rest % 60);
    return true;
  }
  document.querySelectorAll("[data-countdown]").forEach(function (el) {
    if (tick(el)) {
      var timer = setInterval(function () { if (!tick(el)) { clearInterval(timer); } }, 1000);
    }
  });
})();
