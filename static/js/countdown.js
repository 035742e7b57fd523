// Countdown to a call's deadline. The server renders the same figure, so the page reads correctly
// without JavaScript; this keeps it current, once a minute (days, hours and minutes: no ticking
// seconds), and adds a toggle that stops the updates (WCAG 2.2.2 Pause, Stop, Hide). The figure
// is not a live region: screen readers are not interrupted by it.
(function () {
  function pad(n) { return String(n).padStart(2, "0"); }
  function render(el, figure) {
    var left = Math.floor((Date.parse(el.dataset.deadline) - Date.now()) / 60000);
    if (left <= 0) { figure.textContent = el.dataset.closedLabel; return false; }
    var days = Math.floor(left / 1440);
    var rest = left % 1440;
    figure.textContent = days + el.dataset.daysLabel + " " + pad(Math.floor(rest / 60)) + ":" + pad(rest % 60);
    return true;
  }
  document.querySelectorAll("[data-countdown]").forEach(function (el) {
    var figure = document.createElement("span");
    figure.textContent = el.textContent.trim();
    el.textContent = "";
    el.appendChild(figure);
    if (!render(el, figure)) { return; }
    var timer = null;
    var toggle = document.createElement("button");
    toggle.type = "button";
    toggle.className = "btn btn-sm btn-outline-secondary ms-2 align-baseline countdown-toggle";
    toggle.textContent = el.dataset.pauseLabel;
    toggle.setAttribute("aria-pressed", "false");
    function stop() { clearInterval(timer); timer = null; }
    function start() {
      timer = setInterval(function () {
        if (!render(el, figure)) { stop(); toggle.remove(); }
      }, 60000);
    }
    toggle.addEventListener("click", function () {
      if (timer === null) { render(el, figure); start(); toggle.setAttribute("aria-pressed", "false"); }
      else { stop(); toggle.setAttribute("aria-pressed", "true"); }
    });
    el.appendChild(document.createTextNode(" "));
    el.appendChild(toggle);
    start();
  });
})();
