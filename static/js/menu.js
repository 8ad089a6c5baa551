// On a phone the site's menu folds behind one button (CSS shows the button below 768 px); without this script the
// menu simply stays open.
(function () {
  var button = document.querySelector(".menu-toggle");
  var menu = document.getElementById("site-menu");
  if (!button || !menu) return;
  document.documentElement.classList.add("js");
  button.addEventListener("click", function () {
    var open = menu.classList.toggle("open");
    button.setAttribute("aria-expanded", open ? "true" : "false");
  });
})();

// A table that scrolls inside itself (a wide one on a phone) can be reached and scrolled with the keyboard.
(function () {
  function reachable() {
    document.querySelectorAll("main table, main .table-scroll").forEach(function (element) {
      var scrolls = element.scrollWidth > element.clientWidth + 1;
      if (scrolls && !element.hasAttribute("tabindex")) {
        element.setAttribute("tabindex", "0");
        element.dataset.scrollFocus = "1";
      } else if (!scrolls && element.dataset.scrollFocus) {
        element.removeAttribute("tabindex");
        delete element.dataset.scrollFocus;
      }
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", reachable);
  else reachable();
  window.addEventListener("resize", reachable);
})();

// After a refused save the list of errors at the top takes the focus: a screen reader reads it first.
(function () {
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();

// A menu's choice (language, cluster, period) takes effect by its button, which shows once the choice differs.
(function () {
  document.querySelectorAll(".inline-form").forEach(function (form) {
    var select = form.querySelector("select");
    var button = form.querySelector("button.choose");
    if (!select || !button) return;
    var initial = select.value;
    select.addEventListener("change", function () {
      form.classList.toggle("changed", select.value !== initial);
    });
  });
})();

// A form that undoes something or cannot be undone (deleting, replacing a secret) asks first: data-confirm holds
// the question, in the page's language.
(function () {
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
})();
