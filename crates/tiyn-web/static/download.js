// Downloads with progress (R-3.1.2.6: long exports show progress). A link with
// data-download="ID" is fetched instead of followed; the element ID (role="status") shows the
// kilobytes received and, when the server says how many operations the file carries
// (X-Export-Operations) and the file is text, the lines received against them; the file is
// then saved under the server's name. Without JavaScript (or streams) the link downloads as a
// plain link, so nothing depends on this script. Texts come from the status element's data-*
// attributes, already translated by the page.
(function () {
  'use strict';

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) {
      return values[key] === undefined ? '' : String(values[key]);
    });
  }

  function fileName(response, fallback) {
    var disposition = response.headers.get('content-disposition') || '';
    var match = /filename="([^"]+)"/.exec(disposition);
    return match ? match[1] : fallback;
  }

  async function download(link, status) {
    var bar = status.querySelector('progress');
    var text = status.querySelector('[data-download-text]');
    var show = function (message, value) {
      status.hidden = false;
      text.textContent = message;
      if (value === undefined) {
        bar.removeAttribute('value');
      } else {
        bar.value = value;
      }
    };
    show(status.dataset.textStarting);
    var response = await fetch(link.href, { credentials: 'same-origin' });
    if (!response.ok || !response.body) {
      show(fill(status.dataset.textFailed, { status: response.status }), 0);
      return;
    }
    var total = Number(response.headers.get('x-export-operations')) || 0;
    var textual = /^text\//.test(response.headers.get('content-type') || '');
    var reader = response.body.getReader();
    var chunks = [];
    var bytes = 0;
    var lines = 0;
    for (;;) {
      var step = await reader.read();
      if (step.done) {
        break;
      }
      chunks.push(step.value);
      bytes += step.value.length;
      if (textual) {
        for (var i = 0; i < step.value.length; i++) {
          if (step.value[i] === 10) {
            lines++;
          }
        }
      }
      var kb = Math.round(bytes / 1024);
      if (textual && total > 0) {
        var done = Math.min(lines, total);
        show(fill(status.dataset.textLines, { lines: done, total: total, kb: kb }), Math.round((done * 100) / total));
      } else {
        show(fill(status.dataset.textBytes, { kb: kb }));
      }
    }
    var blob = new Blob(chunks, { type: response.headers.get('content-type') || 'application/octet-stream' });
    var url = URL.createObjectURL(blob);
    var name = fileName(response, link.getAttribute('download') || 'export');
    var save = document.createElement('a');
    save.href = url;
    save.download = name;
    document.body.appendChild(save);
    save.click();
    save.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
    show(fill(status.dataset.textDone, { name: name, kb: Math.round(bytes / 1024) }), 100);
  }

  document.addEventListener('click', function (event) {
    var link = event.target.closest ? event.target.closest('a[data-download]') : null;
    if (!link || event.defaultPrevented || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) {
      return;
    }
    var status = document.getElementById(link.dataset.download);
    if (!status || !window.fetch || !window.ReadableStream) {
      return;
    }
    event.preventDefault();
    download(link, status).catch(function (error) {
      status.hidden = false;
      status.querySelector('[data-download-text]').textContent = fill(status.dataset.textFailed, { status: error });
    });
  });
})();
