/* Peta Aduan field service worker, served at /field/sw.js so its scope is /field/ (app/field/views.py).

   - Static files (/static/…?v=<hash>) are fingerprinted, so they are cache-first in one shared cache.
   - Everything else it sees (pages, the nearby API, photos, the city outlines) is network-first; a good answer is
     kept in the cache of the logged-in user ("peta-user-<id>") and served from there only when the network fails.
     The nearby API is kept once, without its query: "the last nearby list".
   - Staff pages are never served to another user: the page tells the worker who is logged in (data-user on the
     logout form); when that changes, or on logout, every user cache is deleted. With no known user nothing is
     served from a user cache. Every staff answer also names its user (X-Peta-User, app/auth/session.py): a
     worker that knows nobody yet (the page's message was cut off by a reload, or is still on its way) takes
     the user from it, and an answer naming anyone but the known user is never kept.
   - POSTs are never touched: offline updates are queued by the page (static/js/field_offline.js), not here. */
"use strict";

var STATIC = "peta-static-v1", META = "peta-meta", USER_KEY = "/field/__user__", PREFIX = "peta-user-";
var SIGNED_OUT = "-";  /* kept as the user after a logout */
var currentUser;  /* undefined: not read yet; "": nobody */
var signedOut = false;  /* nobody since a logout: an answer naming a user is not taken for a login (a request
                           that left before the logout may still come back naming the old user) */

function readUser() {
  if (currentUser !== undefined) return Promise.resolve(currentUser);
  return caches.open(META).then(function (c) { return c.match(USER_KEY); })
    .then(function (r) { return r ? r.text() : ""; })
    .then(function (u) { signedOut = u === SIGNED_OUT; currentUser = signedOut ? "" : u; return currentUser; });
}

function dropUserCaches(keep) {
  return caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n.indexOf(PREFIX) === 0 && n !== keep; })
      .map(function (n) { return caches.delete(n); }));
  });
}

/* Writes to the user caches and a change of user run one after another, and a write checks the user when it
   runs: an answer fetched for the previous user can never land in a cache after that cache was deleted. */
var writes = Promise.resolve();
function serial(work) {
  var run = writes.then(work);
  writes = run.catch(function () {});
  return run;
}

function store(user, key, res) {
  return serial(function () {
    if (!user || currentUser !== user) return null;
    return caches.open(PREFIX + user).then(function (c) { return c.put(key, res); });
  });
}

function remember(user) {
  return caches.open(META).then(function (c) { return c.put(USER_KEY, new Response(user)); });
}

function setUser(user, loggingOut) {
  user = user ? String(user) : "";
  return serial(function () {
    return readUser().then(function (was) {
      currentUser = user;
      signedOut = !user && !!loggingOut;
      return Promise.all([remember(signedOut ? SIGNED_OUT : user), was === user ? null : dropUserCaches(PREFIX + user)]);
    });
  });
}

/* The user an answer was made for (X-Peta-User): the known user; the one it names when the worker knows nobody
   and no logout came since; otherwise nobody, and the answer is not kept. */
function ownerOf(res) {
  var named = res.headers.get("X-Peta-User") || "";
  return serial(function () {
    return readUser().then(function (known) {
      if (!named || named === known) return known;
      if (known || signedOut) return "";
      currentUser = named;
      return Promise.all([remember(named), dropUserCaches(PREFIX + named)]).then(function () { return named; });
    });
  });
}

function isStatic(url) { return url.pathname.indexOf("/static/") === 0 && url.searchParams.has("v"); }
function keyOf(url) {
  return url.pathname === "/api/v1/nearby" ? url.origin + url.pathname : url.href;
}
function cacheable(res) {
  return res && res.ok && res.type === "basic" && new URL(res.url).pathname !== "/login";
}

function staticFirst(req) {
  return caches.open(STATIC).then(function (c) {
    return c.match(req).then(function (hit) {
      return hit || fetch(req).then(function (res) { if (res.ok) c.put(req, res.clone()); return res; });
    });
  });
}

function offlinePage() {
  return new Response('<!doctype html><html lang="id"><meta charset="utf-8"><meta name="viewport" ' +
    'content="width=device-width, initial-scale=1"><title>Luring</title><body style="font-family:sans-serif;' +
    'padding:1rem"><h1>Luring · Offline</h1><p>Halaman ini belum tersimpan di ponsel. Buka lagi saat ada sinyal.' +
    '</p><p lang="en">This page is not saved on the phone yet. Open it again when there is signal.</p>' +
    '<p><a href="/field/sekitar">Sekitar</a></p></body></html>',
    {status: 503, headers: {"Content-Type": "text/html; charset=utf-8"}});
}

function fromCache(req, url, user) {
  if (!user) return Promise.resolve(undefined);
  return caches.open(PREFIX + user).then(function (c) {
    return c.match(keyOf(url)).then(function (hit) {
      return hit || (req.mode === "navigate" ? c.match(url.href, {ignoreSearch: true}) : undefined);
    });
  }).then(function (hit) {
    if (!hit) return undefined;
    var headers = new Headers(hit.headers);
    headers.set("X-Peta-Offline", "1");
    return hit.blob().then(function (body) {
      return new Response(body, {status: hit.status, statusText: hit.statusText, headers: headers});
    });
  });
}

function networkFirst(req, url) {
  return readUser().then(function (user) {
    return fetch(req).then(function (res) {
      if (cacheable(res)) {
        var copy = res.clone();
        ownerOf(res).then(function (owner) { if (owner) store(owner, keyOf(url), copy); });
      }
      return res;
    }, function (err) {
      return fromCache(req, url, user).then(function (hit) {
        if (hit) return hit;
        if (req.mode === "navigate") return offlinePage();
        throw err;
      });
    });
  });
}

/* The page asks to keep what it was built from (its first load happened before the worker controlled it) and
   the tickets it links to, so they can be read offline later. */
function keep(urls) {
  return readUser().then(function (user) {
    return Promise.all(urls.map(function (u) {
      var url = new URL(u, self.location.origin);
      if (url.origin !== self.location.origin) return null;
      if (isStatic(url)) return caches.open(STATIC).then(function (c) {
        return c.match(url.href).then(function (hit) { return hit || c.add(url.href); });
      }).catch(function () {});
      if (!user) return null;
      return caches.open(PREFIX + user).then(function (c) {
        return c.match(keyOf(url)).then(function (hit) {  /* kept already: refreshed when it is next opened */
          if (hit) return null;
          return fetch(url.href, {credentials: "same-origin"}).then(function (res) {
            if (cacheable(res)) return store(user, keyOf(url), res);
          });
        });
      }).catch(function () {});
    }));
  });
}

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (e) {
  e.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n.indexOf("peta-static-") === 0 && n !== STATIC; })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("message", function (e) {
  var m = e.data || {}, done;
  if (m.type === "user") done = setUser(m.user).then(function () { return keep(m.keep || []); });
  else if (m.type === "logout") {
    done = setUser("", true).then(function () { return serial(function () { return dropUserCaches(null); }); });
  }
  if (done) e.waitUntil(done.then(function () {
    if (e.ports && e.ports[0]) e.ports[0].postMessage({done: m.type});
  }));
});

self.addEventListener("fetch", function (e) {
  var req = e.request, url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== self.location.origin || url.pathname === "/field/sw.js") return;
  e.respondWith(isStatic(url) ? staticFirst(req) : networkFirst(req, url));
});
