// The countdown of a conversion's quote (R-3.1.1.4), in the payment form and on the confirmation
// page. Ours, Apache-2.0; loaded from our own origin, so the Content-Security-Policy
// (`script-src 'self'`) needs nothing inline.
//
// Every element with `data-expires-at` (RFC 3339, the end of the rates' hold) has a
// `data-seconds-left` the server counted when it wrote the page, and a `[data-seconds]` child this
// script rewrites once a second. The count starts from the server's seconds, measured on the
// browser's monotonic clock: a browser whose wall clock is off neither shortens nor lengthens the
// hold. At zero the element gets `data-expired` (the stylesheet then shows the "expired" text
// instead of the seconds) and the enclosing `[data-quote-block]`, if any, receives the htmx event
// `quote-expired`, on which the form's quote block asks the server for a new quote.
(function () {
  'use strict';

  /** How often the seconds are rewritten. */
  var TICK_MS = 1000;
  /** When each countdown ends, in `performance.now()` milliseconds; by element. */
  var deadlines = new WeakMap();

  function deadlineOf(element) {
    var known = deadlines.get(element);
    if (known !== undefined) return known;
    var seconds = Number(element.getAttribute('data-seconds-left'));
    if (!Number.isFinite(seconds)) {
      // No count from the server: fall back on the wall clock.
      var end = Date.parse(element.getAttribute('data-expires-at'));
      seconds = Number.isFinite(end) ? (end - Date.now()) / 1000 : 0;
    }
    var deadline = performance.now() + Math.max(0, seconds) * 1000;
    deadlines.set(element, deadline);
    return deadline;
  }

  function expire(element) {
    element.setAttribute('data-expired', '');
    var block = element.closest('[data-quote-block]');
    if (block && window.htmx) window.htmx.trigger(block, 'quote-expired');
  }

  function tick() {
    var elements = document.querySelectorAll('[data-expires-at]:not([data-expired])');
    for (var i = 0; i < elements.length; i += 1) {
      var element = elements[i];
      var left = Math.max(0, Math.ceil((deadlineOf(element) - performance.now()) / 1000));
      var seconds = element.querySelector('[data-seconds]');
      if (seconds && seconds.textContent !== String(left)) seconds.textContent = String(left);
      if (left === 0) expire(element);
    }
  }

  setInterval(tick, TICK_MS);
  // A quote swapped in by htmx starts counting at once, not up to a second later.
  document.addEventListener('htmx:afterSettle', tick);
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', tick);
  else tick();
})();
