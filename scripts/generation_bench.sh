#!/usr/bin/env bash
# Issue 24's generation figures, parity first, our loop and ONNX Runtime's side by side:
#   1. the anchor-size PyTorch decoder (d 512, 8 layers, 8 / 4 KV heads, SwiGLU 1408, vocab
#      32000; generated on demand by scripts/gen_torch_decoder.py, never committed), parity on
#      its prefill and decode-step test sets, then `bog bench --generate` at batch 1, 1 thread,
#      prompt 64, 128 new tokens, cpu and ort;
#      and `bog generate --onnx` against PyTorch's own greedy continuations (greedy.json);
#   2. models/agnews-lm when it exists: test perplexity (`bog eval`, all of test.csv), export,
#      `bog parity --generate`, the same bench, and --no-cache-too at 256 new tokens (cached
#      over uncached);
#   3. OUT/generation.{json,md} from those reports (with --evidence also
#      docs/evidence/generation.{json,md}, checked by `bog evidence validate`).
#
# usage: scripts/generation_bench.sh [--evidence] [OUT]     (OUT: runs/generation-bench)
# env:   BOG (build/bog), PYTHON (/usr/bin/python3, where python3-torch is installed),
#        BOG_DATA_DIR (../shared/data/ag_news: the test split for perplexity and parity prompts)
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
DATA=${BOG_DATA_DIR:-../shared/data/ag_news}
mkdir -p "$OUT"
say() { echo "generation_bench: $*" >&2; }
[[ -x "$BOG" ]] || { echo "error: $BOG not built (make build)" >&2; exit 2; }

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
# 1. The anchor.
ANCHOR="$OUT/anchor/llama_anchor.onnx"
if [[ ! -f "$ANCHOR" ]]; then
  say "generating the anchor-size decoder (python3-torch)"
  "$PYTHON" scripts/gen_torch_decoder.py --size anchor --out "$OUT/anchor" 2>"$OUT/anchor_gen.log"
fi
say "parity of the anchor (reference, cpu, ort)"
"$BOG" parity --onnx "$ANCHOR" --inputs "$OUT/anchor/llama_anchor" \
  --providers reference,cpu,ort --json >"$OUT/anchor_parity.json"
say "bog generate --onnx on the anchor against PyTorch's greedy continuations"
ANCHOR_GREEDY="$OUT/anchor/llama_anchor/greedy.json"
n_prompts=$(jq '.prompts | length' "$ANCHOR_GREEDY")
: >"$OUT/anchor_greedy.jsonl"
for ((i = 0; i < n_prompts; ++i)); do
  ids=$(jq -r ".prompts[$i].prompt_ids | join(\",\")" "$ANCHOR_GREEDY")
  want=$(jq -c ".prompts[$i].tokens" "$ANCHOR_GREEDY")
  got=$("$BOG" generate --onnx "$ANCHOR" --prompt-ids "$ids" --max-new-tokens "$(jq length <<<"$want")" \
    --threads 1 --json | jq -c .tokens)
  jq -nc --argjson want "$want" --argjson got "$got" --argjson i "$i" \
    '{prompt: $i, new_tokens: ($want | length), identical: ($want == $got)}' >>"$OUT/anchor_greedy.jsonl"
done
say "bench --generate on the anchor: batch 1, 1 thread, prompt 64, 128 new tokens"
"$BOG" bench --generate --onnx "$ANCHOR" --backends cpu,ort --batch 1 --threads 1 \
  --prompt-len 64 --new-tokens 128 --warmup 1 --iterations 3 --out "$OUT/anchor_bench" --json >"$OUT/anchor_bench.json"

# 2. Our LM, once it is shipped.
LM_REPORTS=()
LM_EXTRA=null
if [[ -f models/agnews-lm/manifest.json ]]; then
  LM="$OUT/lm/agnews-lm.onnx"
  mkdir -p "$OUT/lm"
  say "test perplexity of models/agnews-lm (all of $DATA/test.csv)"
  "$BOG" eval --bundle models/agnews-lm --data "$DATA" --split test --json >"$OUT/lm_eval.json"
  say "exporting models/agnews-lm"
  "$BOG" export --bundle models/agnews-lm --out "$LM" >/dev/null
  say "generation parity of agnews-lm"
  "$BOG" parity --bundle models/agnews-lm --onnx "$LM" --generate \
    --providers reference,cpu,ort --data "$DATA" --json >"$OUT/lm_parity.json"
  say "bench --generate on agnews-lm: 128 new tokens"
  "$BOG" bench --generate --onnx "$LM" --backends cpu,ort --batch 1 --threads 1 \
    --prompt-len 64 --new-tokens 128 --warmup 1 --iterations 3 --out "$OUT/lm_bench" --json >"$OUT/lm_bench.json"
  say "bench --generate on agnews-lm: 256 new tokens from a 1-token prompt (its context is 256), cached and uncached"
  "$BOG" bench --generate --onnx "$LM" --backends cpu --batch 1 --threads 1 \
    --prompt-len 1 --new-tokens 256 --warmup 1 --iterations 3 --no-cache-too --out "$OUT/lm_bench256" --json \
    >"$OUT/lm_bench256.json"
  LM_REPORTS=("$OUT/lm_bench.json" "$OUT/lm_bench256.json")
  LM_EXTRA=$(jq -n --slurpfile e "$OUT/lm_eval.json" --slurpfile p "$OUT/lm_parity.json" \
    '{eval: $e[0], parity: $p[0]}')
else
  say "models/agnews-lm not found: its rows are skipped"
fi

# 3. One JSON and one Markdown page from the reports.
jq -n --slurpfile parity "$OUT/anchor_parity.json" \
  --slurpfile anchor "$OUT/anchor_bench.json" \
  --slurpfile greedy "$OUT/anchor_greedy.jsonl" \
  --argjson lm "$(if ((${#LM_REPORTS[@]})); then jq -s . "${LM_REPORTS[@]}"; else echo '[]'; fi)" \
  --argjson lm_extra "$LM_EXTRA" \
  --arg load_before "$LOAD_BEFORE" --arg load_after "$(cut -d' ' -f1-3 /proc/loadavg)" \
  '{schema: "bog-generation 1",
    command: "scripts/generation_bench.sh",
    load_average: {before: $load_before, after: $load_after},
    environment: $anchor[0].environment,
    ort_version: $anchor[0].ort_version,
    anchor: {model: "PyTorch-exported LLaMA-style decoder, random weights: d 512, 8 layers, 8 heads / 4 KV heads, SwiGLU 1408, vocab 32000 (scripts/gen_torch_decoder.py --size anchor)",
             parity: {passed: $parity[0].passed,
                      results: [$parity[0].results[] | {provider_requested, provider_used, passed, max_abs_diff}]},
             torch_greedy: $greedy,
             artifact: $anchor[0].artifact, rows: $anchor[0].rows, summary: $anchor[0].summary},
    agnews_lm: [$lm[] | {artifact, rows, summary}],
    agnews_lm_quality: (if $lm_extra == null then null else
      {test_perplexity: $lm_extra.eval.perplexity, test_tokens: $lm_extra.eval.tokens,
       split: "test.csv (all rows)", parity: $lm_extra.parity} end)}' >"$OUT/generation.json.tmp"
mv "$OUT/generation.json.tmp" "$OUT/generation.json"

node - "$OUT/generation.json" >"$OUT/generation.md.tmp" <<'EOF'
const fs = require('fs');
const r = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const f = (v, d = 2) => (typeof v === 'number' ? v.toFixed(d) : '—');
const label = (row) => (row.backend === 'onnxruntime' ? 'ONNX Runtime' : `ours (${row.provider_requested})`);
const out = [];
out.push('# Generation: parity, PyTorch greedy identity, decode speed', '');
out.push(`Made by \`${r.command}\` on ${r.environment.cpu_model || 'this machine'} ` +
  `(${r.environment.logical_cores || '?'} cores; load average ${r.load_average.before} before, ${r.load_average.after} after), ONNX Runtime ${r.ort_version}, ` +
  'onnxruntime-node CPU. Greedy decoding, deterministic prompt ids, no EOS stop; decode figures ' +
  'are over the decode steps (the first new token comes from prefill). Our rows: ' +
  '`generate::Generator` (cached: KV cache shared by past and present; uncached: every step ' +
  'recomputes the sequence). ONNX Runtime: `bench/ort/generate_ort.js`, present fed back as past. ' +
  'Backends ran in turn in the same minutes.', '');
const table = (title, rows, summary) => {
  out.push(`## ${title}`, '');
  out.push('| backend | mode | cache | batch | threads | prompt | new | prefill ms | decode ms p50 | decode tokens/s | peak RSS MB | tokens = ORT | parity |');
  out.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const row of rows) {
    const m = row.tokens_match_ort;
    out.push(`| ${label(row)} | ${row.mode} | ${row.cache_used || '—'} | ${row.batch} | ${row.threads} | ` +
      `${row.prompt_len} | ${row.new_tokens} | ${f(row.prefill_ms)} | ${f(row.decode_ms_p50, 3)} | ` +
      `${f(row.decode_tokens_per_s, 1)} | ${f(row.peak_rss_mb, 0)} | ${m === true ? 'yes' : m === false ? '**no**' : '—'} | ${row.parity_status} |`);
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
const g = r.anchor.torch_greedy;
out.push(`\`bog generate --onnx\` against PyTorch's own greedy continuation (its cache fed back): ` +
  `${g.filter((x) => x.identical).length} of ${g.length} prompts identical token for token ` +
  `(${g.map((x) => x.new_tokens).join(', ')} new tokens).`, '');
table('Anchor-size PyTorch decoder (batch 1, 1 thread, prompt 64, 128 new tokens)', r.anchor.rows, r.anchor.summary);
const q = r.agnews_lm_quality;
if (q) {
  out.push('## models/agnews-lm: quality and generation parity', '');
  out.push(`- Test perplexity **${f(q.test_perplexity)}** over ${q.test_tokens} tokens of ${q.split} ` +
    '(`bog eval --bundle models/agnews-lm --split test`; the model saw only its train split).');
  const gp = q.parity.generate || {};
  out.push(`- \`bog parity --generate\` (${q.parity.passed ? 'passed' : '**FAILED**'}): ${gp.prompts} test-set prompts ` +
    `of ${gp.prompt_len} tokens, ${gp.new_tokens} greedy new tokens each, every logit within atol ${gp.atol} ` +
    'of the Eigen model (`LmEager`), tokens compared with its greedy tokens:', '');
  out.push('| provider | cache | prefill max abs diff | decode max abs diff | decode steps compared | greedy tokens | result |');
  out.push('|---|---|---|---|---|---|---|');
  for (const [name, v] of Object.entries(gp.providers || {})) {
    out.push(`| ${name} | ${v.cache} | ${Number(v.max_abs_diff_prefill).toExponential(2)} | ` +
      `${Number(v.max_abs_diff_decode).toExponential(2)} | ${v.steps_compared} | ` +
      `${v.tokens_identical ? 'identical' : '**differ**'} | ${v.passed ? 'pass' : '**fail**'} |`);
  }
  out.push('');
}
r.agnews_lm.forEach((lm, i) => table(`models/agnews-lm (${i === 0 ? 'cached, against ONNX Runtime' : 'cached against uncached'})`, lm.rows, lm.summary));
if (!r.agnews_lm.length) out.push('models/agnews-lm was not there when this ran: no rows for it.', '');
process.stdout.write(out.join('\n'));
EOF
mv "$OUT/generation.md.tmp" "$OUT/generation.md"

if ((EVIDENCE)); then
  cp "$OUT/generation.json" docs/evidence/generation.json.tmp
  mv docs/evidence/generation.json.tmp docs/evidence/generation.json
  cp "$OUT/generation.md" docs/evidence/generation.md.tmp
  mv docs/evidence/generation.md.tmp docs/evidence/generation.md
  "$BOG" evidence validate docs/evidence --readme README.md
fi
say "wrote $OUT/generation.{json,md}"
