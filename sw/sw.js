/* markscan service worker: the app shell from cache, queued photos sent on Background Sync. */
importScripts("/static/queue.js");

// The server fills in the shell, every file of static/, and names the cache after their contents
// (web/pwa.py): a changed file is fetched anew, and none is left out of the offline shell.
const CACHE = "markscan-shell-{{version}}";
const PAGES = ["/", "/history", "/dock", "/catalog"]; // kept for offline use, each under its own path
const SHELL = {{shell}};

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || url.pathname.startsWith("/api/")) return;
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
    return;
  }
  if (request.mode === "navigate" && url.pathname === "/login") {
    // Signed out (or not yet in): the pages kept for offline use were someone's; forget them.
    caches.open(CACHE).then((cache) => PAGES.filter((p) => p !== "/").forEach((p) => cache.delete(p)));
  }
  if (request.mode === "navigate") {
    // Network first, so pages stay fresh; the cached shell when offline.
    event.respondWith(
      fetch(request)
        .then((response) => {
          if (response.ok && !response.redirected && PAGES.includes(url.pathname)) {
            const copy = response.clone();
            caches.open(CACHE).then((cache) => cache.put(url.pathname, copy));
          }
          return response;
        })
        // Offline: the page as last seen (the history lists the photos queued here), else the capture page.
        .catch(() => caches.match(url.pathname).then((hit) => hit || caches.match("/"))),
    );
  }
});

// A sync that could not send everything fails, so the browser retries it later.
self.addEventListener("sync", (event) => {
  if (event.tag !== "markscan-upload") return;
  event.waitUntil(MarkscanQueue.flush().then((waiting) => {
    if (waiting) throw new Error(`queued photos wait: ${waiting.wait}`);
  }));
});
