// mashang pages: small enhancements only. Every form works without this file.
(function () {
  "use strict";
  var $$ = function (sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); };

  // Report form: the reporter's name and contacts only when named.
  function namedToggle() {
    var named = document.getElementById("anon-no");
    var box = document.getElementById("named-fields");
    if (!named || !box) return;
    var sync = function () { box.hidden = !named.checked; };
    $$("input[name=anonymous]").forEach(function (r) { r.addEventListener("change", sync); });
    sync();
  }

  // The desk: fields that belong to some channels only (the postal address:
  // letter and walk-in) are shown, and sent, for those channels; without
  // this script they are always shown.
  function channelFields() {
    var boxes = $$("[data-channels]");
    var radios = $$("input[name=channel]");
    if (!boxes.length || !radios.length) return;
    var sync = function () {
      var ch = (radios.filter(function (r) { return r.checked; })[0] || {}).value || "";
      boxes.forEach(function (b) {
        var on = b.getAttribute("data-channels").split(" ").indexOf(ch) >= 0;
        b.hidden = !on;
        $$("input, textarea", b).forEach(function (i) { i.disabled = !on; });
      });
    };
    radios.forEach(function (r) { r.addEventListener("change", sync); });
    sync();
  }

  // Print buttons (the receipt page).
  function printButtons() {
    $$("[data-print]").forEach(function (b) {
      b.hidden = false;
      b.addEventListener("click", function () { window.print(); });
    });
  }

  // Pickers: an input with data-picker="ID of a datalist" shows the options
  // matching what is typed (code, pinyin initials with or without spaces, or
  // words); arrows move, Enter takes the highlighted one.
  function norm(s) { return (s || "").toLowerCase().replace(/\s+/g, ""); }
  function picker(input) {
    var list = document.getElementById(input.getAttribute("data-picker"));
    if (!list) return;
    var opts = $$("option", list).map(function (o) {
      var s = o.getAttribute("data-s") || "";
      return { value: o.value, label: o.textContent || o.label || o.value, key: norm(o.value + " " + s + " " + (o.textContent || "")),
        ini: s.split(/\s+/).filter(function (w) { return /^[a-z0-9]+$/.test(w); }) };
    });
    // Typed initials may skip a character ("mxbm" for 梅溪镇便民…): their
    // letters in order from a name's first letter match, after the direct hits.
    function inOrder(o, q) {
      if (!/^[a-z]{3,}$/.test(q)) return false;
      return o.ini.some(function (w) {
        if (w.charAt(0) !== q.charAt(0)) return false;
        var i = 0;
        for (var j = 0; j < w.length && i < q.length; j++) if (w.charAt(j) === q.charAt(i)) i++;
        return i === q.length;
      });
    }
    var box = document.createElement("ul");
    box.className = "matches";
    box.id = input.id + "-matches";
    box.setAttribute("role", "listbox");
    input.setAttribute("aria-controls", box.id);
    input.setAttribute("autocomplete", "off");
    input.removeAttribute("list");
    input.parentNode.insertBefore(box, input.nextSibling);
    var sel = -1, shown = [];
    function paint() {
      box.innerHTML = "";
      shown.forEach(function (o, i) {
        var li = document.createElement("li");
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", i === sel ? "true" : "false");
        li.textContent = o.label;
        li.addEventListener("mousedown", function (e) { e.preventDefault(); take(o); });
        box.appendChild(li);
      });
    }
    function take(o) { input.value = o.value; shown = []; sel = -1; paint(); }
    input.addEventListener("input", function () {
      var q = norm(input.value);
      shown = q ? opts.filter(function (o) { return o.key.indexOf(q) >= 0; }) : [];
      if (q && shown.length < 8) shown = shown.concat(opts.filter(function (o) { return o.key.indexOf(q) < 0 && inOrder(o, q); }));
      shown = shown.slice(0, 8);
      if (shown.length === 1 && norm(shown[0].value) === q) shown = [];
      sel = shown.length ? 0 : -1;
      paint();
    });
    input.addEventListener("keydown", function (e) {
      // Enter in a picker never sends the whole form: it takes the
      // highlighted option, or does nothing (the form is saved by its button
      // or Alt+S), so a half-typed unit is not filed by accident.
      if (e.key === "Enter") { if (sel >= 0 && shown.length) take(shown[sel]); e.preventDefault(); return; }
      if (!shown.length) return;
      if (e.key === "ArrowDown") { sel = (sel + 1) % shown.length; paint(); e.preventDefault(); }
      else if (e.key === "ArrowUp") { sel = (sel - 1 + shown.length) % shown.length; paint(); e.preventDefault(); }
      else if (e.key === "Escape") { shown = []; paint(); }
    });
    input.addEventListener("keypress", function (e) { if (e.key === "Enter") e.preventDefault(); });
    input.addEventListener("blur", function () { setTimeout(function () { shown = []; paint(); }, 150); });
  }

  // The desk: when a phone is typed, the caller's earlier reports are
  // fetched (POST, so the phone is in no URL) and shown beside it.
  function earlierReports() {
    var phone = document.querySelector("input[data-earlier]");
    var box = document.getElementById("earlier");
    if (!phone || !box || !window.fetch || !window.DOMParser) return;
    var last = "";
    phone.addEventListener("change", function () {
      var v = phone.value.replace(/\D/g, "");
      if (v.length < 7 || v === last) return;
      last = v;
      var body = new FormData();
      body.append("csrf", phone.form.querySelector("input[name=csrf]").value);
      body.append("phone", phone.value);
      fetch(phone.getAttribute("data-earlier"), { method: "POST", body: body, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (!html) return;
          var got = new DOMParser().parseFromString(html, "text/html").getElementById("earlier");
          if (got) box.innerHTML = got.innerHTML;
        })
        .catch(function () {});
    });
  }

  // Shortcuts: Alt+S saves a form marked data-save-shortcut; Alt+1…8 picks
  // a channel (radio with data-shortcut="1"…).
  function shortcuts() {
    var form = document.querySelector("form[data-save-shortcut]");
    if (!form) return;
    document.addEventListener("keydown", function (e) {
      if (!e.altKey || e.ctrlKey || e.metaKey) return;
      var k = (e.key || "").toLowerCase();
      if (e.code === "KeyS" || k === "s") {
        e.preventDefault();
        if (form.requestSubmit) form.requestSubmit(); else form.submit();
        return;
      }
      var m = /^Digit([1-9])$/.exec(e.code || "") || /^([1-9])$/.exec(k);
      if (m) {
        var r = form.querySelector("input[data-shortcut='" + m[1] + "']");
        if (r) { e.preventDefault(); r.checked = true; r.dispatchEvent(new Event("change", { bubbles: true })); }
      }
    });
  }

  // Lists: j/k move, Enter opens, / searches.
  function listKeys() {
    var rows = $$("tr[data-href]");
    if (!rows.length) return;
    var cur = -1;
    function select(i) {
      if (cur >= 0) rows[cur].classList.remove("sel");
      cur = Math.max(0, Math.min(rows.length - 1, i));
      rows[cur].classList.add("sel");
      rows[cur].focus();
    }
    rows.forEach(function (r, i) {
      r.tabIndex = -1;
      r.addEventListener("click", function (e) { if (e.target.tagName !== "A") location.href = r.getAttribute("data-href"); });
      r.addEventListener("focus", function () { if (cur !== i) { if (cur >= 0) rows[cur].classList.remove("sel"); cur = i; r.classList.add("sel"); } });
    });
    document.addEventListener("keydown", function (e) {
      var t = e.target.tagName;
      if (t === "INPUT" || t === "TEXTAREA" || t === "SELECT" || e.altKey || e.ctrlKey || e.metaKey) return;
      if (e.key === "j") { select(cur + 1); e.preventDefault(); }
      else if (e.key === "k") { select(cur - 1); e.preventDefault(); }
      else if (e.key === "Enter" && cur >= 0) { location.href = rows[cur].getAttribute("data-href"); e.preventDefault(); }
      else if (e.key === "/") { var q = document.getElementById("q"); if (q) { q.focus(); e.preventDefault(); } }
    });
  }

  // A field named in the error gets the focus; otherwise the autofocus field
  // (browsers skip autofocus on some navigations).
  function focusError() {
    var f = document.querySelector("[aria-invalid=true]") || document.querySelector("[autofocus]");
    if (f && document.activeElement !== f && (document.activeElement === document.body || !document.activeElement)) f.focus();
  }

  document.addEventListener("DOMContentLoaded", function () {
    namedToggle();
    channelFields();
    printButtons();
    $$("input[data-picker]").forEach(picker);
    shortcuts();
    earlierReports();
    listKeys();
    focusError();
  });
})();
