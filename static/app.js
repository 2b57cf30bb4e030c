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

  async function startCamera() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: { ideal: "environment" }, width: { ideal: 1920 }, height: { ideal: 1080 } },
        audio: false,
      });
    } catch (error) {
      return; // no camera or no permission: the file inputs remain
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
  }

  function snapshot() {
    const canvas = document.createElement("canvas");
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0);
    return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.92));
  }

  async function showQueued() {
    const items = await MarkscanQueue.all();
    queuedList.hidden = items.length === 0;
    queuedList.querySelector("[data-count]").textContent = String(items.length);
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
  }

  async function send(blob) {
    await MarkscanQueue.add(blob, csrf, user);
    busy.hidden = false;
    try {
      await MarkscanQueue.flush(showScan, csrf, user);
    } finally {
      busy.hidden = true;
      await showQueued();
    }
    if ("serviceWorker" in navigator && "SyncManager" in window) {
      const registration = await navigator.serviceWorker.ready;
      if ((await MarkscanQueue.all()).length) registration.sync.register("markscan-upload").catch(() => {});
    }
  }

  shutter.addEventListener("click", async () => {
    if (!stream) return;
    shutter.disabled = true;
    try { await send(await snapshot()); } finally { shutter.disabled = false; }
  });
  for (const input of fileInputs) {
    input.addEventListener("change", async () => {
      for (const file of input.files) await send(file);
      input.value = "";
    });
  }

  // Every new or confirmed scan refreshes what depends on it (the dock's running list).
  const changed = () => document.body.dispatchEvent(new CustomEvent("scan-changed"));
  document.body.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target && event.detail.target.closest("#result")) changed();
  });

  window.addEventListener("online", () => MarkscanQueue.flush(showScan, csrf, user).then(showQueued));
  showQueued();
  MarkscanQueue.flush(showScan, csrf, user).then(showQueued);
  startCamera();
})();

if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js");
