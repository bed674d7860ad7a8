#!/usr/bin/env bash
# Issue 24's generation figures, parity first, our loop and ONNX Runtime's side by side:
#   1. the anchor-size PyTorch decoder (d 512, 8 layers, 8 / 4 KV heads, SwiGLU 1408, vocab
#      32000; generated on demand by scripts/gen_torch_decoder.py, never committed), parity on
#      its prefill and decode-step test sets, then `bog bench --generate` at batch 1, 1 thread,
#      prompt 64, 128 new tokens, cpu and ort;
#   2. models/agnews-lm when it exists: export, `bog parity --generate`, the same bench, and
#      --no-cache-too at 256 new tokens (cached over uncached);
#   3. OUT/generation_bench.{json,md} from those reports (with --evidence also
#      docs/evidence/generation_bench.{json,md}, checked by `bog evidence validate`).
#
# usage: scripts/generation_bench.sh [--evidence] [OUT]     (OUT: runs/generation-bench)
# env:   BOG (build/bog), PYTHON (/usr/bin/python3, where python3-torch is installed)
set -euo pipefail
cd "$(dirname "$0")/.."

EVIDENCE=0
if [[ "${1:-}" == "--evidence" ]]; then
  EVIDENCE=1
  shift
fi
OUT=${1:-runs/generation-bench}
BOG=${BOG:-build/bog}
PYTHON=${PYTHON:-/usr/bin/python3}
mkdir -p "$OUT"
say() { echo "generation_bench: $*" >&2; }
[[ -x "$BOG" ]] || { echo "error: $BOG not built (make build)" >&2; exit 2; }

# 1. The anchor.
ANCHOR="$OUT/anchor/llama_anchor.onnx"
if [[ ! -f "$ANCHOR" ]]; then
  say "generating the anchor-size decoder (python3-torch)"
  "$PYTHON" scripts/gen_torch_decoder.py --size anchor --out "$OUT/anchor" 2>"$OUT/anchor_gen.log"
fi
say "parity of the anchor (reference, cpu, ort)"
"$BOG" parity --onnx "$ANCHOR" --inputs "$OUT/anchor/llama_anchor" \
  --providers reference,cpu,ort --json >"$OUT/anchor_parity.json"
say "bench --generate on the anchor: batch 1, 1 thread, prompt 64, 128 new tokens"
"$BOG" bench --generate --onnx "$ANCHOR" --backends cpu,ort --batch 1 --threads 1 \
  --prompt-len 64 --new-tokens 128 --out "$OUT/anchor_bench" --json >"$OUT/anchor_bench.json"

# 2. Our LM, once it is shipped.
LM_REPORTS=()
if [[ -f models/agnews-lm/manifest.json ]]; then
  LM="$OUT/lm/agnews-lm.onnx"
  mkdir -p "$OUT/lm"
  say "exporting models/agnews-lm"
  "$BOG" export --bundle models/agnews-lm --out "$LM" >/dev/null
  say "generation parity of agnews-lm"
  "$BOG" parity --bundle models/agnews-lm --onnx "$LM" --generate \
    --providers reference,cpu,ort --json >"$OUT/lm_parity.json"
  say "bench --generate on agnews-lm: 128 new tokens"
  "$BOG" bench --generate --onnx "$LM" --backends cpu,ort --batch 1 --threads 1 \
    --prompt-len 64 --new-tokens 128 --out "$OUT/lm_bench" --json >"$OUT/lm_bench.json"
  say "bench --generate on agnews-lm: 256 new tokens, cached and uncached"
  "$BOG" bench --generate --onnx "$LM" --backends cpu --batch 1 --threads 1 \
    --prompt-len 64 --new-tokens 256 --no-cache-too --out "$OUT/lm_bench256" --json \
    >"$OUT/lm_bench256.json"
  LM_REPORTS=("$OUT/lm_bench.json" "$OUT/lm_bench256.json")
else
  say "models/agnews-lm not found: its rows are skipped"
fi

# 3. One JSON and one Markdown page from the reports.
jq -n --slurpfile parity "$OUT/anchor_parity.json" \
  --slurpfile anchor "$OUT/anchor_bench.json" \
  --argjson lm "$(if ((${#LM_REPORTS[@]})); then jq -s . "${LM_REPORTS[@]}"; else echo '[]'; fi)" \
  '{schema: "bog-generation-bench 1",
    command: "scripts/generation_bench.sh",
    environment: $anchor[0].environment,
    ort_version: $anchor[0].ort_version,
    anchor: {model: "PyTorch-exported LLaMA-style decoder, random weights: d 512, 8 layers, 8 heads / 4 KV heads, SwiGLU 1408, vocab 32000 (scripts/gen_torch_decoder.py --size anchor)",
             parity: {passed: $parity[0].passed,
                      results: [$parity[0].results[] | {provider_requested, provider_used, passed, max_abs_diff}]},
             artifact: $anchor[0].artifact, rows: $anchor[0].rows, summary: $anchor[0].summary},
    agnews_lm: [$lm[] | {artifact, rows, summary}]}' >"$OUT/generation_bench.json.tmp"
mv "$OUT/generation_bench.json.tmp" "$OUT/generation_bench.json"

node - "$OUT/generation_bench.json" >"$OUT/generation_bench.md.tmp" <<'EOF'
const fs = require('fs');
const r = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const f = (v, d = 2) => (typeof v === 'number' ? v.toFixed(d) : '—');
const label = (row) => (row.backend === 'onnxruntime' ? 'ONNX Runtime' : `ours (${row.provider_requested})`);
const out = [];
out.push('# Generation benchmark', '');
out.push(`Made by \`${r.command}\` on ${r.environment.cpu_model || 'this machine'} ` +
  `(${r.environment.logical_cores || '?'} cores, shared with other sessions while it ran), ONNX Runtime ${r.ort_version}, ` +
  'onnxruntime-node CPU. Greedy decoding, deterministic prompt ids, no EOS stop; decode figures ' +
  'are over the decode steps (the first new token comes from prefill). Our rows: ' +
  '`generate::Generator` (cached: KV cache shared by past and present; uncached: every step ' +
  'recomputes the sequence). ONNX Runtime: `bench/ort/generate_ort.js`, present fed back as past. ' +
  'Backends ran in turn in the same minutes.', '');
const table = (title, rows, summary) => {
  out.push(`## ${title}`, '');
  out.push('| backend | mode | cache | batch | threads | prompt | new | prefill ms | decode ms p50 | decode tokens/s | tokens = ORT | parity |');
  out.push('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const row of rows) {
    const m = row.tokens_match_ort;
    out.push(`| ${label(row)} | ${row.mode} | ${row.cache_used || '—'} | ${row.batch} | ${row.threads} | ` +
      `${row.prompt_len} | ${row.new_tokens} | ${f(row.prefill_ms)} | ${f(row.decode_ms_p50, 3)} | ` +
      `${f(row.decode_tokens_per_s, 1)} | ${m === true ? 'yes' : m === false ? '**no**' : '—'} | ${row.parity_status} |`);
  }
  out.push('');
  for (const s of summary) {
    if (typeof s.ratio_to_ort === 'number') {
      out.push(`- ${s.backend} ${s.mode}, ${s.new_tokens} new tokens: decode tokens/s **${f(s.ratio_to_ort)}×** ONNX Runtime's.`);
    }
    if (typeof s.cached_over_uncached === 'number') {
      out.push(`- ${s.backend}, ${s.new_tokens} new tokens: cached **${f(s.cached_over_uncached, 1)}×** uncached.`);
    }
  }
  const notes = rows.filter((x) => x.note).map((x) => `- ${label(x)} ${x.mode}: ${x.note}`);
  if (notes.length) out.push('', 'Row notes:', '', ...notes);
  out.push('');
};
const p = r.anchor.parity;
out.push(`Anchor: ${r.anchor.model}. Parity on its prefill and decode-step test sets: ` +
  (p.passed ? 'passed' : 'FAILED') + ' (' +
  p.results.map((x) => `${x.provider_requested} max abs ${Number(x.max_abs_diff).toExponential(1)}`).join(', ') + ').', '');
table('Anchor-size PyTorch decoder (batch 1, 1 thread, prompt 64, 128 new tokens)', r.anchor.rows, r.anchor.summary);
r.agnews_lm.forEach((lm, i) => table(`models/agnews-lm (${i === 0 ? 'cached, against ONNX Runtime' : 'cached against uncached'})`, lm.rows, lm.summary));
if (!r.agnews_lm.length) out.push('models/agnews-lm was not there when this ran: no rows for it.', '');
process.stdout.write(out.join('\n'));
EOF
mv "$OUT/generation_bench.md.tmp" "$OUT/generation_bench.md"

if ((EVIDENCE)); then
  cp "$OUT/generation_bench.json" docs/evidence/generation_bench.json.tmp
  mv docs/evidence/generation_bench.json.tmp docs/evidence/generation_bench.json
  cp "$OUT/generation_bench.md" docs/evidence/generation_bench.md.tmp
  mv docs/evidence/generation_bench.md.tmp docs/evidence/generation_bench.md
  "$BOG" evidence validate docs/evidence --readme README.md
fi
say "wrote $OUT/generation_bench.{json,md}"
