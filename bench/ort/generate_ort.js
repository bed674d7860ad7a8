#!/usr/bin/env node
// ONNX Runtime's generation loop (onnxruntime-node, CPU), as its users write it for a decoder in
// the optimum / ONNX Runtime GenAI naming: prefill the left-padded prompts with a zero-length
// past, then one token per row per step, greedy (argmax of the last logits), each step's
// present.{i}.key/value fed back as the next past_key_values.{i}.key/value.
//
// Prints one JSON object: the generated tokens per row, prefill_ms, the decode step times and
// their p50, decode tokens/s, ORT's version and provider. A step's time covers what a user's
// loop does per token: building the feeds, session.run, the argmax. Errors: one line on stderr,
// exit 2 (arguments) or 3 (model).
//
// --dump-logits FILE (for parity, never when timing matters): the timed generation also writes
// each step's logits output, raw float32 in step order (the prefill's [batch, prompt, vocab],
// then [batch, 1, vocab] per decode step), outside the step timings; the JSON lists each
// step's dims under logits_dims.
'use strict';

const fs = require('fs');
const path = require('path');
const { peakRssMb } = require('./peak_rss');

function usage() {
  return 'usage: generate_ort.js --model FILE --prompt-ids 1,2,3[;4,5,...] --new-tokens N ' +
         '[--threads N] [--spinning 0|1] [--pad-id ID] [--warmup N] [--dump-logits FILE]';
}

function parseIds(text) {
  const rows = text.split(';').map((row) => row.split(',').filter((s) => s !== '').map((s) => {
    if (!/^\d+$/.test(s)) throw new Error(`--prompt-ids: '${s}' is not a token id`);
    return Number(s);
  }));
  if (rows.length === 0 || rows.some((r) => r.length === 0)) {
    throw new Error('--prompt-ids: every row needs at least one token');
  }
  return rows;
}

function parseArgs(argv) {
  // Intra-op spinning is ORT's default; --spinning 0 turns it off.
  const a = { threads: 1, spinning: '1', padId: 0, warmup: 0 };
  for (let i = 0; i < argv.length; ++i) {
    const k = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${k} needs a value`);
      return argv[++i];
    };
    if (k === '--model') a.model = next();
    else if (k === '--prompt-ids') a.prompts = parseIds(next());
    else if (k === '--new-tokens') a.newTokens = Number(next());
    else if (k === '--threads') a.threads = Number(next());
    else if (k === '--spinning') a.spinning = next();
    else if (k === '--pad-id') a.padId = Number(next());
    else if (k === '--warmup') a.warmup = Number(next());
    else if (k === '--dump-logits') a.dumpLogits = next();
    else throw new Error(`unknown flag ${k}`);
  }
  if (!a.model) throw new Error('--model is required');
  if (!a.prompts) throw new Error('--prompt-ids is required');
  if (!(Number.isInteger(a.newTokens) && a.newTokens >= 1)) throw new Error('--new-tokens must be >= 1');
  if (!(Number.isInteger(a.threads) && a.threads >= 1)) throw new Error('--threads must be >= 1');
  if (a.spinning !== '0' && a.spinning !== '1') throw new Error('--spinning must be 0 or 1');
  if (!(Number.isInteger(a.warmup) && a.warmup >= 0)) throw new Error('--warmup must be >= 0');
  return a;
}

function fail(category, code, msg) {
  process.stderr.write(`error[${category}]: ${String(msg).split('\n')[0]}\n`);
  process.exit(code);
}

// The decoder's layers and cache shape from the session's input metadata.
function decoderShape(session) {
  const meta = {};
  (session.inputMetadata || []).forEach((m) => { meta[m.name] = m; });
  for (const need of ['input_ids', 'past_key_values.0.key']) {
    if (!session.inputNames.includes(need)) throw new Error(`no input ${need}`);
  }
  if (!session.outputNames.includes('logits')) throw new Error('no output logits');
  let layers = 0;
  while (session.inputNames.includes(`past_key_values.${layers}.key`)) {
    for (const n of [`past_key_values.${layers}.value`]) {
      if (!session.inputNames.includes(n)) throw new Error(`no input ${n}`);
    }
    for (const n of [`present.${layers}.key`, `present.${layers}.value`]) {
      if (!session.outputNames.includes(n)) throw new Error(`no output ${n}`);
    }
    ++layers;
  }
  const shape = meta['past_key_values.0.key'] ? meta['past_key_values.0.key'].shape : [];
  const kvHeads = Number(shape[1]);
  const headDim = Number(shape[3]);
  if (!(kvHeads > 0 && headDim > 0)) {
    throw new Error('past_key_values.0.key has no static kv_heads and head_dim dims');
  }
  return {
    layers, kvHeads, headDim,
    hasMask: session.inputNames.includes('attention_mask'),
    hasPositions: session.inputNames.includes('position_ids'),
  };
}

function argmaxLast(logits, batch) {
  const [, seq, vocab] = logits.dims.map(Number);
  const data = logits.data;
  const out = new Array(batch);
  for (let b = 0; b < batch; ++b) {
    const base = (b * seq + seq - 1) * vocab;
    let best = 0;
    let bestV = data[base];
    for (let v = 1; v < vocab; ++v) {
      if (data[base + v] > bestV) { bestV = data[base + v]; best = v; }
    }
    out[b] = best;
  }
  return out;
}

// Appends a logits tensor's floats to the open file `fd`; returns its dims.
function dumpLogits(fd, logits) {
  const d = logits.data;
  fs.writeSync(fd, Buffer.from(d.buffer, d.byteOffset, d.byteLength));
  return logits.dims.map(Number);
}

// `dumpFd`: a file descriptor the logits of every step go to (null: none).
async function generate(ort, session, shape, args, dumpFd) {
  const now = () => Number(process.hrtime.bigint()) / 1e6;
  const batch = args.prompts.length;
  const width = Math.max(...args.prompts.map((p) => p.length));
  // Left padding; positions count each row's real tokens (padding: 1, it is masked).
  const ids = new BigInt64Array(batch * width);
  const mask = new BigInt64Array(batch * width);
  const pos = new BigInt64Array(batch * width);
  const next = new Array(batch).fill(0);
  args.prompts.forEach((p, b) => {
    const pad = width - p.length;
    for (let j = 0; j < width; ++j) {
      const on = j >= pad;
      ids[b * width + j] = BigInt(on ? p[j - pad] : args.padId);
      mask[b * width + j] = on ? 1n : 0n;
      pos[b * width + j] = on ? BigInt(j - pad) : 1n;
    }
    next[b] = p.length;
  });
  const t0 = now();
  const feeds = { input_ids: new ort.Tensor('int64', ids, [batch, width]) };
  if (shape.hasMask) feeds.attention_mask = new ort.Tensor('int64', mask, [batch, width]);
  if (shape.hasPositions) feeds.position_ids = new ort.Tensor('int64', pos, [batch, width]);
  const empty = new Float32Array(0);
  for (let i = 0; i < shape.layers; ++i) {
    for (const kv of ['key', 'value']) {
      feeds[`past_key_values.${i}.${kv}`] =
          new ort.Tensor('float32', empty, [batch, shape.kvHeads, 0, shape.headDim]);
    }
  }
  let out = await session.run(feeds);
  let tokens = argmaxLast(out.logits, batch);
  const prefillMs = now() - t0;
  const logitsDims = [];
  if (dumpFd !== null) logitsDims.push(dumpLogits(dumpFd, out.logits));
  const rows = tokens.map((t) => [t]);
  const decodeMs = [];
  let total = width;
  for (let step = 1; step < args.newTokens; ++step) {
    const s0 = now();
    total += 1;
    const f = { input_ids: new ort.Tensor('int64', BigInt64Array.from(tokens, BigInt), [batch, 1]) };
    if (shape.hasMask) {
      const m = new BigInt64Array(batch * total);
      for (let b = 0; b < batch; ++b) {
        for (let j = 0; j < total; ++j) m[b * total + j] = j < width ? mask[b * width + j] : 1n;
      }
      f.attention_mask = new ort.Tensor('int64', m, [batch, total]);
    }
    if (shape.hasPositions) {
      f.position_ids = new ort.Tensor('int64', BigInt64Array.from(next, BigInt), [batch, 1]);
    }
    for (let i = 0; i < shape.layers; ++i) {
      f[`past_key_values.${i}.key`] = out[`present.${i}.key`];
      f[`past_key_values.${i}.value`] = out[`present.${i}.value`];
    }
    out = await session.run(f);
    tokens = argmaxLast(out.logits, batch);
    tokens.forEach((t, b) => { rows[b].push(t); next[b] += 1; });
    decodeMs.push(now() - s0);
    if (dumpFd !== null) logitsDims.push(dumpLogits(dumpFd, out.logits));
  }
  return { rows, prefillMs, decodeMs, logitsDims };
}

async function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    fail('invalid_argument', 2, `${e.message}; ${usage()}`);
  }
  const ort = require('onnxruntime-node');
  const version = ort.env.versions.node || ort.env.versions.common;
  const options = {
    executionProviders: ['cpu'],
    intraOpNumThreads: args.threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    extra: { 'session.intra_op.allow_spinning': args.spinning },
  };
  let session;
  let shape;
  try {
    session = await ort.InferenceSession.create(args.model, options);
    shape = decoderShape(session);
  } catch (e) {
    fail('invalid_model', 3, `onnxruntime cannot run '${path.basename(args.model)}' as a decoder: ${e.message}`);
  }
  let r;
  try {
    for (let w = 0; w < args.warmup; ++w) await generate(ort, session, shape, args, null);
    const fd = args.dumpLogits ? fs.openSync(args.dumpLogits, 'w') : null;
    r = await generate(ort, session, shape, args, fd);
    if (fd !== null) fs.closeSync(fd);
  } catch (e) {
    fail('invalid_model', 3, `onnxruntime run failed: ${e.message}`);
  }
  const sorted = [...r.decodeMs].sort((x, y) => x - y);
  const decodeTotal = r.decodeMs.reduce((x, y) => x + y, 0);
  const batch = args.prompts.length;
  process.stdout.write(JSON.stringify({
    ort_version: version,
    provider: 'cpu',
    threads: args.threads,
    allow_spinning: args.spinning,
    batch,
    prompt_len: Math.max(...args.prompts.map((p) => p.length)),
    new_tokens: args.newTokens,
    warmup: args.warmup,
    cache: 'present fed back as past',
    tokens: r.rows,
    prefill_ms: r.prefillMs,
    decode_ms: r.decodeMs,
    decode_ms_p50: sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)] : null,
    decode_tokens_per_s: decodeTotal > 0 ? (batch * r.decodeMs.length * 1000) / decodeTotal : null,
    peak_rss_mb: peakRssMb(),
    ...(args.dumpLogits ? { logits_dims: r.logitsDims } : {}),
  }) + '\n');
}

main().catch((e) => fail('internal', 70, e.message));
