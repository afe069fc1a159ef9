// The statement's print view: its "Print" button opens the browser's print dialog. A file of
// ours, so the Content-Security-Policy needs no inline script; without it, Ctrl+P still works.
document.addEventListener('DOMContentLoaded', () => {
  const button = document.getElementById('print-button');
  if (!button) return;
  button.hidden = false;
  button.addEventListener('click', () => window.print());
});
