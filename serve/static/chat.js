// The chat page of `bog serve`: a conversation streamed from /v1/chat/completions (server-sent
// events read from fetch's body stream), a stop button that aborts the request — the server
// sees the connection close and frees the sequence's slot at its next decode step — and the
// reply's tokens/s. Plain DOM, no libraries, no CDN.
"use strict";

const $ = (id) => document.getElementById(id);

const history = [];  // {role, content} of the finished turns, sent with every request
let controller = null;  // the running request's AbortController
let model = "";

function setState(text) {
  $("state").textContent = text;
}

function addMessage(role, text) {
  const div = document.createElement("div");
  div.className = "msg " + role;
  const who = document.createElement("span");
  who.className = "who";
  who.textContent = role;
  const body = document.createElement("span");
  body.className = "text";
  body.textContent = text;
  div.append(who, body);
  $("log").append(div);
  $("log").scrollTop = $("log").scrollHeight;
  return body;
}

// Splits a server-sent-events byte stream into the JSON payloads of its data lines; calls
// onData for each and returns when the server sends [DONE] or closes.
async function readEvents(response, onData) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      for (const line of event.split("\n")) {
        if (!line.startsWith("data:")) continue;
        const data = line.slice(5).trim();
        if (data === "[DONE]") return;
        onData(JSON.parse(data));
      }
    }
  }
}

function showRate(tokens, t0, tFirst) {
  $("reply-tokens").textContent = String(tokens);
  if (tFirst !== null) $("ttft").textContent = (tFirst - t0).toFixed(0) + " ms";
  const seconds = (performance.now() - (tFirst ?? t0)) / 1000;
  if (tokens > 1 && seconds > 0) $("rate").textContent = ((tokens - 1) / seconds).toFixed(1);
}

async function send(event) {
  event.preventDefault();
  const text = $("prompt").value.trim();
  if (!text || controller) return;
  $("error").textContent = "";
  $("prompt").value = "";
  history.push({ role: "user", content: text });
  addMessage("user", text);
  const reply = addMessage("assistant", "");
  reply.parentElement.classList.add("streaming");
  controller = new AbortController();
  $("send").disabled = true;
  $("stop").disabled = false;
  setState("streaming");
  const t0 = performance.now();
  let tFirst = null;
  let tokens = 0;
  let finish = null;
  try {
    const r = await fetch("/v1/chat/completions", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        model,
        messages: history,
        stream: true,
        temperature: Number($("temperature").value),
        max_tokens: Number($("max-tokens").value),
      }),
      signal: controller.signal,
    });
    if (!r.ok) {
      const body = await r.json().catch(() => ({}));
      throw new Error(body.error ? body.error.message : r.status + " " + r.statusText);
    }
    await readEvents(r, (chunk) => {
      const choice = chunk.choices && chunk.choices[0];
      if (!choice) return;
      if (choice.delta && choice.delta.content) {
        if (tFirst === null) tFirst = performance.now();
        reply.textContent += choice.delta.content;
        tokens += 1;
        reply.parentElement.dataset.tokens = String(tokens);
        showRate(tokens, t0, tFirst);
      }
      if (choice.finish_reason) finish = choice.finish_reason;
    });
    setState(finish ? "done: " + finish : "done");
    $("finish").textContent = finish ?? "–";
  } catch (e) {
    if (e.name === "AbortError") {
      setState("stopped");
      $("finish").textContent = "stopped by you";
    } else {
      setState("error");
      $("error").textContent = e.message;
    }
  } finally {
    reply.parentElement.classList.remove("streaming");
    showRate(tokens, t0, tFirst);
    // The partial reply stays in the conversation, as it was shown.
    history.push({ role: "assistant", content: reply.textContent });
    controller = null;
    $("send").disabled = false;
    $("stop").disabled = true;
  }
}

function stop() {
  if (controller) controller.abort();
}

function clearChat() {
  stop();
  history.length = 0;
  $("log").replaceChildren();
  setState("idle");
}

async function loadModel() {
  try {
    const r = await fetch("/v1/models");
    const body = await r.json();
    if (!r.ok || !body.data || body.data.length === 0) {
      throw new Error(body.error ? body.error.message : "this server has no language model");
    }
    model = body.data[0].id;
    $("model").textContent = model;
    $("status").textContent = "ready";
    $("status").className = "pill ok";
  } catch (e) {
    $("status").textContent = "no model";
    $("status").className = "pill bad";
    $("error").textContent = e.message;
  }
}

$("chat-form").addEventListener("submit", send);
$("prompt").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey) send(e);
});
$("stop").addEventListener("click", stop);
$("clear").addEventListener("click", clearChat);
$("temperature").addEventListener("input", () => {
  $("temperature-value").textContent = $("temperature").value;
});
loadModel();
