#include "serve/triton_python.h"

namespace bog::serve {

const char* const kTritonTokenizePy =
    R"PY(# Written by `bog export --triton-repo`: the text -> token ids step of the ensemble.
# Encodes as `bog serve` does (serve/classifier.cpp): [CLS] when prepend_cls, the SentencePiece
# ids, an UNK (1) when nothing else is left, truncated to max_len, right-padded with 0 (pad).
# Needs the sentencepiece package in the Python backend's environment.
import json
import os

import numpy as np
import sentencepiece as spm
import triton_python_backend_utils as pb_utils

CLS_ID = 2
UNK_ID = 1
PAD_ID = 0


class TritonPythonModel:
    def initialize(self, args):
        params = json.loads(args["model_config"])["parameters"]
        self.max_len = int(params["max_len"]["string_value"])
        self.prepend_cls = params["prepend_cls"]["string_value"] == "true"
        self.max_texts = int(params["max_texts"]["string_value"])
        self.ids_name = params["ids_name"]["string_value"]
        self.mask_name = params["mask_name"]["string_value"]
        here = os.path.join(args["model_repository"], args["model_version"])
        self.sp = spm.SentencePieceProcessor(model_file=os.path.join(here, "tokenizer.model"))

    def encode(self, text):
        ids = ([CLS_ID] if self.prepend_cls else []) + list(self.sp.encode(text))
        if not ids or (self.prepend_cls and len(ids) == 1):
            ids.append(UNK_ID)
        return ids[: self.max_len]

    def tokenize(self, texts):
        if len(texts) == 0:
            raise ValueError("input 'text' holds no texts")
        if len(texts) > self.max_texts:
            raise ValueError(f"at most {self.max_texts} texts per request (got {len(texts)})")
        ids = np.full((len(texts), self.max_len), PAD_ID, dtype=np.int64)
        mask = np.zeros((len(texts), self.max_len), dtype=np.int64)
        for i, raw in enumerate(texts):
            text = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
            if not text.strip():
                raise ValueError(f"text {i} is empty")
            row = self.encode(text)
            ids[i, : len(row)] = row
            mask[i, : len(row)] = 1
        return ids, mask

    def execute(self, requests):
        responses = []
        for request in requests:
            texts = pb_utils.get_input_tensor_by_name(request, "text").as_numpy().reshape(-1)
            try:
                ids, mask = self.tokenize(texts)
            except (ValueError, UnicodeDecodeError) as e:
                responses.append(pb_utils.InferenceResponse(error=pb_utils.TritonError(str(e))))
                continue
            outputs = [pb_utils.Tensor(self.ids_name, ids)]
            if self.mask_name:
                outputs.append(pb_utils.Tensor(self.mask_name, mask))
            responses.append(pb_utils.InferenceResponse(output_tensors=outputs))
        return responses
)PY";

const char* const kTritonPostprocessPy =
    R"PY(# Written by `bog export --triton-repo`: the logits -> probabilities and label step of the
# ensemble, as `bog serve` answers (softmax after subtracting the row maximum, in float64).
import json
import os

import numpy as np
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def initialize(self, args):
        params = json.loads(args["model_config"])["parameters"]
        self.logits_name = params["logits_name"]["string_value"]
        with open(os.path.join(args["model_repository"], "labels.txt"), encoding="utf-8") as f:
            self.labels = [line.rstrip("\n").encode("utf-8") for line in f if line.strip()]

    def execute(self, requests):
        responses = []
        for request in requests:
            logits = pb_utils.get_input_tensor_by_name(request, self.logits_name).as_numpy()
            z = logits.astype(np.float64)
            e = np.exp(z - z.max(axis=1, keepdims=True))
            probs = (e / e.sum(axis=1, keepdims=True)).astype(np.float32)
            label = np.array([self.labels[k] for k in probs.argmax(axis=1)], dtype=np.object_)
            responses.append(
                pb_utils.InferenceResponse(
                    output_tensors=[
                        pb_utils.Tensor("probabilities", probs),
                        pb_utils.Tensor("label", label),
                    ]
                )
            )
        return responses
)PY";

}  // namespace bog::serve
