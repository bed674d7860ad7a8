#!/usr/bin/env python3
"""PyTorch-exported ONNX fixtures: the node patterns torch.onnx.export writes for BERT-,
LLaMA- and GPT-2-style classifiers, so the cpu provider's fusions are tested on foreign graphs.

Run once by hand (Debian: apt-get install python3-torch python3-onnx); no build or test step
runs Python. The committed outputs are in tests/fixtures/torch/ (see its README.md).

  /usr/bin/python3 scripts/gen_torch_fixtures.py          # small fixtures + inputs + OPS.md
  /usr/bin/python3 scripts/gen_torch_fixtures.py --bench tests/fixtures/torch/bench
                                                           # the bench-size models too
  /usr/bin/python3 scripts/gen_torch_fixtures.py --real runs/real_sizes
                                                           # only the real sizes (not committed)
(/usr/bin/python3: Debian's interpreter, where python3-torch is installed.) The export is
deterministic: running it again rewrites the same bytes.

Every model is plain torch.nn (no transformers library), random weights from a fixed seed,
exported at opset 17 with dynamic batch and sequence axes:
  inputs  input_ids int64 [B,T], attention_mask int64 [B,T] (1 = real token, right padding)
  output  logits float32 [B,4]
"""
import argparse
import collections
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

N_CLASSES = 4
OPSET = 17


# --------------------------------------------------------------------------------------------
# BERT-style encoder (HF BertModel's layer structure, written out)
# --------------------------------------------------------------------------------------------
class BertSelfAttention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.num_attention_heads = heads
        self.attention_head_size = d // heads
        self.all_head_size = d
        self.query = nn.Linear(d, d)
        self.key = nn.Linear(d, d)
        self.value = nn.Linear(d, d)

    def transpose_for_scores(self, x):
        new_x_shape = x.size()[:-1] + (self.num_attention_heads, self.attention_head_size)
        x = x.view(new_x_shape)
        return x.permute(0, 2, 1, 3)

    def forward(self, hidden, extended_mask):
        query_layer = self.transpose_for_scores(self.query(hidden))
        key_layer = self.transpose_for_scores(self.key(hidden))
        value_layer = self.transpose_for_scores(self.value(hidden))
        scores = torch.matmul(query_layer, key_layer.transpose(-1, -2))
        scores = scores / math.sqrt(self.attention_head_size)
        scores = scores + extended_mask
        probs = nn.functional.softmax(scores, dim=-1)
        context = torch.matmul(probs, value_layer)
        context = context.permute(0, 2, 1, 3).contiguous()
        new_shape = context.size()[:-2] + (self.all_head_size,)
        return context.view(new_shape)


class BertLayer(nn.Module):
    def __init__(self, d, heads, d_ff, pre_ln, gelu_approx, eps):
        super().__init__()
        self.pre_ln = pre_ln
        self.attention = BertSelfAttention(d, heads)
        self.attention_output = nn.Linear(d, d)
        self.attention_norm = nn.LayerNorm(d, eps=eps)
        self.intermediate = nn.Linear(d, d_ff)
        self.act = nn.GELU(approximate=gelu_approx)
        self.output = nn.Linear(d_ff, d)
        self.output_norm = nn.LayerNorm(d, eps=eps)

    def forward(self, x, extended_mask):
        if self.pre_ln:
            x = x + self.attention_output(self.attention(self.attention_norm(x), extended_mask))
            return x + self.output(self.act(self.intermediate(self.output_norm(x))))
        x = self.attention_norm(self.attention_output(self.attention(x, extended_mask)) + x)
        return self.output_norm(self.output(self.act(self.intermediate(x))) + x)


class BertClassifier(nn.Module):
    def __init__(self, vocab, d, heads, d_ff, layers, max_pos, pre_ln, gelu_approx, mask_min,
                 eps=1e-5):
        super().__init__()
        self.pre_ln = pre_ln
        self.mask_min = mask_min  # "finfo" (HF today) or "-10000" (older HF)
        self.word_embeddings = nn.Embedding(vocab, d)
        self.position_embeddings = nn.Embedding(max_pos, d)
        self.register_buffer("position_ids", torch.arange(max_pos).expand((1, -1)))
        self.embeddings_norm = nn.LayerNorm(d, eps=eps)
        self.layers = nn.ModuleList(
            [BertLayer(d, heads, d_ff, pre_ln, gelu_approx, eps) for _ in range(layers)])
        self.final_norm = nn.LayerNorm(d, eps=eps)
        self.classifier = nn.Linear(d, N_CLASSES)

    def forward(self, input_ids, attention_mask):
        seq_length = input_ids.size(1)
        position_ids = self.position_ids[:, :seq_length]
        x = self.word_embeddings(input_ids) + self.position_embeddings(position_ids)
        if not self.pre_ln:
            x = self.embeddings_norm(x)
        extended = attention_mask[:, None, None, :].to(dtype=torch.float32)
        if self.mask_min == "finfo":
            extended = (1.0 - extended) * torch.finfo(torch.float32).min
        else:
            extended = (1.0 - extended) * -10000.0
        for layer in self.layers:
            x = layer(x, extended)
        if self.pre_ln:
            x = self.final_norm(x)
        return self.classifier(x[:, 0])  # CLS pooling


# --------------------------------------------------------------------------------------------
# LLaMA-style decoder (HF LlamaModel's structure, written out)
# --------------------------------------------------------------------------------------------
class LlamaRMSNorm(nn.Module):
    def __init__(self, d, eps=1e-5):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.variance_epsilon = eps

    def forward(self, x):
        variance = x.pow(2).mean(-1, keepdim=True)
        x = x * torch.rsqrt(variance + self.variance_epsilon)
        return x * self.weight


class LlamaRotaryEmbedding(nn.Module):
    def __init__(self, head_dim, theta=10000.0):
        super().__init__()
        inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2).float() / head_dim))
        self.register_buffer("inv_freq", inv_freq, persistent=False)

    def forward(self, position_ids):
        # position_ids [1, T] -> cos, sin [1, T, head_dim]
        inv_freq = self.inv_freq[None, :, None].expand(position_ids.shape[0], -1, 1)
        freqs = (inv_freq @ position_ids[:, None, :].float()).transpose(1, 2)
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos(), emb.sin()


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def apply_rotary_pos_emb(q, k, cos, sin):
    cos = cos.unsqueeze(1)
    sin = sin.unsqueeze(1)
    q_embed = (q * cos) + (rotate_half(q) * sin)
    k_embed = (k * cos) + (rotate_half(k) * sin)
    return q_embed, k_embed


def repeat_kv(hidden, n_rep):
    batch, num_kv, slen, head_dim = hidden.shape
    if n_rep == 1:
        return hidden
    hidden = hidden[:, :, None, :, :].expand(batch, num_kv, n_rep, slen, head_dim)
    return hidden.reshape(batch, num_kv * n_rep, slen, head_dim)


class LlamaAttention(nn.Module):
    def __init__(self, d, heads, kv_heads):
        super().__init__()
        self.num_heads = heads
        self.num_kv_heads = kv_heads
        self.head_dim = d // heads
        self.q_proj = nn.Linear(d, heads * self.head_dim, bias=False)
        self.k_proj = nn.Linear(d, kv_heads * self.head_dim, bias=False)
        self.v_proj = nn.Linear(d, kv_heads * self.head_dim, bias=False)
        self.o_proj = nn.Linear(heads * self.head_dim, d, bias=False)

    def forward(self, x, mask, cos, sin):
        bsz, q_len, _ = x.size()
        q = self.q_proj(x).view(bsz, q_len, self.num_heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(bsz, q_len, self.num_kv_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(bsz, q_len, self.num_kv_heads, self.head_dim).transpose(1, 2)
        q, k = apply_rotary_pos_emb(q, k, cos, sin)
        k = repeat_kv(k, self.num_heads // self.num_kv_heads)
        v = repeat_kv(v, self.num_heads // self.num_kv_heads)
        w = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(self.head_dim)
        w = w + mask
        w = nn.functional.softmax(w, dim=-1, dtype=torch.float32)
        out = torch.matmul(w, v)
        out = out.transpose(1, 2).contiguous().reshape(bsz, q_len, -1)
        return self.o_proj(out)


class LlamaMLP(nn.Module):
    def __init__(self, d, d_ff):
        super().__init__()
        self.gate_proj = nn.Linear(d, d_ff, bias=False)
        self.up_proj = nn.Linear(d, d_ff, bias=False)
        self.down_proj = nn.Linear(d_ff, d, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class LlamaLayer(nn.Module):
    def __init__(self, d, heads, kv_heads, d_ff, eps):
        super().__init__()
        self.input_layernorm = LlamaRMSNorm(d, eps)
        self.self_attn = LlamaAttention(d, heads, kv_heads)
        self.post_attention_layernorm = LlamaRMSNorm(d, eps)
        self.mlp = LlamaMLP(d, d_ff)

    def forward(self, x, mask, cos, sin):
        x = x + self.self_attn(self.input_layernorm(x), mask, cos, sin)
        return x + self.mlp(self.post_attention_layernorm(x))


class LlamaClassifier(nn.Module):
    def __init__(self, vocab, d, heads, kv_heads, d_ff, layers, eps=1e-5, theta=10000.0):
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab, d)
        self.rotary_emb = LlamaRotaryEmbedding(d // heads, theta)
        self.layers = nn.ModuleList(
            [LlamaLayer(d, heads, kv_heads, d_ff, eps) for _ in range(layers)])
        self.norm = LlamaRMSNorm(d, eps)
        self.score = nn.Linear(d, N_CLASSES, bias=False)

    def forward(self, input_ids, attention_mask):
        bsz, seq_len = input_ids.shape
        x = self.embed_tokens(input_ids)
        position_ids = torch.arange(seq_len, device=input_ids.device).unsqueeze(0)
        cos, sin = self.rotary_emb(position_ids)
        # Causal mask (triu of min) combined with the padding mask, as HF builds the 4D mask.
        min_value = torch.finfo(torch.float32).min
        causal = torch.full((seq_len, seq_len), min_value)
        causal = torch.triu(causal, diagonal=1)
        causal = causal[None, None, :, :].expand(bsz, 1, -1, -1)
        padding = attention_mask[:, None, None, :].eq(0)
        mask = causal.masked_fill(padding, min_value)
        for layer in self.layers:
            x = layer(x, mask, cos, sin)
        x = self.norm(x)
        m = attention_mask.unsqueeze(-1).to(x.dtype)
        pooled = (x * m).sum(dim=1) / m.sum(dim=1).clamp(min=1.0)  # mean over real tokens
        return self.score(pooled)


# --------------------------------------------------------------------------------------------
# GPT-2-style blocks (HF GPT2Model's structure, written out)
# --------------------------------------------------------------------------------------------
def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class GPT2Attention(nn.Module):
    def __init__(self, d, heads, max_pos):
        super().__init__()
        self.register_buffer(
            "bias", torch.tril(torch.ones((max_pos, max_pos), dtype=torch.bool)).view(
                1, 1, max_pos, max_pos), persistent=False)
        self.num_heads = heads
        self.head_dim = d // heads
        self.split_size = d
        self.c_attn = nn.Linear(d, 3 * d)
        self.c_proj = nn.Linear(d, d)

    def _split_heads(self, t):
        new_shape = t.size()[:-1] + (self.num_heads, self.head_dim)
        return t.view(new_shape).permute(0, 2, 1, 3)

    def forward(self, x, attention_mask):
        query, key, value = self.c_attn(x).split(self.split_size, dim=2)
        query = self._split_heads(query)
        key = self._split_heads(key)
        value = self._split_heads(value)
        w = torch.matmul(query, key.transpose(-1, -2))
        w = w / torch.full([], value.size(-1) ** 0.5, dtype=w.dtype)
        q_len, k_len = query.size(-2), key.size(-2)
        causal_mask = self.bias[:, :, k_len - q_len: k_len, :k_len]
        mask_value = torch.full([], torch.finfo(w.dtype).min, dtype=w.dtype)
        w = torch.where(causal_mask, w, mask_value)
        w = w + attention_mask
        w = nn.functional.softmax(w, dim=-1)
        out = torch.matmul(w, value)
        out = out.permute(0, 2, 1, 3).contiguous()
        out = out.view(out.size()[:-2] + (self.num_heads * self.head_dim,))
        return self.c_proj(out)


class GPT2MLP(nn.Module):
    def __init__(self, d, d_ff):
        super().__init__()
        self.c_fc = nn.Linear(d, d_ff)
        self.c_proj = nn.Linear(d_ff, d)

    def forward(self, x):
        return self.c_proj(gelu_new(self.c_fc(x)))


class GPT2Block(nn.Module):
    def __init__(self, d, heads, d_ff, max_pos, eps):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d, eps=eps)
        self.attn = GPT2Attention(d, heads, max_pos)
        self.ln_2 = nn.LayerNorm(d, eps=eps)
        self.mlp = GPT2MLP(d, d_ff)

    def forward(self, x, attention_mask):
        x = x + self.attn(self.ln_1(x), attention_mask)
        return x + self.mlp(self.ln_2(x))


class GPT2Classifier(nn.Module):
    def __init__(self, vocab, d, heads, d_ff, layers, max_pos, eps=1e-5):
        super().__init__()
        self.wte = nn.Embedding(vocab, d)
        self.wpe = nn.Embedding(max_pos, d)
        self.h = nn.ModuleList([GPT2Block(d, heads, d_ff, max_pos, eps) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(d, eps=eps)
        self.score = nn.Linear(d, N_CLASSES, bias=False)

    def forward(self, input_ids, attention_mask):
        bsz, seq_len = input_ids.shape
        position_ids = torch.arange(0, seq_len, dtype=torch.long).unsqueeze(0)
        x = self.wte(input_ids) + self.wpe(position_ids)
        ext = attention_mask[:, None, None, :].to(dtype=torch.float32)
        ext = (1.0 - ext) * torch.finfo(torch.float32).min
        for block in self.h:
            x = block(x, ext)
        x = self.ln_f(x)
        # Last real token (right padding), as GPT2ForSequenceClassification pools.
        last = attention_mask.sum(dim=-1) - 1
        return self.score(x[torch.arange(bsz), last])


# --------------------------------------------------------------------------------------------
def perturb_norms(model, gen):
    """Norm weights/biases away from 1/0 so a wrong norm kernel shows in the logits."""
    with torch.no_grad():
        for mod in model.modules():
            if isinstance(mod, (nn.LayerNorm, LlamaRMSNorm)):
                mod.weight.copy_(1.0 + 0.2 * torch.randn(mod.weight.shape, generator=gen))
                if getattr(mod, "bias", None) is not None:
                    mod.bias.copy_(0.1 * torch.randn(mod.bias.shape, generator=gen))
            if isinstance(mod, nn.Embedding):
                mod.weight.copy_(torch.randn(mod.weight.shape, generator=gen))


def export(model, path):
    model.eval()
    ids = torch.randint(0, 10, (2, 8), dtype=torch.int64)
    mask = torch.ones(2, 8, dtype=torch.int64)
    torch.onnx.export(
        model, (ids, mask), path, input_names=["input_ids", "attention_mask"],
        output_names=["logits"], opset_version=OPSET, do_constant_folding=True,
        dynamic_axes={"input_ids": {0: "batch", 1: "sequence"},
                      "attention_mask": {0: "batch", 1: "sequence"},
                      "logits": {0: "batch"}})


def write_test_set(model, folder, ids, mask):
    from onnx import numpy_helper
    os.makedirs(folder, exist_ok=True)
    with torch.no_grad():
        logits = model(torch.from_numpy(ids), torch.from_numpy(mask)).numpy()
    for name, arr, fname in (("input_ids", ids, "input_0.pb"), ("attention_mask", mask, "input_1.pb"),
                             ("logits", logits, "output_0.pb")):
        with open(os.path.join(folder, fname), "wb") as f:
            f.write(numpy_helper.from_array(arr, name).SerializeToString())


def padded_inputs(rng, vocab, lengths, seq):
    ids = rng.integers(0, vocab, size=(len(lengths), seq)).astype(np.int64)
    mask = np.zeros((len(lengths), seq), dtype=np.int64)
    for b, n in enumerate(lengths):
        mask[b, :n] = 1
        ids[b, n:] = 0  # pad id
    return ids, mask


def op_report(path, title):
    """Markdown: op counts and layer 0's node sequence grouped by module scope."""
    import onnx
    m = onnx.load(path)
    nodes = m.graph.node
    counts = collections.Counter(n.op_type for n in nodes)
    lines = [f"### {title}: `{os.path.basename(path)}`", "",
             f"{len(nodes)} nodes, {os.path.getsize(path)} bytes. Op counts: " +
             ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))),
             ""]
    groups = collections.OrderedDict()
    for n in nodes:
        parts = n.name.strip("/").split("/")
        scope = "/".join(parts[:-1]) if len(parts) > 1 else "(top)"
        # Layer 0 and everything outside the layer stack.
        if any(p.startswith(("layers.", "h.")) and not p.endswith(".0") for p in parts[:-1]):
            continue
        groups.setdefault(scope, []).append(n)
    lines.append("```")
    for scope, ns in groups.items():
        ops = []
        for n in ns:
            extra = ""
            if n.op_type in ("Softmax", "Transpose", "ReduceMean", "Concat", "Split", "Gather",
                             "Trilu", "Cast", "LayerNormalization", "Unsqueeze"):
                attrs = []
                for a in n.attribute:
                    v = onnx.helper.get_attribute_value(a)
                    if isinstance(v, bytes):
                        v = v.decode()
                    attrs.append(f"{a.name}={list(v) if isinstance(v, (list, tuple)) else v}")
                extra = "(" + ",".join(attrs) + ")" if attrs else ""
            ops.append(n.op_type + extra)
        lines.append(f"{scope}: " + " -> ".join(ops))
    lines.append("```")
    lines.append("")
    return "\n".join(lines)


def write_ops(path, title, body):
    with open(path, "w") as f:
        f.write(f"<!-- generated by scripts/gen_torch_fixtures.py (torch {torch.__version__}, "
                f"opset {OPSET}); do not edit -->\n# {title}\n\n")
        f.write("Per model: op counts over the whole graph, then layer 0 (and the nodes outside\n"
                "the layer stack) as node sequences grouped by the exporter's module scope, in\n"
                "graph order.\n\n")
        f.write(body)


def small_specs():
    return [
        ("bert_post_ln_erf", "BERT-style, post-LN, GELU erf, mask (1-m)*finfo.min, CLS pooling",
         lambda: BertClassifier(500, 32, 2, 64, 2, 64, pre_ln=False, gelu_approx="none",
                                mask_min="finfo")),
        ("bert_pre_ln_tanh", "BERT-style, pre-LN, GELU approximate='tanh', mask (1-m)*-10000, CLS pooling",
         lambda: BertClassifier(500, 64, 4, 128, 1, 64, pre_ln=True, gelu_approx="tanh",
                                mask_min="-10000")),
        ("llama_gqa", "LLaMA-style, RMSNorm, RoPE, GQA 4 heads / 2 kv heads, SwiGLU, causal+padding, mean pooling",
         lambda: LlamaClassifier(500, 64, 4, 2, 128, 2)),
        ("gpt2_block", "GPT-2-style, pre-LN, fused c_attn + Split, torch.where causal mask, GELU tanh formula, last-token pooling",
         lambda: GPT2Classifier(500, 48, 2, 192, 2, 64)),
    ]


def bench_specs():
    return [
        ("bert_bench", "BERT-style bench size (modern_encoder's shape: pre-LN, GELU erf, CLS)",
         lambda: BertClassifier(16000, 96, 4, 256, 1, 128, pre_ln=True, gelu_approx="none",
                                mask_min="finfo")),
        ("llama_bench", "LLaMA-style bench size (tiny_llama's shape: 4 heads / 2 kv heads)",
         lambda: LlamaClassifier(16000, 96, 4, 2, 256, 1)),
    ]


def real_specs():
    """The sizes people run (issue 25): random weights, far too big to commit."""
    return [
        ("minilm_l6", "MiniLM-L6 shape (post-LN BERT: d 384, 6 layers, 12 heads, FFN 1536)",
         lambda: BertClassifier(30522, 384, 12, 1536, 6, 512, pre_ln=False, gelu_approx="none",
                                mask_min="finfo")),
        ("bert_base", "BERT-base shape (post-LN: d 768, 12 layers, 12 heads, FFN 3072)",
         lambda: BertClassifier(30522, 768, 12, 3072, 12, 512, pre_ln=False, gelu_approx="none",
                                mask_min="finfo")),
        ("llama_d512", "LLaMA-style classifier (d 512, 8 layers, 8 heads / 4 kv heads, SwiGLU 1408)",
         lambda: LlamaClassifier(32000, 512, 8, 4, 1408, 8)),
    ]


def generate(specs, out_dir, seed, vocab_for_inputs, input_sets, report_ops=True):
    os.makedirs(out_dir, exist_ok=True)
    report = []
    for i, (name, title, make) in enumerate(specs):
        torch.manual_seed(seed + i)
        gen = torch.Generator().manual_seed(seed + 100 + i)
        model = make()
        perturb_norms(model, gen)
        model.eval()
        path = os.path.join(out_dir, name + ".onnx")
        export(model, path)
        rng = np.random.default_rng(seed + 200 + i)
        case_dir = os.path.join(out_dir, name)
        for k, (lengths, seq) in enumerate(input_sets):
            ids, mask = padded_inputs(rng, vocab_for_inputs(model), lengths, seq)
            write_test_set(model, os.path.join(case_dir, f"test_data_set_{k}"), ids, mask)
        if report_ops:
            report.append(op_report(path, title))
        print(f"wrote {path} ({os.path.getsize(path)} bytes)", file=sys.stderr)
    return "\n".join(report)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(root, "tests", "fixtures", "torch"))
    ap.add_argument("--bench", default="", help="also write the bench-size models into this folder")
    ap.add_argument("--real", default="",
                    help="write only the real-size models (MiniLM-L6, BERT-base, LLaMA d512; "
                         "hundreds of MB: keep them out of git, e.g. runs/real_sizes)")
    ap.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args()
    print(f"torch {torch.__version__}", file=sys.stderr)

    def vocab(model):
        for attr in ("word_embeddings", "embed_tokens", "wte"):
            if hasattr(model, attr):
                return getattr(model, attr).num_embeddings
        return 500

    if args.real:
        # Set 0: batch 1, seq 128; set 1: batch 8, seq 128, some rows padded.
        real_sets = [([128], 128), ([128, 128, 100, 128, 64, 128, 128, 17], 128)]
        generate(real_specs(), args.real, args.seed + 2000, vocab, real_sets, report_ops=False)
        return
    # Set 0: batch 3 with padding (rows of 7, 5 and 2 real tokens); set 1: batch 1, seq 1;
    # set 2: odd batch and an odd, longer sequence with padding.
    small_sets = [([7, 5, 2], 7), ([1], 1), ([13, 13, 9, 1, 6], 13)]
    ops = generate(small_specs(), args.out, args.seed, vocab, small_sets)
    write_ops(os.path.join(args.out, "OPS.md"), "Op patterns of the torch fixtures", ops)
    if args.bench:
        bench_sets = [([128, 100], 128), ([128], 128)]
        bops = generate(bench_specs(), args.bench, args.seed + 1000, vocab, bench_sets)
        write_ops(os.path.join(args.bench, "OPS.md"), "Op patterns of the bench-size torch models",
                  bops)

if __name__ == "__main__":
    main()
