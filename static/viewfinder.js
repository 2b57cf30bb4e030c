/* The viewfinder's guidance, measured on the device from the video: is the marking sharp,
   is there glare, is the hand steady, is the part too near or too far for the guide frame.
   Four times a second a small grey copy of the guide area is measured; when it has been
   sharp, steady and free of glare for a moment, onReady() is called (auto-capture). */
const MarkscanViewfinder = (() => {
  const W = 160, H = 64;              // the guide area, measured at this size
  const GLARE_LEVEL = 250, GLARE_SHARE = 0.02;
  const STEADY_DIFF = 6;              // mean grey-level change between checks
  const SHARP_SHARE = 0.6;            // of the sharpest view of the last few seconds
  const SHARP_FLOOR = 3;              // mean |Laplacian| below which nothing is in focus
  const READY_CHECKS = 3;             // checks in a row before auto-capture

  function measure(grey, previous) {
    let edges = 0, glare = 0, diff = 0, left = W, right = -1;
    for (let y = 1; y < H - 1; y++) {
      for (let x = 1; x < W - 1; x++) {
        const i = y * W + x;
        const lap = Math.abs(4 * grey[i] - grey[i - 1] - grey[i + 1] - grey[i - W] - grey[i + W]);
        edges += lap;
        if (lap > 40) { if (x < left) left = x; if (x > right) right = x; }
      }
    }
    for (let i = 0; i < grey.length; i++) {
      if (grey[i] >= GLARE_LEVEL) glare++;
      if (previous) diff += Math.abs(grey[i] - previous[i]);
    }
    return {
      sharpness: edges / ((W - 2) * (H - 2)),
      glare: glare / grey.length,
      change: previous ? diff / grey.length : Infinity,
      span: right >= left ? (right - left) / W : 0,   // how much of the guide's width the marking fills
    };
  }

  function watch(video, guide, hints, onReady) {
    const canvas = document.createElement("canvas");
    canvas.width = W; canvas.height = H;
    const context = canvas.getContext("2d", { willReadFrequently: true });
    let previous = null, best = [], ready = 0, paused = false;
    const timer = setInterval(() => {
      if (paused || !video.videoWidth || document.hidden) return;
      const frame = video.getBoundingClientRect(), box = guide.getBoundingClientRect();
      const scale = video.videoWidth / frame.width;
      context.drawImage(video, (box.left - frame.left) * scale, (box.top - frame.top) * scale,
                        box.width * scale, box.height * scale, 0, 0, W, H);
      const rgba = context.getImageData(0, 0, W, H).data;
      const grey = new Uint8ClampedArray(W * H);
      for (let i = 0; i < grey.length; i++) grey[i] = (rgba[4 * i] * 77 + rgba[4 * i + 1] * 150 + rgba[4 * i + 2] * 29) >> 8;
      const m = measure(grey, previous);
      previous = grey;
      best = [...best.slice(-11), m.sharpness];
      const sharp = m.sharpness >= SHARP_FLOOR && m.sharpness >= SHARP_SHARE * Math.max(...best);
      let hint = "ok";
      if (m.glare > GLARE_SHARE) hint = "glare";
      else if (m.change > STEADY_DIFF) hint = "steady";
      else if (!sharp) hint = "focus";
      else if (m.span > 0 && m.span < 0.35) hint = "closer";
      else if (m.span > 0.97) hint = "farther";
      hints.dataset.state = hint;
      hints.textContent = hints.dataset[hint] || "";
      ready = hint === "ok" ? ready + 1 : 0;
      if (ready >= READY_CHECKS) { ready = 0; onReady(); }
    }, 250);
    return {
      pause() { paused = true; ready = 0; },
      resume() { paused = false; previous = null; },
      stop() { clearInterval(timer); },
    };
  }

  return { watch, measure };
})();
self.MarkscanViewfinder = MarkscanViewfinder;
