// Renders /openapi.json (OpenAPI 3) as a page: one block per route and method with its
// request body and responses, then the schemas. No Swagger UI, no CDN.
"use strict";

function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function schemaName(s) {
  if (!s) return "";
  if (s.$ref) return s.$ref.split("/").pop();
  return s.type || "object";
}

function contentSchema(c) {
  if (!c || !c.content) return "";
  const [type, v] = Object.entries(c.content)[0];
  return type + " " + schemaName(v.schema);
}

async function main() {
  const doc = await (await fetch("/openapi.json")).json();
  document.getElementById("info").textContent =
      doc.info.title + " " + doc.info.version + " (OpenAPI " + doc.openapi + "): " + doc.info.description;
  const paths = document.getElementById("paths");
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const block = el("div", { class: "op" });
      block.append(el("h3", {}, method.toUpperCase() + " " + path));
      block.append(el("p", {}, op.summary || ""));
      if (op.requestBody) block.append(el("p", { class: "muted" }, "body: " + contentSchema(op.requestBody)));
      const table = el("table");
      const head = el("tr");
      head.append(el("th", {}, "status"), el("th", {}, "meaning"), el("th", {}, "body"));
      table.append(head);
      for (const [status, r] of Object.entries(op.responses)) {
        const tr = el("tr");
        tr.append(el("td", {}, status), el("td", {}, r.description), el("td", {}, contentSchema(r)));
        table.append(tr);
      }
      block.append(table);
      paths.append(block);
    }
  }
  const schemas = document.getElementById("schemas");
  for (const [name, s] of Object.entries(doc.components.schemas)) {
    schemas.append(el("h3", {}, name), el("pre", {}, JSON.stringify(s, null, 2)));
  }
}

main().catch((e) => { document.getElementById("info").textContent = "cannot render: " + e.message; });
