/* The capture page: camera, shutter, the offline queue and the result card.
   JavaScript only where the platform demands it; results are server-rendered
   fragments that HTMX swaps in. */
(() => {
  const page = document.querySelector("[data-capture]");
  if (!page) return;
  const csrf = page.dataset.csrf;
  const user = document.body.dataset.user;
  const video = page.querySelector("video");
  const shutter = page.querySelector("[data-shutter]");
  const torch = page.querySelector("[data-torch]");
  const fileInputs = page.querySelectorAll("input[type=file]");
  const queuedList = document.getElementById("queued");
  const result = document.getElementById("result");
  const busy = document.getElementById("busy");
  let stream = null;

  const hint = page.querySelector("[data-hint]");
  const auto = page.querySelector("[data-auto]");
  const cameraNote = page.querySelector("[data-camera-note]");
  let guidance = null;

  async function startCamera() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: { ideal: "environment" }, width: { ideal: 1920 }, height: { ideal: 1080 } },
        audio: false,
      });
    } catch (error) {
      // Say why there is no viewfinder; the camera and gallery buttons remain.
      cameraNote.textContent = error && error.name === "NotAllowedError" ? cameraNote.dataset.denied : cameraNote.dataset.missing;
      cameraNote.hidden = false;
      return;
    }
    video.srcObject = stream;
    page.classList.add("has-camera");
    const track = stream.getVideoTracks()[0];
    const caps = track.getCapabilities ? track.getCapabilities() : {};
    if (caps.torch) {
      torch.hidden = false;
      let on = false;
      torch.addEventListener("click", async () => {
        on = !on;
        await track.applyConstraints({ advanced: [{ torch: on }] });
        torch.setAttribute("aria-pressed", String(on));
      });
    }
    if (self.MarkscanViewfinder) {
      guidance = MarkscanViewfinder.watch(video, page.querySelector(".guide"), hint, () => {
        if (auto.checked && !shutter.disabled && !document.body.classList.contains("has-result")) shutter.click();
      });
    }
  }

  /* The photo: a full-resolution still where the browser can take one, else the video frame. */
  async function still() {
    const track = stream.getVideoTracks()[0];
    if ("ImageCapture" in self) {
      try {
        return await new ImageCapture(track).takePhoto();
      } catch (error) {
        // some cameras refuse stills while streaming: the frame will do
      }
    }
    return snapshot();
  }

  function snapshot() {
    const canvas = document.createElement("canvas");
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0);
    return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.92));
  }

  /* A burst: a second frame a moment later. It is sent only if the first reading is not sure,
     as another photo of the same part, and the two are read as one. */
  let burst = null;
  async function sendBurstFrame(scan) {
    const frame = burst;
    burst = null;
    if (!frame || !scan || scan.error || scan.sure || scan.status === "confirmed") return;
    const form = new FormData();
    form.append("photo", frame, "frame.jpg");
    const response = await fetch(`/api/scans/${scan.id}/photos`, {
      method: "POST", body: form, credentials: "same-origin", headers: { "X-CSRF-Token": csrf },
    }).catch(() => null);
    if (response && response.ok) htmx.ajax("GET", `/scans/${scan.id}/card`, { target: "#result", swap: "innerHTML" });
  }

  /* The queue, honestly: no network, a busy server (and when we try again), or a stale sign-in. */
  async function showQueued(waiting) {
    const items = (await MarkscanQueue.all()).filter((item) => item.user === user);
    queuedList.hidden = items.length === 0;
    const kind = { offline: "offline", busy: "busy", "signed-out": "signedOut" }[waiting && waiting.wait] || "waiting";
    const text = queuedList.dataset[kind] || "";
    queuedList.querySelector("[data-why]").textContent = text
      .replace("{n}", String(items.length))
      .replace("{s}", String(waiting && waiting.retryAfter || ""));
  }

  const OFFLINE_RETRY_MS = 3000; // cheap: with no network a request fails at once; only while the page is seen
  let retry = null, busyTries = 0;
  /* Send what this person has queued; when the server is busy, try again after its Retry-After, backing off. */
  async function sendQueued() {
    clearTimeout(retry);
    const waiting = await MarkscanQueue.flush(showScan, csrf, user);
    if (waiting && waiting.wait === "busy") {
      busyTries += 1;
      waiting.retryAfter = Math.min(600, waiting.retryAfter * 2 ** (busyTries - 1));
      retry = setTimeout(sendQueued, waiting.retryAfter * 1000);
    } else {
      busyTries = 0;
      // No answer: the "online" event does not come when only the server was out of reach; try again soon.
      if (waiting && waiting.wait === "offline" && !document.hidden) retry = setTimeout(sendQueued, OFFLINE_RETRY_MS);
    }
    await showQueued(waiting);
    return waiting;
  }

  function showScan(scan) {
    if (scan.error) {
      result.innerHTML = "";
      const p = document.createElement("p");
      p.className = "error";
      p.setAttribute("role", "alert");
      p.textContent = scan.error;
      result.appendChild(p);
      return;
    }
    htmx.ajax("GET", `/scans/${scan.id}/card`, { target: "#result", swap: "innerHTML" });
    sendBurstFrame(scan);
  }

  async function send(blob) {
    await MarkscanQueue.add(blob, csrf, user);
    busy.hidden = false;
    shutter.disabled = true;
    try {
      await sendQueued();
    } finally {
      busy.hidden = true;
      shutter.disabled = false;
    }
    if ("serviceWorker" in navigator && "SyncManager" in window) {
      const registration = await navigator.serviceWorker.ready;
      if ((await MarkscanQueue.all()).length) registration.sync.register("markscan-upload").catch(() => {});
    }
  }

  shutter.addEventListener("click", async () => {
    if (!stream) return;
    shutter.disabled = true;
    if (guidance) guidance.pause();
    try {
      const photo = await still();
      await new Promise((resolve) => setTimeout(resolve, 150));
      burst = await snapshot();
      await send(photo);
    } finally {
      shutter.disabled = false;
      if (guidance) setTimeout(() => guidance.resume(), 2000);
    }
  });
  for (const input of fileInputs) {
    input.addEventListener("change", async () => {
      for (const file of input.files) await send(file);
      input.value = "";
    });
  }

  // Every new or confirmed scan refreshes what depends on it (the dock's running list).
  const changed = () => document.body.dispatchEvent(new CustomEvent("scan-changed"));
  // A result takes the viewfinder's place, so Confirm is in thumb reach without a scroll;
  // a short buzz says "sure", three say "check".
  document.body.addEventListener("htmx:afterSwap", () => {
    const card = result.querySelector(".card");
    if (!card || card.dataset.shown) return; // no card, or this one was handled already
    card.dataset.shown = "1";
    if (card.dataset.confirmed === "1") {
      // Confirmed: the camera is ready for the next part at once; the card stays below it.
      document.body.classList.remove("has-result");
      window.scrollTo(0, 0);
      if (navigator.vibrate) navigator.vibrate(40);
      changed();
      return;
    }
    const fresh = !document.body.classList.contains("has-result");
    document.body.classList.add("has-result");
    if (fresh) {
      window.scrollTo(0, 0);
      const sure = card.dataset.kind === "sure";
      if (navigator.vibrate) navigator.vibrate(sure ? 80 : [60, 60, 60, 60, 60]);
      beep(sure ? [880] : [440, 440]);
    }
    changed();
  });
  // "Next part": back to the camera (or to a scan sent in the background, waiting to be confirmed).
  result.addEventListener("click", (event) => {
    if (!event.target.closest("[data-next]")) return;
    result.innerHTML = "";
    document.body.classList.remove("has-result");
    window.scrollTo(0, 0);
    showSentInBackground();
  });

  /* A short tone with the result, for a loud workshop: one high for "sure", two low for "check".
     The audio starts on the person's first tap (browsers allow sound only after one). */
  let audio = null;
  const unlockAudio = () => {
    if (!audio && self.AudioContext) audio = new AudioContext();
  };
  page.addEventListener("click", unlockAudio);
  page.addEventListener("change", unlockAudio);
  function beep(tones) {
    if (!audio) return;
    tones.forEach((frequency, i) => {
      const oscillator = audio.createOscillator(), gain = audio.createGain();
      oscillator.frequency.value = frequency;
      gain.gain.value = 0.2;
      oscillator.connect(gain).connect(audio.destination);
      const start = audio.currentTime + i * 0.18;
      oscillator.start(start);
      oscillator.stop(start + 0.12);
    });
  }

  /* Scans of photos the service worker sent while no page was open come back for confirmation. */
  async function showSentInBackground() {
    const mine = (await MarkscanQueue.unseen()).filter((item) => item.user === user);
    if (!mine.length || result.querySelector(".card")) return;
    await MarkscanQueue.seen(mine[0].key);
    showScan({ id: mine[0].scan });
  }

  window.addEventListener("online", () => sendQueued().then(showSentInBackground));
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) sendQueued().then(showSentInBackground); // back to the app: what waits goes now
  });
  // The service worker sent a queued photo (Background Sync): the queue and the card follow at once.
  if (navigator.serviceWorker) {
    navigator.serviceWorker.addEventListener("message", (event) => {
      if (event.data && event.data.markscan === "sent") showQueued().then(showSentInBackground);
    });
  }
  showQueued();
  sendQueued().then(showSentInBackground);
  startCamera();
})();

if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js");
