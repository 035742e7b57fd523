// The application form's steps, enhanced (every part works without this script):
// - the error summary takes the focus, and its links focus their field;
// - a field named in the address (#id_…, from the review page's links) takes the focus;
// - a chosen file over the limit is refused before it is sent;
// - a step of the indicator clicked after a change saves this page first;
// - resource rows are added and removed here, the maximum beside the quantity follows the
//   resource chosen, and the totals follow the quantities.
(function () {
  "use strict";

  function focusField(id) {
    var field = document.getElementById(id);
    if (!field) return false;
    var target = field.closest("fieldset, .mb-3, div") || field;
    target.scrollIntoView({ block: "center" });
    field.focus({ preventScroll: true });
    return document.activeElement === field;
  }

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_all, name) {
      return values[name] !== undefined ? values[name] : "";
    });
  }

  function figure(n) {
    return Number(n).toLocaleString("en-US");
  }

  // Error summary and field links.
  var summary = document.getElementById("error-summary");
  var hash = window.location.hash ? decodeURIComponent(window.location.hash.slice(1)) : "";
  if (!(hash && focusField(hash)) && summary && summary.hasAttribute("data-focus")) {
    summary.focus();
  }
  if (summary) {
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[data-field]");
      if (!link || !link.getAttribute("data-field")) return;
      if (focusField(link.getAttribute("data-field"))) {
        event.preventDefault();
        history.replaceState(null, "", "#" + link.getAttribute("data-field"));
      }
    });
  }

  // File size, checked in the browser first.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=file][data-max-bytes]")) return;
    var limit = Number(input.getAttribute("data-max-bytes"));
    var message = document.getElementById(input.id + "_size_error");
    var file = input.files && input.files[0];
    if (file && file.size > limit) {
      if (!message) {
        message = document.createElement("div");
        message.id = input.id + "_size_error";
        message.className = "invalid-feedback d-block";
        input.insertAdjacentElement("afterend", message);
      }
      message.textContent = format(input.getAttribute("data-too-large") || "", {
        limit: figure(limit),
        size: figure(file.size),
      });
      input.value = "";
      input.setAttribute("aria-invalid", "true");
      var described = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      if (described.indexOf(message.id) < 0) described.push(message.id);
      input.setAttribute("aria-describedby", described.join(" "));
      input.focus();
    } else if (message) {
      message.remove();
      input.removeAttribute("aria-invalid");
    }
  });

  // A step of the indicator, clicked after a change on this page: the page is saved first (as
  // "Next" saves it), then that step opens; unchanged, the link is followed as it is.
  var stepForm = document.querySelector("form[data-step-form]");
  if (stepForm) {
    var snapshot = function () {
      var parts = [];
      new FormData(stepForm).forEach(function (value, key) {
        if (key === "csrfmiddlewaretoken") return;
        parts.push(key + "=" + (typeof value === "string" ? value : value.name + ":" + value.size));
      });
      return parts.join("&");
    };
    var unchanged = snapshot();
    var leaving = false;
    // Back to this page from the history: it may be the same document, restored as it was left.
    window.addEventListener("pageshow", function () {
      leaving = false;
    });
    document.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest(".form-steps a[data-step]");
      if (!link || link.hasAttribute("aria-current")) return;
      if (event.ctrlKey || event.metaKey || event.shiftKey || event.altKey || event.button !== 0) return;
      if (leaving) {
        event.preventDefault(); // a second click while the page is being saved
        return;
      }
      if (snapshot() === unchanged) return;
      event.preventDefault();
      leaving = true;
      // A submit button of its own, used once and removed: the form keeps no "go" of it, so
      // "Next", "Save" and Enter still mean what they say if the page comes back.
      var go = document.createElement("button");
      go.type = "submit";
      go.name = "go";
      go.value = link.getAttribute("data-step");
      go.hidden = true;
      stepForm.appendChild(go);
      stepForm.requestSubmit(go);
      go.remove();
    });
  }

  // Resource rows.
  var form = document.querySelector("form[data-item-rows]");
  if (!form) return;
  var rows = form.querySelector("[data-rows]");
  var template = document.getElementById("item-row-template");
  var total = form.querySelector("input[name=items-TOTAL_FORMS]");
  var maxRows = Number(form.querySelector("input[name=items-MAX_NUM_FORMS]").value);
  var totals = document.getElementById("item-totals");

  function limitsOf(select) {
    return JSON.parse(select.getAttribute("data-limits") || "{}");
  }

  function showLimit(select) {
    var row = select.closest("[data-row]");
    var quantity = row.querySelector("input[name$=-quantity]");
    var help = document.getElementById(quantity.id + "_helptext");
    var limit = limitsOf(select)[select.value];
    if (help && limit) {
      help.textContent = format(select.getAttribute("data-limit-text"), { max: figure(limit[0]), unit: limit[1] });
    }
    if (limit) quantity.setAttribute("max", limit[0]);
  }

  function updateTotals() {
    var sums = {};
    var order = [];
    rows.querySelectorAll("[data-row]").forEach(function (row) {
      if (row.hidden) return;
      var select = row.querySelector("select[name$=-offering]");
      var quantity = Number(row.querySelector("input[name$=-quantity]").value);
      var limit = limitsOf(select)[select.value];
      if (!limit || !(quantity > 0)) return;
      if (!(limit[1] in sums)) {
        sums[limit[1]] = 0;
        order.push(limit[1]);
      }
      sums[limit[1]] += quantity;
    });
    totals.textContent = order.length
      ? order.map(function (unit) { return figure(sums[unit]) + " " + unit; }).join(" · ")
      : "—";
  }

  function renumber() {
    var number = 0;
    rows.querySelectorAll("[data-row]").forEach(function (row) {
      if (row.hidden) return;
      number += 1;
      row.querySelectorAll("[data-row-number]").forEach(function (span) { span.textContent = number; });
    });
  }

  form.addEventListener("change", function (event) {
    if (event.target.matches("select[name$=-offering]")) showLimit(event.target);
    updateTotals();
  });
  form.addEventListener("input", updateTotals);

  form.addEventListener("click", function (event) {
    var add = event.target.closest("[data-add-row]");
    var remove = event.target.closest("[data-remove-row]");
    if (add) {
      var index = Number(total.value);
      if (index >= maxRows) return;
      event.preventDefault();
      var html = template.innerHTML.replace(/__prefix__/g, String(index));
      rows.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      renumber();
      var added = rows.lastElementChild;
      added.querySelector("select").focus();
    } else if (remove) {
      event.preventDefault();
      var row = remove.closest("[data-row]");
      // Emptied and hidden: an empty row is ignored when the form is saved.
      row.querySelectorAll("input, select").forEach(function (field) { field.value = ""; });
      row.hidden = true;
      renumber();
      updateTotals();
      form.querySelector("[data-add-row]").focus();
    }
  });
})();
