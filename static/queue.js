/* The offline queue: photos wait in IndexedDB until the server has them.
   Shared by the page and the service worker (importScripts). Each photo keeps
   its idempotency key, so a retry after a lost answer never makes a second scan. */
const MarkscanQueue = (() => {
  const DB = "markscan", STORE = "queue", FAILED = "failed", SENT = "sent";

  function open() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(DB, 3);
      request.onupgradeneeded = () => {
        const db = request.result;
        if (!db.objectStoreNames.contains(STORE)) db.createObjectStore(STORE, { keyPath: "key" });
        if (!db.objectStoreNames.contains(FAILED)) db.createObjectStore(FAILED, { keyPath: "key" });
        if (!db.objectStoreNames.contains(SENT)) db.createObjectStore(SENT, { keyPath: "key" });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  async function run(mode, work, store = STORE) {
    const db = await open();
    return new Promise((resolve, reject) => {
      const tx = db.transaction(store, mode);
      const result = work(tx.objectStore(store));
      tx.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
      tx.onerror = () => reject(tx.error);
    });
  }

  function newKey() {
    return (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + "-" + Math.random().toString(16).slice(2));
  }

  /* Each photo remembers who took it: it is only ever sent in that person's session. */
  const add = (blob, csrf, user) => {
    const item = { key: newKey(), blob, csrf, user, created: new Date().toISOString() };
    return run("readwrite", (store) => store.put(item)).then(() => item);
  };
  const all = () => run("readonly", (store) => store.getAll());
  const remove = (key) => run("readwrite", (store) => store.delete(key));
  const failed = () => run("readonly", (store) => store.getAll(), FAILED);
  const dismiss = (key) => run("readwrite", (store) => store.delete(key), FAILED);
  /* Photos the service worker sent while no page was open: their scans wait to be confirmed. */
  const unseen = () => run("readonly", (store) => store.getAll(), SENT);
  const seen = (key) => run("readwrite", (store) => store.delete(key), SENT);
  /* A photo the server refused moves aside with the reason: shown, never silently dropped. */
  async function setAside(item, error) {
    await run("readwrite", (store) => store.put({ ...item, error, failed: new Date().toISOString() }), FAILED);
    await remove(item.key);
  }

  /* Upload one queued photo. Resolves to the scan JSON; to {error} when the
     server refused the photo as such (400, 413, 415, 422: it leaves the queue,
     moved aside with the reason, since retrying would never succeed); or to
     {wait} when it must wait and stays queued: "offline" (no network),
     "busy" (the server asked to come back in retryAfter seconds), "signed-out"
     (the session or its token went stale). */
  async function upload(item, csrf) {
    const form = new FormData();
    form.append("photo", item.blob, "photo.jpg");
    form.append("idempotency_key", item.key);
    let response;
    try {
      response = await fetch("/api/scans", {
        method: "POST", body: form, credentials: "same-origin",
        headers: { "X-CSRF-Token": csrf || item.csrf || "" },
      });
    } catch (error) {
      return { wait: "offline" };
    }
    if ([401, 403].includes(response.status)) return { wait: "signed-out" };
    if (response.status >= 500 || [408, 429].includes(response.status)) {
      const retryAfter = Number(response.headers.get("Retry-After")) || 0;
      return { wait: "busy", retryAfter: Math.max(5, Math.min(retryAfter, 600)) };
    }
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = body.error || `upload refused (${response.status})`;
      await setAside(item, error);
      return { error, key: item.key };
    }
    await remove(item.key);
    return body;
  }

  async function remember(item, scan) {
    await run("readwrite", (store) => store.put({ key: item.key, user: item.user, scan: scan.id }), SENT);
    // Sent by the service worker: the pages open on this device learn it at once and show the card.
    if (self.clients && self.clients.matchAll) {
      for (const client of await self.clients.matchAll({ type: "window" })) client.postMessage({ markscan: "sent" });
    }
  }

  /* One sender at a time on this device: the page and the service worker take
     the same lock, so a photo is never uploaded by both at once. */
  function exclusively(work) {
    const locks = self.navigator && self.navigator.locks;
    return locks ? locks.request("markscan-upload", work) : work();
  }

  let flushing = null;
  /* Upload everything queued, oldest first; one flush at a time. A page passes
     its current token and who is signed in, and sends only that person's photos
     (on a shared tablet another person's photos wait for them); the service
     worker passes neither and sends each photo with the token it was queued with,
     which only its own session accepts. Resolves to null when nothing is left
     to send, or to why the rest waits ({wait, retryAfter}). */
  function flush(onResult, csrf, user) {
    if (flushing) return flushing;
    flushing = exclusively(async () => {
      // Photos queued while this flush runs are picked up by the next pass.
      for (;;) {
        const items = (await all())
          .filter((item) => !user || item.user === user)
          .sort((a, b) => a.created.localeCompare(b.created));
        if (!items.length) return null;
        for (const item of items) {
          const result = await upload(item, csrf);
          if (result.wait) return result;
          if (onResult) onResult(result);
          else if (result.id) await remember(item, result); // sent in the background: shown at the next visit
        }
      }
    }).finally(() => { flushing = null; });
    return flushing;
  }

  return { add, all, remove, upload, flush, failed, dismiss, unseen, seen };
})();
self.MarkscanQueue = MarkscanQueue;
