#!/usr/bin/env python3
"""A LLaMA-style decoder with a KV cache, written in plain torch and exported by
torch.onnx.export (opset 17) in the naming of Hugging Face optimum / ONNX Runtime GenAI:

  inputs  input_ids int64 [batch, sequence], attention_mask int64 [batch, total_sequence],
          position_ids int64 [batch, sequence],
          past_key_values.{i}.key / .value float32 [batch, kv_heads, past_sequence, head_dim]
  outputs logits float32 [batch, sequence, vocab],
          present.{i}.key / .value float32 [batch, kv_heads, total_sequence, head_dim]

Run by hand (Debian: apt-get install python3-torch python3-onnx); no build or test step runs
Python. Two sizes:

  /usr/bin/python3 scripts/gen_torch_decoder.py
      # the small committed fixture: tests/fixtures/torch/llama_decoder.onnx and
      # tests/fixtures/torch/llama_decoder/ (test sets, greedy.json, genai_config.json)
  /usr/bin/python3 scripts/gen_torch_decoder.py --size anchor --out runs/anchor
      # issue 24's anchor (d 512, 8 layers, 8 / 4 KV heads, SwiGLU 1408, vocab 32000, ~225 MB):
      # never committed; benchmark scripts generate it on demand

What it writes (NAME is llama_decoder or llama_anchor):
  OUT/NAME.onnx
  OUT/NAME/test_data_set_0   prefill: batch 2, left-padded (7 and 4 real tokens), zero-length past
  OUT/NAME/test_data_set_1   one decode step: each row's greedy token, past = set 0's present
  OUT/NAME/greedy.json       PyTorch's own greedy continuation (with its cache) of fixed prompts
  OUT/NAME/genai_config.json ONNX Runtime GenAI's fields (decoder filename ../NAME.onnx)
Random weights from a fixed seed; the export is deterministic.
"""
import argparse
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_torch_fixtures import LlamaRMSNorm as RMSNorm, repeat_kv, rotate_half  # noqa: E402

OPSET = 17
SIZES = {
    # name, vocab, d, heads, kv_heads, d_ff, layers, context
    "small": ("llama_decoder", 512, 64, 4, 2, 128, 2, 256),
    "anchor": ("llama_anchor", 32000, 512, 8, 4, 1408, 8, 2048),
}
BOS, EOS, PAD = 1, 2, 0


def rope(position_ids, head_dim, theta=10000.0):
    """cos, sin [B, 1, S, head_dim] from position_ids [B, S] (HF LlamaRotaryEmbedding)."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2).float() / head_dim))
    inv = inv_freq[None, :, None].expand(position_ids.shape[0], -1, 1)
    freqs = (inv @ position_ids[:, None, :].float()).transpose(1, 2)
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos().unsqueeze(1), emb.sin().unsqueeze(1)


class Attention(nn.Module):
    def __init__(self, d, heads, kv_heads):
        super().__init__()
        self.heads, self.kv_heads, self.head_dim = heads, kv_heads, d // heads
        self.q_proj = nn.Linear(d, heads * self.head_dim, bias=False)
        self.k_proj = nn.Linear(d, kv_heads * self.head_dim, bias=False)
        self.v_proj = nn.Linear(d, kv_heads * self.head_dim, bias=False)
        self.o_proj = nn.Linear(heads * self.head_dim, d, bias=False)

    def forward(self, x, mask, cos, sin, past_k, past_v):
        b, s, _ = x.shape
        q = self.q_proj(x).view(b, s, self.heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(b, s, self.kv_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(b, s, self.kv_heads, self.head_dim).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = torch.cat((past_k, k), dim=2)  # present
        v = torch.cat((past_v, v), dim=2)
        rep = self.heads // self.kv_heads
        w = torch.matmul(q, repeat_kv(k, rep).transpose(2, 3)) / math.sqrt(self.head_dim)
        w = F.softmax(w + mask, dim=-1, dtype=torch.float32)
        out = torch.matmul(w, repeat_kv(v, rep)).transpose(1, 2).reshape(b, s, -1)
        return self.o_proj(out), k, v


class Layer(nn.Module):
    def __init__(self, d, heads, kv_heads, d_ff):
        super().__init__()
        self.input_layernorm = RMSNorm(d)
        self.self_attn = Attention(d, heads, kv_heads)
        self.post_attention_layernorm = RMSNorm(d)
        self.gate_proj = nn.Linear(d, d_ff, bias=False)
        self.up_proj = nn.Linear(d, d_ff, bias=False)
        self.down_proj = nn.Linear(d_ff, d, bias=False)

    def forward(self, x, mask, cos, sin, past_k, past_v):
        a, k, v = self.self_attn(self.input_layernorm(x), mask, cos, sin, past_k, past_v)
        x = x + a
        h = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h)), k, v


class Decoder(nn.Module):
    def __init__(self, vocab, d, heads, kv_heads, d_ff, layers):
        super().__init__()
        self.vocab, self.d, self.heads, self.kv_heads = vocab, d, heads, kv_heads
        self.head_dim = d // heads
        self.n_layers = layers
        self.embed_tokens = nn.Embedding(vocab, d)
        self.layers = nn.ModuleList([Layer(d, heads, kv_heads, d_ff) for _ in range(layers)])
        self.norm = RMSNorm(d)
        self.lm_head = nn.Linear(d, vocab, bias=False)

    def forward(self, input_ids, attention_mask, position_ids, *past):
        s = input_ids.shape[1]
        t = attention_mask.shape[1]
        x = self.embed_tokens(input_ids)
        cos, sin = rope(position_ids, self.head_dim)
        # HF's 4D mask: causal over the total sequence (query i sits at t - s + i), then padding.
        min_value = torch.finfo(torch.float32).min
        q_pos = torch.arange(s, device=input_ids.device) + (t - s)
        k_pos = torch.arange(t, device=input_ids.device)
        causal = (k_pos[None, :] > q_pos[:, None])[None, None, :, :]
        padding = attention_mask[:, None, None, :].eq(0)
        zeros = torch.zeros((), dtype=torch.float32)
        mask = torch.where(causal | padding, torch.full((), min_value), zeros)
        present = []
        for i, layer in enumerate(self.layers):
            x, k, v = layer(x, mask, cos, sin, past[2 * i], past[2 * i + 1])
            present += [k, v]
        return (self.lm_head(self.norm(x)), *present)


def randomize(model, gen):
    """Norm weights away from 1 and a unit-variance embedding, so a wrong kernel shows; the LM
    head scaled by 4 so the greedy choices are not near ties (top-2 gaps of 1e-3, not 1e-4)."""
    with torch.no_grad():
        model.lm_head.weight.mul_(4.0)
        for mod in model.modules():
            if isinstance(mod, RMSNorm):
                mod.weight.copy_(1.0 + 0.2 * torch.randn(mod.weight.shape, generator=gen))
            if isinstance(mod, nn.Embedding):
                mod.weight.copy_(torch.randn(mod.weight.shape, generator=gen))


def names(layers):
    past = [f"past_key_values.{i}.{kv}" for i in range(layers) for kv in ("key", "value")]
    present = [f"present.{i}.{kv}" for i in range(layers) for kv in ("key", "value")]
    return ["input_ids", "attention_mask", "position_ids"] + past, ["logits"] + present


def empty_past(model, batch, length=0):
    return [torch.zeros(batch, model.kv_heads, length, model.head_dim)
            for _ in range(2 * model.n_layers)]


def export(model, path):
    inputs, outputs = names(model.n_layers)
    b, s, p = 2, 3, 5  # traced with a non-empty past so no length is folded to 0
    ids = torch.randint(0, model.vocab, (b, s), dtype=torch.int64)
    mask = torch.ones(b, p + s, dtype=torch.int64)
    pos = torch.arange(p, p + s, dtype=torch.int64)[None, :].expand(b, s).contiguous()
    past = [torch.randn(b, model.kv_heads, p, model.head_dim) for _ in range(2 * model.n_layers)]
    axes = {"input_ids": {0: "batch", 1: "sequence"},
            "attention_mask": {0: "batch", 1: "total_sequence"},
            "position_ids": {0: "batch", 1: "sequence"},
            "logits": {0: "batch", 1: "sequence"}}
    for n in inputs[3:]:
        axes[n] = {0: "batch", 2: "past_sequence"}
    for n in outputs[1:]:
        axes[n] = {0: "batch", 2: "total_sequence"}
    torch.onnx.export(model, (ids, mask, pos, *past), path, input_names=inputs,
                      output_names=outputs, opset_version=OPSET, do_constant_folding=True,
                      dynamic_axes=axes)


def left_padded(prompts):
    """input_ids, attention_mask, position_ids for left-padded prompts (HF's positions:
    cumsum(mask) - 1, padding positions set to 1)."""
    width = max(len(p) for p in prompts)
    ids = np.full((len(prompts), width), PAD, dtype=np.int64)
    mask = np.zeros((len(prompts), width), dtype=np.int64)
    for b, p in enumerate(prompts):
        ids[b, width - len(p):] = p
        mask[b, width - len(p):] = 1
    pos = np.cumsum(mask, axis=1) - 1
    pos[mask == 0] = 1
    return ids, mask, pos


def write_set(folder, names_in, arrays_in, names_out, arrays_out):
    from onnx import numpy_helper
    os.makedirs(folder, exist_ok=True)
    for kind, ns, arrs in (("input", names_in, arrays_in), ("output", names_out, arrays_out)):
        for k, (n, a) in enumerate(zip(ns, arrs)):
            with open(os.path.join(folder, f"{kind}_{k}.pb"), "wb") as f:
                f.write(numpy_helper.from_array(np.ascontiguousarray(a), n).SerializeToString())


def run(model, ids, mask, pos, past):
    with torch.no_grad():
        out = model(torch.from_numpy(ids), torch.from_numpy(mask), torch.from_numpy(pos), *past)
    return out[0], list(out[1:])


def test_sets(model, case_dir, rng):
    inputs, outputs = names(model.n_layers)
    prompts = [list(rng.integers(3, model.vocab, size=7)), list(rng.integers(3, model.vocab, size=4))]
    ids, mask, pos = left_padded(prompts)
    past = empty_past(model, 2)
    logits, present = run(model, ids, mask, pos, past)
    write_set(os.path.join(case_dir, "test_data_set_0"), inputs,
              [ids, mask, pos] + [p.numpy() for p in past], outputs,
              [logits.numpy()] + [p.numpy() for p in present])
    # One decode step: each row's greedy token, the mask grown by one, the next positions.
    nxt = logits[:, -1, :].argmax(-1).numpy().astype(np.int64)[:, None]
    mask2 = np.concatenate([mask, np.ones((2, 1), dtype=np.int64)], axis=1)
    pos2 = (pos[:, -1:] + 1).astype(np.int64)
    logits2, present2 = run(model, nxt, mask2, pos2, present)
    write_set(os.path.join(case_dir, "test_data_set_1"), inputs,
              [nxt, mask2, pos2] + [p.numpy() for p in present], outputs,
              [logits2.numpy()] + [p.numpy() for p in present2])


def greedy(model, prompt, new_tokens):
    """PyTorch's greedy continuation of one prompt (batch 1), its cache fed back; also the
    smallest gap between the best and second-best logit over the steps (a near tie would make
    token identity a matter of rounding)."""
    ids = np.array([prompt], dtype=np.int64)
    mask = np.ones_like(ids)
    pos = np.arange(len(prompt), dtype=np.int64)[None, :]
    past = empty_past(model, 1)
    tokens, margin = [], float("inf")
    for _ in range(new_tokens):
        logits, past = run(model, ids, mask, pos, past)
        last = logits[0, -1, :]
        top2 = torch.topk(last, 2).values
        margin = min(margin, float(top2[0] - top2[1]))
        tok = int(last.argmax())
        tokens.append(tok)
        ids = np.array([[tok]], dtype=np.int64)
        mask = np.ones((1, mask.shape[1] + 1), dtype=np.int64)
        pos = np.array([[pos[0, -1] + 1]], dtype=np.int64)
    return tokens, margin


def genai_config(model, name, context):
    return {
        "model": {
            "bos_token_id": BOS, "eos_token_id": EOS, "pad_token_id": PAD,
            "context_length": context, "vocab_size": model.vocab, "type": "llama",
            "decoder": {
                "filename": "../" + name + ".onnx",  # relative to this file
                "head_size": model.head_dim, "hidden_size": model.d,
                "num_attention_heads": model.heads, "num_key_value_heads": model.kv_heads,
                "num_hidden_layers": model.n_layers,
                "session_options": {"log_id": "onnxruntime-genai", "provider_options": []},
                "inputs": {"input_ids": "input_ids", "attention_mask": "attention_mask",
                           "position_ids": "position_ids",
                           "past_key_names": "past_key_values.%d.key",
                           "past_value_names": "past_key_values.%d.value"},
                "outputs": {"logits": "logits", "present_key_names": "present.%d.key",
                            "present_value_names": "present.%d.value"},
            },
        },
        "search": {"do_sample": False, "max_length": context, "min_length": 0, "num_beams": 1,
                   "num_return_sequences": 1, "past_present_share_buffer": False,
                   "repetition_penalty": 1.0, "temperature": 1.0, "top_k": 1, "top_p": 1.0},
    }


def write_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", choices=sorted(SIZES), default="small")
    ap.add_argument("--out", default=os.path.join(root, "tests", "fixtures", "torch"))
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--new-tokens", type=int, default=24)
    args = ap.parse_args()
    name, vocab, d, heads, kv_heads, d_ff, layers, context = SIZES[args.size]
    torch.manual_seed(args.seed)
    model = Decoder(vocab, d, heads, kv_heads, d_ff, layers)
    randomize(model, torch.Generator().manual_seed(args.seed + 1))
    model.eval()
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, name + ".onnx")
    export(model, path)
    case_dir = os.path.join(args.out, name)
    rng = np.random.default_rng(args.seed + 2)
    test_sets(model, case_dir, rng)
    prompts = [[BOS] + [int(t) for t in rng.integers(3, vocab, size=n)] for n in (5, 11, 16)]
    cases = []
    for p in prompts:
        tokens, margin = greedy(model, p, args.new_tokens)
        cases.append({"prompt_ids": p, "tokens": tokens, "min_top2_margin": round(margin, 6)})
    write_json(os.path.join(case_dir, "greedy.json"), {
        "model": name + ".onnx", "torch": torch.__version__, "seed": args.seed,
        "new_tokens": args.new_tokens, "cache": "present fed back as past, batch 1",
        "prompts": cases})
    write_json(os.path.join(case_dir, "genai_config.json"), genai_config(model, name, context))
    worst = min(c["min_top2_margin"] for c in cases)
    print(f"wrote {path} ({os.path.getsize(path)} bytes); smallest top-2 logit margin {worst:.4g}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
