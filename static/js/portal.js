// Move keyboard and screen-reader focus to the error summary when a form comes back with errors.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
  }
});

// A box with data-poll-url (the exports table while an export is being prepared) is fetched again
// every few seconds and replaced, until the fresh copy no longer asks for it; then the status line
// says so. At most ten minutes, so that an open tab does not keep a staff session alive forever.
document.addEventListener("DOMContentLoaded", function () {
  var box = document.querySelector("[data-poll-url]");
  if (!box || !window.fetch || !window.DOMParser) {
    return;
  }
  var id = box.id;
  var delay = 3000;
  var deadline = Date.now() + 10 * 60 * 1000;
  function poll() {
    var current = document.getElementById(id);
    var url = current && current.getAttribute("data-poll-url");
    if (!url || Date.now() > deadline) {
      return;
    }
    fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) {
        if (!response.ok || response.redirected) {
          throw new Error("stop");
        }
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById(id);
        if (!fresh) {
          return;
        }
        current.replaceWith(fresh);
        if (fresh.hasAttribute("data-poll-url")) {
          window.setTimeout(poll, delay);
        } else {
          var status = document.getElementById(id + "-announce");
          if (status) {
            status.textContent = status.getAttribute("data-ready-message");
          }
        }
      })
      .catch(function () {});  // signed out, offline: the "Actualiser" link still works
  }
  window.setTimeout(poll, delay);
});

// Previews of a file's pieces (iframe[data-src]) get their address only when their accordion
// opens: loaded all at once, hidden, they cost one request and one PDF viewer each on every visit.
(function () {
  function loadPreviews(container) {
    if (!container) {
      return;
    }
    container.querySelectorAll("iframe[data-src]").forEach(function (frame) {
      frame.setAttribute("src", frame.getAttribute("data-src"));
      frame.removeAttribute("data-src");
    });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[aria-controls]");
    if (button) {
      loadPreviews(document.getElementById(button.getAttribute("aria-controls")));
    }
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll('button[aria-controls][aria-expanded="true"]').forEach(function (button) {
      loadPreviews(document.getElementById(button.getAttribute("aria-controls")));
    });
  });
})();
