#!/usr/bin/env node
// ONNX Runtime (onnxruntime-node, CPU) reference runner. Reads inputs as serialized
// onnx.TensorProto files, runs the model, writes outputs the same way, and times its own loop
// so process start-up never counts. Prints one JSON object on stdout; errors: one line on
// stderr and exit code 3 (model) or 2 (arguments).
'use strict';

const fs = require('fs');
const path = require('path');
const { toOrt, fromOrt } = require('./tensor_proto');
const { peakRssMb } = require('./peak_rss');

function usage() {
  return 'usage: run_ort.js --model FILE (--input-dir DIR | --input FILE... | --input-sets DIR) ' +
         '[--output-dir DIR] [--threads N] [--spinning 0|1] [--warmup N] [--iterations N] ' +
         '[--version]';
}

function parseArgs(argv) {
  const a = { inputs: [], threads: 1, spinning: '1', warmup: 0, iterations: 0 };  // spinning: ORT's default
  for (let i = 0; i < argv.length; ++i) {
    const k = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${k} needs a value`);
      return argv[++i];
    };
    if (k === '--model') a.model = next();
    else if (k === '--input-dir') a.inputDir = next();
    else if (k === '--input') a.inputs.push(next());
    else if (k === '--input-sets') a.inputSets = next();
    else if (k === '--output-dir') a.outputDir = next();
    else if (k === '--threads') a.threads = Number(next());
    else if (k === '--spinning') a.spinning = next();
    else if (k === '--warmup') a.warmup = Number(next());
    else if (k === '--iterations') a.iterations = Number(next());
    else if (k === '--version') a.version = true;
    else throw new Error(`unknown flag ${k}`);
  }
  if (!a.version && !a.model) throw new Error('--model is required');
  if (!(a.threads >= 1)) throw new Error('--threads must be >= 1');
  if (a.inputSets && !a.outputDir) throw new Error('--input-sets needs --output-dir');
  return a;
}

function numbered(dir, re) {
  return fs.readdirSync(dir)
    .filter((f) => re.test(f))
    .sort((x, y) => Number(x.match(/\d+/)[0]) - Number(y.match(/\d+/)[0]));
}

function listInputFiles(a) {
  if (a.inputDir) return numbered(a.inputDir, /^input_\d+\.pb$/).map((f) => path.join(a.inputDir, f));
  return a.inputs;
}

function readFeeds(ort, session, files) {
  const feeds = {};
  files.forEach((file, k) => {
    const { name, tensor } = toOrt(ort, fs.readFileSync(file));
    // Bind by name, or by position among the graph inputs when the file has no name.
    const key = name && session.inputNames.includes(name) ? name : session.inputNames[k];
    feeds[key] = tensor;
  });
  return feeds;
}

function writeOutputs(session, outputs, dir) {
  const info = [];
  session.outputNames.forEach((name, k) => {
    const t = outputs[name];
    const entry = { name, type: t.type, dims: t.dims.map(Number) };
    if (dir) {
      const file = path.join(dir, `output_${k}.pb`);
      const tmp = `${file}.tmp-${process.pid}`;
      fs.writeFileSync(tmp, fromOrt(name, t));
      fs.renameSync(tmp, file);
      entry.file = path.basename(file);
    }
    info.push(entry);
  });
  return info;
}

function runFailed(e) {
  process.stderr.write(`error[invalid_model]: onnxruntime run failed: ${String(e.message).split('\n')[0]}\n`);
  process.exit(3);
}

// Many input sets (DIR/set_N/input_K.pb) through one session: parity over hundreds of batches
// pays process start-up and model load once. Outputs go to OUT/set_N/output_K.pb; no timing.
async function runSets(ort, session, args, version) {
  const sets = numbered(args.inputSets, /^set_\d+$/);
  const results = [];
  for (const set of sets) {
    const dir = path.join(args.inputSets, set);
    const files = numbered(dir, /^input_\d+\.pb$/).map((f) => path.join(dir, f));
    let outputs;
    try {
      outputs = await session.run(readFeeds(ort, session, files));
    } catch (e) {
      runFailed(e);
    }
    const outDir = path.join(args.outputDir, set);
    fs.mkdirSync(outDir, { recursive: true });
    results.push({ set, outputs: writeOutputs(session, outputs, outDir) });
  }
  process.stdout.write(JSON.stringify({
    ort_version: version, provider: 'cpu', threads: args.threads,
    allow_spinning: String(args.spinning), sets: results,
  }) + '\n');
}


function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const idx = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, idx)];
}

async function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`error[invalid_argument]: ${e.message}; ${usage()}\n`);
    process.exit(2);
  }
  const ort = require('onnxruntime-node');
  const version = ort.env.versions.node || ort.env.versions.common;
  if (args.version) {
    process.stdout.write(JSON.stringify({ ort_version: version, providers: ['cpu'] }) + '\n');
    return;
  }
  const options = {
    executionProviders: ['cpu'],
    intraOpNumThreads: args.threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    extra: { 'session.intra_op.allow_spinning': String(args.spinning) },
  };
  let session;
  try {
    session = await ort.InferenceSession.create(args.model, options);
  } catch (e) {
    process.stderr.write(`error[invalid_model]: onnxruntime cannot load '${path.basename(args.model)}': ${String(e.message).split('\n')[0]}\n`);
    process.exit(3);
  }
  if (args.inputSets) {
    await runSets(ort, session, args, version);
    return;
  }
  const feeds = readFeeds(ort, session, listInputFiles(args));
  let outputs;
  try {
    outputs = await session.run(feeds);
    for (let i = 0; i < args.warmup; ++i) await session.run(feeds);
  } catch (e) {
    runFailed(e);
  }
  const latencies = [];
  for (let i = 0; i < args.iterations; ++i) {
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const outInfo = writeOutputs(session, outputs, args.outputDir);
  const sorted = [...latencies].sort((x, y) => x - y);
  const mean = latencies.length ? latencies.reduce((x, y) => x + y, 0) / latencies.length : null;
  process.stdout.write(JSON.stringify({
    ort_version: version,
    provider: 'cpu',
    execution_providers: options.executionProviders,
    threads: args.threads,
    allow_spinning: String(args.spinning),
    warmup: args.warmup,
    iterations: args.iterations,
    peak_rss_mb: peakRssMb(),
    outputs: outInfo,
    latency_ms: {
      mean, p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99),
      min: sorted.length ? sorted[0] : null, max: sorted.length ? sorted[sorted.length - 1] : null,
      samples: latencies,
    },
  }) + '\n');
}

main().catch((e) => {
  process.stderr.write(`error[internal]: ${String(e.message).split('\n')[0]}\n`);
  process.exit(70);
});
