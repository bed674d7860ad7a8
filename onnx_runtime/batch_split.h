// Batch splitting: whether a graph treats the samples of its batch independently, so that the
// session may run a large batch as several cache-sized ones and get the same outputs.
//
// A batch of 32 sequences of 128 tokens makes every intermediate ~32x larger than at batch 1:
// they no longer fit in L2 and every op streams them from L3 or memory. Running the batch in
// chunks whose whole memory plan fits in L2 keeps the per-sample cost of batch 1.
//
// The check is symbolic and conservative: every graph input and output must carry the same
// symbolic leading dimension (e.g. "batch"), and every node on a path from an input must be one
// whose output rows depend only on the same rows of its batched inputs (elementwise ops, MatMul
// by a constant, norms and softmax over a later axis, Gather by batched indices, the fused
// attention, reshapes that keep the leading dimension, ...). Anything else (a reduction over the
// batch, a per-tensor quantization scale, a subgraph, an unknown op) says no, with the reason.
#pragma once

#include <string>

#include "onnx_runtime/graph.h"

namespace bog::runtime {

struct BatchSplitCheck {
  bool separable = false;
  std::string reason;  // why not (empty when separable)
  // Separable only if the parts run side by side and meet at each op that needs the whole batch
  // (DynamicQuantizeMatMul's activation min/max, lane_reduction.h): batch lanes, never chunks
  // run one after another. Empty when no op needs it.
  std::string lanes_only;
};

BatchSplitCheck check_batch_split(const Graph& graph);

}  // namespace bog::runtime
