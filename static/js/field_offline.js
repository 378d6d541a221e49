/* Field pages without signal: the service worker (/field/sw.js), and an outbox of status updates on the phone.

   - An update the officer sends with no connection (or whose sending fails) is kept in IndexedDB — its fields,
     the ticket version it was made on and the photo as a Blob — and sent again on the next page load, on the
     `online` event and while something waits, after 2 s, 4 s, … up to every 30 s (a link that has just come
     back often fails its first request). Each try first fetches the ticket page for a fresh CSRF
     token (the session may have changed), then posts the same form. A 409 (someone changed the ticket meanwhile)
     or another refusal keeps the record as a conflict: the officer's text stays, with a link to the ticket's
     latest state, where it is put back into the form.
   - Records belong to the user who made them; only that user sees or sends them.
   - Logging out tells the worker first, which deletes every cached staff page, and forgets the last position.
   Without JavaScript the form posts as before. */
(function () {
  "use strict";
  var cfgEl = document.getElementById("peta-config");
  var cfg = window.PETA || (cfgEl ? JSON.parse(cfgEl.textContent) : {});
  var t = function (id, en) { return cfg.lang === "en" ? en : id; };
  var logout = document.querySelector("form.navform[data-user]");
  var user = logout ? logout.dataset.user : "";
  var RETRY_MIN_MS = 2000, RETRY_MAX_MS = 30000, TIMEOUT_MS = 20000, DB = "peta-field", STORE = "outbox";
  var flushing = false, timer = null, retryMs = RETRY_MIN_MS;

  /* ---- IndexedDB: one store of queued updates ---- */
  function db() {
    return new Promise(function (ok, fail) {
      var req = indexedDB.open(DB, 1);
      req.onupgradeneeded = function () { req.result.createObjectStore(STORE, {keyPath: "id", autoIncrement: true}); };
      req.onsuccess = function () { ok(req.result); };
      req.onerror = function () { fail(req.error); };
    });
  }

  function tx(mode, work) {
    return db().then(function (d) {
      return new Promise(function (ok, fail) {
        var x = d.transaction(STORE, mode), out = work(x.objectStore(STORE));
        x.oncomplete = function () { d.close(); ok(out && "result" in out ? out.result : undefined); };
        x.onerror = function () { d.close(); fail(x.error); };
      });
    });
  }

  var outbox = {
    add: function (rec) { return tx("readwrite", function (s) { return s.add(rec); }); },
    put: function (rec) { return tx("readwrite", function (s) { return s.put(rec); }); },
    del: function (id) { return tx("readwrite", function (s) { return s.delete(id); }); },
    mine: function () {
      return tx("readonly", function (s) { return s.getAll(); }).then(function (all) {
        return (all || []).filter(function (r) { return r.user === user; });
      });
    }
  };

  /* ---- the service worker ---- */
  function tellWorker(message) {
    if (!navigator.serviceWorker || !navigator.serviceWorker.controller) return Promise.resolve();
    return new Promise(function (ok) {
      var ch = new MessageChannel();
      ch.port1.onmessage = function () { ok(); };
      navigator.serviceWorker.controller.postMessage(message, [ch.port2]);
      setTimeout(ok, 1500);
    });
  }

  function pageParts() {
    var urls = [location.href];
    document.querySelectorAll("script[src], link[rel=stylesheet], link[rel=manifest]").forEach(function (el) {
      urls.push(el.src || el.href);
    });
    if (cfg.outlines) urls.push(cfg.outlines);
    return urls;
  }

  function ticketLinks() {
    var seen = {};
    document.querySelectorAll("a[href^='/field/aduan/']").forEach(function (a) { seen[a.href] = 1; });
    return Object.keys(seen).slice(0, 10);  /* one bar of signal: the first ten tickets on the page */
  }

  function startWorker(url) {
    if (!("serviceWorker" in navigator) || !url) return;
    var wasControlled = !!navigator.serviceWorker.controller;
    navigator.serviceWorker.register(url, {scope: "/field/"}).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (reg) {
      /* this page itself always: the worker may have answered it before it knew who is logged in */
      var keep = (wasControlled ? [location.href] : pageParts()).concat(navigator.onLine ? ticketLinks() : []);
      reg.active.postMessage({type: "user", user: user, keep: keep});
    }).catch(function () {});
  }

  /* ---- the banner: what waits, what conflicts ---- */
  function banner() {
    var el = document.getElementById("outbox");
    if (!el) {
      el = document.createElement("section");
      el.id = "outbox";
      el.className = "outbox card";
      el.setAttribute("aria-live", "polite");
      var main = document.querySelector("main");
      main.insertBefore(el, main.firstChild);
    }
    return el;
  }

  function line(rec) {
    var li = document.createElement("li"), a = document.createElement("a");
    li.dataset.code = rec.code;
    li.dataset.state = rec.state;
    a.href = rec.url;
    a.textContent = rec.code;
    li.appendChild(a);
    li.appendChild(document.createTextNode(" · " + rec.actionLabel + " · " + new Date(rec.created).toLocaleString()));
    if (rec.state === "waiting") return li;
    var why = document.createElement("p"), text = document.createElement("blockquote");
    why.className = "small";
    why.textContent = rec.state === "conflict"
      ? t("Konflik: aduan ini sudah diubah orang lain sebelum pembaruan Anda terkirim. Buka keadaan terbarunya dan kirim ulang.",
          "Conflict: someone changed this ticket before your update was sent. Open its latest state and send again.")
      : (rec.error || t("Pembaruan ditolak.", "Update refused."));
    text.className = "note";
    text.textContent = rec.note || t("(tanpa catatan)", "(no note)");
    var again = document.createElement("a"), drop = document.createElement("button");
    again.href = rec.url;
    again.className = "resubmit";
    again.textContent = t("Lihat keadaan terbaru dan kirim ulang", "See the latest state and send again");
    drop.type = "button";
    drop.className = "secondary drop";
    drop.textContent = t("Buang", "Discard");
    drop.addEventListener("click", function () { outbox.del(rec.id).then(render); });
    [why, text, again, document.createTextNode(" "), drop].forEach(function (n) { li.appendChild(n); });
    return li;
  }

  function render() {
    return outbox.mine().then(function (recs) {
      var el = banner(), waiting = recs.filter(function (r) { return r.state === "waiting"; });
      var stuck = recs.filter(function (r) { return r.state !== "waiting"; });
      el.textContent = "";
      el.hidden = !recs.length && navigator.onLine;
      if (!navigator.onLine) {
        var off = document.createElement("p");
        off.className = "offline-note";
        off.textContent = t("Luring: halaman ini salinan tersimpan; pembaruan disimpan di ponsel.",
                            "Offline: this page is a saved copy; updates are kept on the phone.");
        el.appendChild(off);
      }
      [[waiting, "waiting", t("Menunggu dikirim", "Waiting to be sent")],
       [stuck, "stuck", t("Perlu ditinjau", "Needs your attention")]].forEach(function (group) {
        if (!group[0].length) return;
        var h = document.createElement("h2"), ol = document.createElement("ol");
        h.textContent = group[2] + " (" + group[0].length + ")";
        h.id = "outbox-" + group[1];
        group[0].forEach(function (r) { ol.appendChild(line(r)); });
        el.appendChild(h);
        el.appendChild(ol);
      });
      clearTimeout(timer);
      if (waiting.length) timer = setTimeout(flush, retryMs);
      return recs;
    });
  }

  /* ---- sending ---- */
  function post(url, body) {
    var ctl = window.AbortController ? new AbortController() : null;
    var stop = ctl ? setTimeout(function () { ctl.abort(); }, TIMEOUT_MS) : null;
    return fetch(url, {method: "POST", body: body, redirect: "manual", credentials: "same-origin",
                       signal: ctl ? ctl.signal : undefined})
      .finally(function () { clearTimeout(stop); });
  }

  function freshToken(url) {
    return fetch(url, {credentials: "same-origin", cache: "no-store"}).then(function (res) {
      if (res.headers.get("X-Peta-Offline")) throw new Error("offline");
      if (new URL(res.url).pathname === "/login") throw new Error("login");
      return res.text();
    }).then(function (html) {
      var m = /name="csrf_token" value="([^"]+)"/.exec(html);
      if (!m) throw new Error("token");
      return m[1];
    });
  }

  function refusal(html) {
    var doc = new DOMParser().parseFromString(html, "text/html"), el = doc.querySelector("#update-error strong");
    return el ? el.textContent.trim() : "";
  }

  function formOf(rec, token) {
    var fd = new FormData();
    Object.keys(rec.fields).forEach(function (k) { fd.append(k, rec.fields[k]); });
    fd.append("csrf_token", token);
    if (rec.photo) fd.append("photo", rec.photo, rec.photoName || "foto.jpg");
    return fd;
  }

  function send(rec) {
    return freshToken(rec.url).then(function (token) { return post(rec.url, formOf(rec, token)); }).then(function (res) {
      if (res.type === "opaqueredirect" || (res.status >= 300 && res.status < 400)) return outbox.del(rec.id).then(function () { return "sent"; });
      if (res.status >= 500) return "later";
      return res.text().then(function (html) {
        rec.state = res.status === 409 ? "conflict" : "rejected";
        rec.error = refusal(html);
        return outbox.put(rec).then(function () { return rec.state; });
      });
    });
  }

  /* One sender at a time across tabs (a second would find its version stale and report a false conflict). */
  function flush() {
    if (flushing || !navigator.onLine || !user) return Promise.resolve();
    if (!navigator.locks) return sendAll();
    return navigator.locks.request("peta-outbox", {ifAvailable: true}, function (lock) {
      return lock ? sendAll() : undefined;
    });
  }

  function sendAll() {
    flushing = true;
    var sentHere = false;
    return outbox.mine().then(function (recs) {
      var waiting = recs.filter(function (r) { return r.state === "waiting"; });
      return waiting.reduce(function (chain, rec) {
        return chain.then(function (go) {
          if (!go) return false;
          return send(rec).then(function (result) {
            if (result === "sent" && rec.url === location.origin + location.pathname) sentHere = true;
            return result !== "later";
          }, function () { return false; });  /* no network, no session: the rest waits too */
        });
      }, Promise.resolve(true));
    }).then(function (allTried) {
      retryMs = allTried ? RETRY_MIN_MS : Math.min(retryMs * 2, RETRY_MAX_MS);
    }).finally(function () { flushing = false; }).then(render).then(function () {
      if (sentHere) location.reload();
    });
  }

  /* ---- the update form ---- */
  /* Its URL: `form.action` is the form's <select name="action">. */
  function target(form) { return new URL(form.getAttribute("action"), location.href).href; }

  function queue(form) {
    var fd = new FormData(form), fields = {}, photo = fd.get("photo");
    fd.forEach(function (v, k) { if (k !== "csrf_token" && k !== "photo") fields[k] = v; });
    var action = form.querySelector("#action");
    return outbox.add({
      user: user, code: form.dataset.code, url: target(form), fields: fields, note: fields.note || "",
      actionLabel: action ? action.options[action.selectedIndex].text : "",
      photo: photo && photo.size ? photo : null, photoName: photo && photo.size ? photo.name : null,
      created: new Date().toISOString(), state: "waiting"
    }).then(function () {
      form.reset();
      var msg = document.getElementById("queued-note") || document.createElement("p");
      msg.id = "queued-note";
      msg.className = "flash warn";
      msg.setAttribute("role", "status");
      msg.textContent = t("Tidak ada sinyal: pembaruan disimpan di ponsel dan dikirim otomatis saat tersambung.",
                          "No signal: the update is kept on the phone and sent automatically when connected.");
      form.parentNode.insertBefore(msg, form);
      return render();
    });
  }

  function dropConflicts(code) {
    return outbox.mine().then(function (recs) {
      return Promise.all(recs.filter(function (r) { return r.code === code && r.state !== "waiting"; })
        .map(function (r) { return outbox.del(r.id); }));
    });
  }

  function interceptUpdates(form) {
    var busy = false;
    form.addEventListener("submit", function (e) {
      if (!window.indexedDB || !window.fetch || e.defaultPrevented) return;
      e.preventDefault();
      if (busy) return;
      busy = true;
      var done = function () { busy = false; };
      if (!navigator.onLine) { queue(form).finally(done); return; }
      post(target(form), new FormData(form)).then(function (res) {
        if (res.type === "opaqueredirect") return dropConflicts(form.dataset.code).then(function () {
          location.assign(target(form));
        });
        done();
        form.submit();  /* a refusal changed nothing: post normally so the server's page shows it */
      }, function () { queue(form).finally(done); });
    });
  }

  /* A conflict for this ticket: put the officer's text back into the form of its latest state. */
  function restoreConflict(form) {
    outbox.mine().then(function (recs) {
      var rec = recs.filter(function (r) { return r.code === form.dataset.code && r.state !== "waiting"; })[0];
      if (!rec || form.note.value) return;
      form.note.value = rec.note || "";
      if (rec.fields.action && form.querySelector("#action option[value='" + rec.fields.action + "']")) {
        form.querySelector("#action").value = rec.fields.action;
        form.querySelector("#action").dispatchEvent(new Event("change"));
      }
      if (form.public) form.public.checked = rec.fields.public === "1";
      var msg = document.createElement("p");
      msg.id = "restored-note";
      msg.className = "flash warn";
      msg.textContent = t("Catatan Anda dari pembaruan yang konflik dimasukkan lagi ke formulir; periksa keadaan terbaru lalu kirim ulang" +
                          (rec.photo ? " (foto perlu dipilih lagi)." : "."),
                          "Your note from the conflicting update is back in the form; check the latest state and send again" +
                          (rec.photo ? " (choose the photo again)." : "."));
      form.parentNode.insertBefore(msg, form);
    });
  }

  if (logout) logout.addEventListener("submit", function (e) {
    if (logout.dataset.cleared) return;
    e.preventDefault();
    try { localStorage.removeItem("peta.field.lastPosition"); } catch (err) { /* nothing stored */ }
    tellWorker({type: "logout"}).then(function () { logout.dataset.cleared = "1"; logout.submit(); });
  });
  if (!document.body.classList.contains("field") || !user) return;
  startWorker(logout.dataset.sw);
  if (!window.indexedDB) return;
  var form = document.getElementById("update-form");
  if (form) { interceptUpdates(form); restoreConflict(form); }
  window.addEventListener("online", function () { retryMs = RETRY_MIN_MS; flush(); });
  window.addEventListener("offline", render);
  render().then(flush);
})();
