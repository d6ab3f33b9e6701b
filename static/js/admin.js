// The Django admin (templates/admin/base_site.html).
//
// An autocomplete field (select2) hides its <select> and draws a <span role="combobox"> instead,
// named by nothing but the value chosen, and by nothing at all while empty (RGAA 11.1): name it,
// and the box showing the value, by the field's label, or by the <select>'s aria-label in a tabular
// inline (core/admin.py). Registered after Django's autocomplete.js, so these run after it has
// drawn the boxes: on page load, and in a row added to an inline.
(function () {
  "use strict";

  function nameBoxes(root) {
    root.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      var container = select.nextElementSibling;
      var box = container && container.querySelector(".select2-selection[role=combobox]");
      var rendered = box && box.querySelector(".select2-selection__rendered");
      if (!box || !rendered) {
        return;
      }
      var label = select.id && document.querySelector('label[for="' + select.id + '"]');
      if (label) {
        label.id = label.id || select.id + "-label";
        box.setAttribute("aria-labelledby", label.id + " " + rendered.id);
        rendered.setAttribute("aria-labelledby", label.id);
      } else if (select.getAttribute("aria-label")) {
        box.setAttribute("aria-label", select.getAttribute("aria-label"));
        rendered.setAttribute("aria-label", select.getAttribute("aria-label"));
      }
    });
  }

  if (window.django && window.django.jQuery) {
    window.django.jQuery(function () {
      nameBoxes(document);
    });
  }
  document.addEventListener("formset:added", function (event) {
    nameBoxes(event.target);
  });

  // A two-list selector (filter_horizontal, drawn by SelectFilter2.js on load) labels its filter
  // boxes with an icon: a <span> carrying an aria-label, which a span may not have (ARIA 1.2). The
  // icon is an image; as such its aria-label names the filter box.
  window.addEventListener("load", function () {
    document.querySelectorAll(".selector .search-label-icon[aria-label]").forEach(function (icon) {
      icon.setAttribute("role", "img");
    });
  });
})();
