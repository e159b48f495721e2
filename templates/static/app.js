// The behaviour of lims pages. One file, served by the app, so that the
// Content-Security-Policy can forbid inline scripts; each part acts only on pages
// that have its elements.
"use strict";

// Disposal case: an evidence file is uploaded as soon as it is chosen.
(function () {
document.querySelectorAll('input[data-upload]').forEach(function (input) {
  input.addEventListener('change', function () {
    var f = input.files && input.files[0];
    if (!f) { return; }
    var token = document.querySelector('meta[name="csrf-token"]').getAttribute('content');
    fetch(input.getAttribute('data-upload') + '?file_name=' + encodeURIComponent(f.name), {
      method: 'POST', credentials: 'same-origin', body: f,
      headers: { 'Content-Type': f.type || 'application/octet-stream', 'X-CSRF-Token': token }
    }).then(function (r) {
      if (r.ok) { location.reload(); return; }
      return r.json().then(function (e) {
        var detail = e.error && e.error.fields ? Object.values(e.error.fields).join('; ') : '';
        alert((e.error && e.error.message ? e.error.message : r.status) + (detail ? '\n' + detail : ''));
      });
    }).catch(function (err) { alert(err); });
  });
});
})();

// Sample form: keeps a half-filled form in this browser until the server accepts it
// (weak mobile connections). The draft is cleared when the sample page after a
// successful submission loads.
(function () {
  var form = document.getElementById('sample-form');
  if (!form || !window.localStorage) return;
  var key = form.getAttribute('data-draft');
  var serverHasErrors = form.getAttribute('data-server-errors') === 'true';
  function save() {
    var data = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.name === 'csrf' || el.name === 'version') return;
      if (el.type === 'checkbox') { (data[el.name] = data[el.name] || []); if (el.checked) data[el.name].push(el.value); }
      else data[el.name] = el.value;
    });
    localStorage.setItem(key, JSON.stringify(data));
    document.getElementById('draft-note').hidden = false;
  }
  var saved = localStorage.getItem(key);
  if (saved && !serverHasErrors) {
    try {
      var data = JSON.parse(saved);
      Array.prototype.forEach.call(form.elements, function (el) {
        if (!el.name || !(el.name in data)) return;
        if (el.type === 'checkbox') el.checked = data[el.name].indexOf(el.value) >= 0;
        else el.value = data[el.name];
      });
      document.getElementById('draft-note').hidden = false;
    } catch (e) { localStorage.removeItem(key); }
  }
  form.addEventListener('input', save);
  form.addEventListener('change', save);
  sessionStorage.setItem('lims-pending-draft', key);
})();

// Sample form: the drug and cosmetic fields show for those domains, and whenever one of
// them is filled; without the script they always show.
(function () {
  var group = document.getElementById('drug-fields');
  var domain = document.getElementById('sample-domain');
  if (!group || !domain) return;
  var domains = (group.getAttribute('data-domains') || '').split(' ');
  function update() {
    var filled = Array.prototype.some.call(group.querySelectorAll('input'), function (el) {
      return el.value !== '';
    });
    group.hidden = !(filled || domains.indexOf(domain.value) >= 0);
  }
  domain.addEventListener('change', update);
  update();
})();

// Sample page after a successful submission: the draft saved by the form is done.
(function () {
  if (!document.querySelector('[data-clear-draft]')) return;
  try {
    var k = sessionStorage.getItem('lims-pending-draft');
    if (k) { localStorage.removeItem(k); sessionStorage.removeItem('lims-pending-draft'); }
  } catch (e) {}
})();
