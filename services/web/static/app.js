// casebook pages: a little script where it makes the page faster; every page works
// without it. Search as you type, more timeline as you scroll, one submit per form.
"use strict";
(function () {
  function fetchPart(url, part) {
    return fetch(url, { headers: { "X-Partial": part, "Accept": "text/html" },
                        credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); });
  }

  // Search as you type: the results region is replaced, the URL kept in step.
  document.querySelectorAll("form[data-live]").forEach(function (form) {
    var target = document.getElementById(form.dataset.live);
    var input = form.querySelector("input[type=search]");
    var timer = null, last = input.value;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var q = input.value.trim();
        if (q === last) return;
        last = q;
        var url = form.action + "?q=" + encodeURIComponent(q);
        fetchPart(url, "results").then(function (html) {
          if (input.value.trim() !== q) return;
          target.innerHTML = html;
          history.replaceState(null, "", url);
        }).catch(function () {});
      }, 150);
    });
  });

  // Load more of the timeline as the "show more" link scrolls into view.
  function watchMore(link) {
    if (!link || !("IntersectionObserver" in window)) return;
    var list = document.getElementById(link.dataset.more);
    var busy = false;
    var seen = new IntersectionObserver(function (entries) {
      if (busy || !entries.some(function (e) { return e.isIntersecting; })) return;
      busy = true;
      fetchPart(link.href, "timeline").then(function (html) {
        var page = document.createElement("div");
        page.innerHTML = html;
        page.querySelectorAll("ol > li").forEach(function (li) { list.appendChild(li); });
        var holder = link.parentNode;
        seen.disconnect();
        holder.innerHTML = page.querySelector("div").innerHTML;
        watchMore(holder.querySelector("a[data-more]"));
      }).catch(function () { busy = false; });
    });
    seen.observe(link);
  }
  watchMore(document.querySelector("a[data-more]"));

  // A short form arrives as <noscript> text inside its closed <details>: build it on
  // the first click of its summary (mouse or keyboard, before the details opens), or
  // when the details opens some other way. The page's first load builds no form fields.
  document.querySelectorAll("details[data-later]").forEach(function (details) {
    function build() {
      var held = details.querySelector(":scope > noscript");
      if (!held) return;
      held.insertAdjacentHTML("afterend", held.textContent);
      held.remove();
    }
    details.querySelector("summary").addEventListener("click", build);
    details.addEventListener("toggle", build);
  });

  // One submit per form: a second press while the first is on its way does nothing
  // (the form's Idempotency-Key makes a repeat harmless on the server too).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("form[data-once]")) return;
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
    form.querySelectorAll("button[type=submit]").forEach(function (b) {
      b.setAttribute("aria-disabled", "true");
    });
  });

  // Open the form that has errors, and put focus on its first invalid field.
  var invalid = document.querySelector("[aria-invalid=true]");
  if (invalid) { invalid.focus(); }
})();
