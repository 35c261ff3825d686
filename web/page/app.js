// Placeholder page script (replaced by the real viewer): lists records
// from /events, carrying the page's ?token= along.
"use strict";
const token = new URLSearchParams(location.search).get("token");
const events = new EventSource(
  "/events" + (token ? "?token=" + encodeURIComponent(token) : ""),
);
const list = document.getElementById("records");
events.addEventListener("records", (e) => {
  for (const r of JSON.parse(e.data)) {
    const line = document.createElement("div");
    line.textContent = `${r.$from} ${r.levelname} ${r.name}: ${r.message}`;
    list.append(line);
  }
});
