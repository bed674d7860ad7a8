// The page of `bog serve`: classify a headline, show the probabilities as bars, the model's
// metadata, the last latency and the evidence tables. Plain DOM, no libraries, no CDN.
"use strict";

const $ = (id) => document.getElementById(id);

function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

async function getJson(path) {
  const r = await fetch(path);
  const body = await r.json();
  if (!r.ok) throw new Error(body.error ? body.error.message : r.statusText);
  return body;
}

function showBars(probabilities, label) {
  const bars = $("bars");
  bars.replaceChildren();
  for (const [name, p] of Object.entries(probabilities)) {
    bars.append(el("span", {}, name));
    const bar = el("div", { class: name === label ? "bar top" : "bar" });
    const fill = el("span");
    fill.style.width = (100 * p).toFixed(1) + "%";
    bar.append(fill);
    bars.append(bar, el("span", {}, (100 * p).toFixed(1) + "%"));
  }
}

async function classify(event) {
  event.preventDefault();
  const text = $("text").value;
  $("error").textContent = "";
  $("submit").disabled = true;
  const t0 = performance.now();
  try {
    const r = await fetch("/predict", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ text }),
    });
    const body = await r.json();
    if (!r.ok) throw new Error(body.error ? body.error.message : r.statusText);
    $("label").textContent = body.label;
    $("latency").textContent = body.latency_ms.toFixed(2);
    $("tokens").textContent = body.tokens + (body.truncated ? " (truncated)" : "");
    $("last-latency").textContent =
        body.latency_ms.toFixed(2) + " server, " + (performance.now() - t0).toFixed(1) + " round trip";
    showBars(body.probabilities, body.label);
    $("result").hidden = false;
  } catch (e) {
    $("error").textContent = e.message;
  } finally {
    $("submit").disabled = false;
  }
}

function showMetadata(m) {
  const rows = [
    ["architecture", m.model.architecture],
    ["labels", m.model.labels.join(", ")],
    ["parameters", m.model.num_params.toLocaleString()],
    ["precision", m.model.precision],
    ["provider requested", m.provider.requested],
    ["provider used", m.provider.used.join(", ")],
    ["bundle sha256", m.model.bundle_sha256.slice(0, 16) + "…"],
    ["batching", m.serving.batching ? "max " + m.serving.max_batch + ", wait " +
                                      m.serving.max_wait_ms + " ms" : "off"],
    ["max tokens", m.serving.max_tokens + " (" + m.serving.overlong + ")"],
    ["bog", m.versions.bog + " (" + m.versions.exporter + ", opset " + m.versions.onnx_opset + ")"],
  ];
  const dl = $("meta");
  dl.replaceChildren();
  for (const [k, v] of rows) dl.append(el("dt", {}, k), el("dd", {}, String(v)));
}

// Renders the first Markdown table of a document as an HTML table (text only, no HTML).
function markdownTable(md) {
  const lines = md.split("\n").filter((l) => l.trim().startsWith("|"));
  if (lines.length < 2) return null;
  const cells = (l) => l.trim().replace(/^\||\|$/g, "").split("|").map((c) => c.trim());
  const table = el("table");
  const head = el("tr");
  for (const c of cells(lines[0])) head.append(el("th", {}, c));
  table.append(head);
  for (const l of lines.slice(2)) {
    const tr = el("tr");
    for (const c of cells(l)) tr.append(el("td", {}, c.replace(/`/g, "")));
    table.append(tr);
  }
  return table;
}

async function showEvidence(name, target) {
  try {
    const r = await fetch("/evidence/" + name);
    if (!r.ok) return;
    const table = markdownTable(await r.text());
    if (table) $(target).replaceChildren(table);
  } catch (e) { /* the panel keeps "not available" */ }
}

async function waitReady() {
  for (;;) {
    try {
      const r = await fetch("/ready");
      if (r.ok) break;
    } catch (e) { /* the server is starting */ }
    await new Promise((ok) => setTimeout(ok, 500));
  }
  $("status").textContent = "ready";
  $("status").className = "pill ok";
  try {
    showMetadata(await getJson("/metadata"));
  } catch (e) {
    $("status").textContent = e.message;
    $("status").className = "pill bad";
  }
}

$("predict-form").addEventListener("submit", classify);
// "/?text=..." fills the box and submits it through the form once the model is ready: a link
// can share a prediction, and the headless-browser test drives the page this way.
const preset = new URLSearchParams(location.search).get("text");
waitReady().then(() => {
  if (preset) {
    $("text").value = preset;
    $("predict-form").requestSubmit();
  }
});
showEvidence("accuracy.md", "accuracy");
showEvidence("benchmark.md", "benchmark");
