// Small behaviours without inline scripts (the CSP allows only files from 'self').
document.addEventListener("change", function (event) {
  var form = event.target.closest("form.js-autosubmit");
  if (form) { form.submit(); }
});
document.addEventListener("change", function (event) {
  // A "select all" box: data-check-all names the check boxes of its form it ticks or clears.
  var name = event.target.getAttribute("data-check-all");
  if (name && event.target.form) {
    event.target.form.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (box) {
      box.checked = event.target.checked;
    });
  }
});
document.addEventListener("submit", function (event) {
  var message = event.target.getAttribute("data-confirm");
  if (message && !window.confirm(message)) { event.preventDefault(); }
});
document.addEventListener("click", function (event) {
  if (event.target.closest(".js-print")) { window.print(); }
});
// Last: the page's behaviours (Bootstrap's, loaded before this file, and the ones above) are attached.
// Browser journeys wait for this mark before using them instead of waiting for time.
document.documentElement.setAttribute("data-scripts", "ready");
