#!/usr/bin/env python3
"""PyTorch's own attention modules exported to ONNX: nn.TransformerEncoder(Layer) and a bare
nn.MultiheadAttention, in the forms people export, so the cpu provider's attention fusion is
tested on the 3-D [batch*heads, sequence, head_dim] form that nn.MultiheadAttention writes.

Run once by hand, like scripts/gen_torch_fixtures.py (Debian: python3-torch python3-onnx); no
build or test step runs Python. Writes NAME.onnx and NAME/test_data_set_K/{input_K,output_K}.pb
(ONNX test-case layout, outputs from torch's own forward) into tests/fixtures/torch/.

  /usr/bin/python3 scripts/gen_torch_mha_fixtures.py

Every model: nn.Embedding -> the attention module -> mean pooling (over the real tokens where a
padding mask is given) -> nn.Linear to 4 classes; random weights from a fixed seed, opset 17,
dynamic batch and sequence axes. Inputs input_ids int64 [B,T] and, for the masked forms,
attention_mask int64 [B,T] (1 = real token, right padding; passed to torch as
src_key_padding_mask / key_padding_mask = attention_mask == 0). The deterministic export
rewrites the same bytes when run again.
"""
import argparse
import os
import sys

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_torch_fixtures import padded_inputs, perturb_norms  # noqa: E402

N_CLASSES = 4
OPSET = 17
VOCAB = 100


def mean_pool(x, mask):
    """x [B,T,D]; mask int64 [B,T] or None."""
    if mask is None:
        return x.mean(dim=1)
    m = mask.unsqueeze(-1).to(x.dtype)
    return (x * m).sum(dim=1) / m.sum(dim=1).clamp(min=1.0)


class EncoderClassifier(nn.Module):
    """The classifier of issue 23: Embedding -> nn.TransformerEncoder -> mean -> Linear."""

    def __init__(self, d, heads, d_ff, layers, batch_first, norm_first, activation, masked):
        super().__init__()
        self.batch_first = batch_first
        self.masked = masked
        self.embed = nn.Embedding(VOCAB, d)
        layer = nn.TransformerEncoderLayer(d_model=d, nhead=heads, dim_feedforward=d_ff,
                                           batch_first=batch_first, norm_first=norm_first,
                                           activation=activation)
        self.encoder = nn.TransformerEncoder(layer, num_layers=layers,
                                             enable_nested_tensor=False)
        self.head = nn.Linear(d, N_CLASSES)

    def forward(self, input_ids, attention_mask=None):
        x = self.embed(input_ids)
        pad = attention_mask.eq(0) if self.masked else None
        if not self.batch_first:
            x = x.transpose(0, 1)
        x = self.encoder(x, src_key_padding_mask=pad)
        if not self.batch_first:
            x = x.transpose(0, 1)
        return self.head(mean_pool(x, attention_mask if self.masked else None))


class MhaClassifier(nn.Module):
    """A bare nn.MultiheadAttention (self-attention) with key_padding_mask, optionally a causal
    attn_mask, and need_weights as given (True also returns the head-averaged weights)."""

    def __init__(self, d, heads, batch_first, causal, need_weights):
        super().__init__()
        self.batch_first = batch_first
        self.causal = causal
        self.need_weights = need_weights
        self.embed = nn.Embedding(VOCAB, d)
        self.attn = nn.MultiheadAttention(d, heads, batch_first=batch_first)
        self.head = nn.Linear(d, N_CLASSES)

    def forward(self, input_ids, attention_mask):
        x = self.embed(input_ids)
        pad = attention_mask.eq(0)
        causal = None
        if self.causal:
            t = input_ids.size(1)
            causal = torch.triu(torch.full((t, t), float("-inf")), diagonal=1)
        if not self.batch_first:
            x = x.transpose(0, 1)
        out, weights = self.attn(x, x, x, key_padding_mask=pad, attn_mask=causal,
                                 need_weights=self.need_weights)
        if not self.batch_first:
            out = out.transpose(0, 1)
        logits = self.head(mean_pool(out, attention_mask))
        return (logits, weights) if self.need_weights else logits


# name, description, factory, masked, output names, Attention nodes the cpu provider makes
def specs():
    enc = EncoderClassifier
    return [
        ("torch_encoder_issue23",
         "issue 23's classifier: TransformerEncoder d 64, 4 heads, d_ff 256, 2 layers, "
         "batch_first, norm_first, GELU, no mask, plain mean",
         lambda: enc(64, 4, 256, 2, True, True, "gelu", False), False, ["logits"]),
        ("torch_encoder_bf_postln_relu_mask",
         "TransformerEncoder batch_first, post-LN, ReLU, src_key_padding_mask; d 32, 4 heads, "
         "d_ff 64, 2 layers",
         lambda: enc(32, 4, 64, 2, True, False, "relu", True), True, ["logits"]),
        ("torch_encoder_bf_preln_gelu_mask",
         "TransformerEncoder batch_first, norm_first, GELU, src_key_padding_mask; d 32, 2 heads, "
         "d_ff 64, 2 layers",
         lambda: enc(32, 2, 64, 2, True, True, "gelu", True), True, ["logits"]),
        ("torch_encoder_sf_preln_relu_mask",
         "TransformerEncoder sequence-first, norm_first, ReLU, src_key_padding_mask; d 32, "
         "4 heads, d_ff 64, 1 layer",
         lambda: enc(32, 4, 64, 1, False, True, "relu", True), True, ["logits"]),
        ("torch_encoder_sf_postln_gelu",
         "TransformerEncoder sequence-first, post-LN, GELU, no mask; d 32, 4 heads, d_ff 64, "
         "2 layers",
         lambda: enc(32, 4, 64, 2, False, False, "gelu", False), False, ["logits"]),
        ("torch_mha_causal_mask",
         "nn.MultiheadAttention sequence-first, need_weights=False, causal attn_mask (-inf) + "
         "key_padding_mask; d 32, 4 heads",
         lambda: MhaClassifier(32, 4, False, True, False), True, ["logits"]),
        ("torch_mha_need_weights",
         "nn.MultiheadAttention batch_first, need_weights=True (head-averaged weights are an "
         "output), key_padding_mask; d 32, 2 heads",
         lambda: MhaClassifier(32, 2, True, False, True), True, ["logits", "attn_weights"]),
    ]


def export(model, path, masked, outputs):
    ids = torch.randint(0, 10, (2, 8), dtype=torch.int64)
    args = (ids, torch.ones(2, 8, dtype=torch.int64)) if masked else (ids,)
    names = ["input_ids", "attention_mask"] if masked else ["input_ids"]
    axes = {n: {0: "batch", 1: "sequence"} for n in names}
    axes["logits"] = {0: "batch"}
    if "attn_weights" in outputs:
        axes["attn_weights"] = {0: "batch", 1: "sequence", 2: "sequence"}
    torch.onnx.export(model, args, path, input_names=names, output_names=outputs,
                      opset_version=OPSET, do_constant_folding=True, dynamic_axes=axes)


def write_test_set(model, folder, ids, mask, masked, outputs):
    from onnx import numpy_helper
    os.makedirs(folder, exist_ok=True)
    with torch.no_grad():
        args = (torch.from_numpy(ids), torch.from_numpy(mask)) if masked else (
            torch.from_numpy(ids),)
        got = model(*args)
    got = got if isinstance(got, tuple) else (got,)
    arrays = [("input_ids", ids, "input_0.pb")]
    if masked:
        arrays.append(("attention_mask", mask, "input_1.pb"))
    for k, (name, t) in enumerate(zip(outputs, got)):
        arrays.append((name, t.numpy(), f"output_{k}.pb"))
    for name, arr, fname in arrays:
        with open(os.path.join(folder, fname), "wb") as f:
            f.write(numpy_helper.from_array(arr, name).SerializeToString())


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(root, "tests", "fixtures", "torch"))
    ap.add_argument("--seed", type=int, default=2323)
    args = ap.parse_args()
    print(f"torch {torch.__version__}", file=sys.stderr)
    # As gen_torch_fixtures.py: set 0 batch 3 with padding (7, 5, 2 real tokens), set 1 batch 1
    # seq 1, set 2 batch 5 seq 13 (13, 13, 9, 1, 6). Unmasked models see the padded ids as is.
    sets = [([7, 5, 2], 7), ([1], 1), ([13, 13, 9, 1, 6], 13)]
    os.makedirs(args.out, exist_ok=True)
    for i, (name, _title, make, masked, outputs) in enumerate(specs()):
        torch.manual_seed(args.seed + i)
        model = make()
        perturb_norms(model, torch.Generator().manual_seed(args.seed + 100 + i))
        model.eval()
        path = os.path.join(args.out, name + ".onnx")
        export(model, path, masked, outputs)
        rng = np.random.default_rng(args.seed + 200 + i)
        for k, (lengths, seq) in enumerate(sets):
            ids, mask = padded_inputs(rng, VOCAB, lengths, seq)
            write_test_set(model, os.path.join(args.out, name, f"test_data_set_{k}"), ids, mask,
                           masked, outputs)
        print(f"wrote {path} ({os.path.getsize(path)} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
