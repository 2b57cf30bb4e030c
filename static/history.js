/* The history's local part: photos still queued on this device, and photos the server refused. */
(async () => {
  const list = document.getElementById("local-scans");
  if (!list || !self.MarkscanQueue) return;
  const [queued, failed] = await Promise.all([MarkscanQueue.all(), MarkscanQueue.failed()]);
  const item = (entry, status, extra) => {
    const li = document.createElement("li");
    li.className = "local";
    const img = document.createElement("img");
    img.src = URL.createObjectURL(entry.blob);
    img.alt = "";
    const text = document.createElement("span");
    text.className = "scan-status";
    text.textContent = status + (extra ? ": " + extra : "");
    const when = document.createElement("small");
    when.textContent = entry.created.slice(0, 16).replace("T", " ");
    li.append(img, text, when);
    return li;
  };
  const words = list.dataset;
  for (const entry of queued) list.append(item(entry, words.queued));
  for (const entry of failed) {
    const li = item(entry, words.refused, entry.error);
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = words.remove;
    button.addEventListener("click", async () => { await MarkscanQueue.dismiss(entry.key); li.remove(); });
    li.append(button);
    list.append(li);
  }
  list.hidden = list.children.length === 0;
})();
