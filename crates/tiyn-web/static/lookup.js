// Type-ahead lookups in the reference directories (R-3.1.2.2) for form fields. Ours, Apache-2.0;
// loaded from our own origin, so the Content-Security-Policy (`script-src 'self'`) needs nothing
// inline.
//
// Every `<input data-lookup="KIND">` (KIND: knp, kbk, kbe, banks, foreign-banks) gets a list of
// choices under it: as the person types, the script asks the cabinet for
// `/directories/KIND/lookup?q=…` (an HTML fragment of `<li data-value>` choices, rendered and
// escaped by the server) and shows them. Picking one (click, or arrows and Enter) puts its value in
// the field — the code, or for banks the BIC — and fires `input` and `change`, so the form's own
// checks run as if it had been typed. Escape or leaving the field closes the list. Without this
// script the field is a plain text field.
(function () {
  'use strict';

  /** Wait this long after the last keystroke before asking: one request per pause, not per key. */
  var DEBOUNCE_MS = 200;
  /** Fewer characters than this ask nothing (a single digit matches half a directory). */
  var QUERY_CHARS_MIN = 1;
  var KINDS = ['knp', 'kbk', 'kbe', 'banks', 'foreign-banks'];
  var counter = 0;

  function setUp(input) {
    var kind = input.getAttribute('data-lookup');
    if (KINDS.indexOf(kind) < 0 || input.hasAttribute('data-lookup-ready')) return;
    input.setAttribute('data-lookup-ready', '');
    counter += 1;
    var list = document.createElement('ul');
    list.id = (input.id || 'lookup') + '-choices-' + counter;
    list.className = 'lookup__list';
    list.setAttribute('role', 'listbox');
    list.hidden = true;
    input.insertAdjacentElement('afterend', list);
    input.setAttribute('role', 'combobox');
    input.setAttribute('aria-autocomplete', 'list');
    input.setAttribute('aria-expanded', 'false');
    input.setAttribute('aria-controls', list.id);
    input.setAttribute('autocomplete', 'off');

    var timer = null;
    var asked = 0;

    function choices() {
      return Array.prototype.slice.call(list.querySelectorAll('[data-value]'));
    }

    function close() {
      list.hidden = true;
      input.setAttribute('aria-expanded', 'false');
      input.removeAttribute('aria-activedescendant');
    }

    function open() {
      list.hidden = false;
      input.setAttribute('aria-expanded', 'true');
    }

    function highlight(index) {
      var all = choices();
      all.forEach(function (choice, i) {
        choice.id = list.id + '-' + i;
        choice.setAttribute('aria-selected', i === index ? 'true' : 'false');
      });
      if (index >= 0 && index < all.length) {
        input.setAttribute('aria-activedescendant', all[index].id);
        all[index].scrollIntoView({ block: 'nearest' });
      }
    }

    function current() {
      return choices().findIndex(function (choice) {
        return choice.getAttribute('aria-selected') === 'true';
      });
    }

    function pick(choice) {
      input.value = choice.getAttribute('data-value');
      close();
      input.dispatchEvent(new Event('input', { bubbles: true }));
      input.dispatchEvent(new Event('change', { bubbles: true }));
    }

    function ask() {
      var query = input.value.trim();
      if (query.length < QUERY_CHARS_MIN) {
        close();
        return;
      }
      asked += 1;
      var mine = asked;
      var url = '/directories/' + kind + '/lookup?q=' + encodeURIComponent(query);
      fetch(url, { credentials: 'same-origin', headers: { Accept: 'text/html' } })
        .then(function (response) {
          return response.ok ? response.text() : '';
        })
        .then(function (html) {
          // An answer to an older query than the latest is stale.
          if (mine !== asked || document.activeElement !== input) return;
          list.innerHTML = html;
          if (html.trim() === '') {
            close();
          } else {
            open();
            highlight(-1);
          }
        })
        .catch(close);
    }

    input.addEventListener('input', function (event) {
      // Our own event after a pick: the value is chosen, nothing to look up.
      if (!event.isTrusted) return;
      clearTimeout(timer);
      timer = setTimeout(ask, DEBOUNCE_MS);
    });
    input.addEventListener('keydown', function (event) {
      if (list.hidden) return;
      var all = choices();
      var index = current();
      if (event.key === 'ArrowDown') {
        event.preventDefault();
        highlight(Math.min(index + 1, all.length - 1));
      } else if (event.key === 'ArrowUp') {
        event.preventDefault();
        highlight(Math.max(index - 1, 0));
      } else if (event.key === 'Enter' && index >= 0) {
        event.preventDefault();
        pick(all[index]);
      } else if (event.key === 'Escape') {
        close();
      }
    });
    input.addEventListener('blur', function () {
      // After a click on a choice has been handled (mousedown below keeps the focus).
      setTimeout(close, 150);
    });
    list.addEventListener('mousedown', function (event) {
      var choice = event.target.closest('[data-value]');
      if (!choice) return;
      event.preventDefault();
      pick(choice);
    });
  }

  function setUpAll(root) {
    Array.prototype.forEach.call((root || document).querySelectorAll('input[data-lookup]'), setUp);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', function () {
      setUpAll(document);
    });
  } else {
    setUpAll(document);
  }
  // Fields htmx brings in later (a form part swapped in) get their lookup too.
  document.addEventListener('htmx:load', function (event) {
    setUpAll(event.target);
  });
})();
