// The two Python-backend models of the Triton ensemble (serve/triton_ensemble.h), as the text of
// their model.py: text -> token ids as `bog serve` encodes them, and logits -> the
// probabilities and label `bog serve` answers with. They run inside Triton only; no build or test
// step of this project runs Python.
#pragma once

namespace bog::serve {

// <name>_tokenize/1/model.py: input `text` (TYPE_STRING [-1]) -> the ONNX model's `input_ids`
// (and `attention_mask` when it has one), INT64 [n, max_len]: [CLS] when prepend_cls, the
// SentencePiece ids of 1/tokenizer.model, an UNK for an empty encoding, truncated to max_len,
// right-padded with 0. Parameters (config.pbtxt): max_len, prepend_cls, max_texts,
// ids_name, mask_name (empty: no mask input).
extern const char* const kTritonTokenizePy;

// <name>_postprocess/1/model.py: `logits` FP32 [n, classes] -> `probabilities` (softmax,
// max-subtracted, in float64 then FP32) and `label` (TYPE_STRING [n], the argmax's line of
// labels.txt). Parameter: logits_name.
extern const char* const kTritonPostprocessPy;

}  // namespace bog::serve
