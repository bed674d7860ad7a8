// RNN / GRU / LSTM: a reverse pass equals a forward pass over the time-reversed input,
// bidirectional stacks both, sequence_lens zero-fills Y and stops Y_h at the last valid step,
// and a one-unit RNN with hand-picked weights matches tanh by hand.
#include <gtest/gtest.h>

#include <cmath>

#include "onnx_runtime/providers/reference/reference_provider.h"
#include "tests/runtime/kernel_test_util.h"

namespace bog::runtime {
namespace {

using testing::int_attr;
using testing::make_node;
using testing::random_tensor;
using testing::run_node;
using testing::string_attr;

template <class... T>
std::vector<Tensor> tensors(T&&... t) {
  std::vector<Tensor> v;
  (v.push_back(std::forward<T>(t)), ...);
  return v;
}

Tensor reverse_time(const Tensor& x) {  // [seq, batch, input]
  Tensor o(DType::kFloat32, x.shape());
  const int64_t seq = x.dim(0), row = x.numel() / std::max<int64_t>(seq, 1);
  for (int64_t t = 0; t < seq; ++t)
    for (int64_t i = 0; i < row; ++i)
      o.data<float>()[t * row + i] = x.data<float>()[(seq - 1 - t) * row + i];
  return o;
}

TEST(RecurrentKernels, ReverseEqualsForwardOnReversedInputAndBidirectionalStacksBoth) {
  ReferenceProvider ref;
  const struct {
    const char* op;
    int64_t gates;
  } cells[] = {{"RNN", 1}, {"GRU", 3}, {"LSTM", 4}};
  uint32_t seed = 80;
  for (const auto& cell : cells) {
    for (const int64_t seq : {1, 4}) {
      ++seed;
      SCOPED_TRACE(::testing::Message() << cell.op << " seed " << seed << " seq " << seq);
      const int64_t batch = 3, in = 5, hid = 2;
      Tensor x = random_tensor({seq, batch, in}, seed);
      Tensor w = random_tensor({1, cell.gates * hid, in}, seed + 1);
      Tensor r = random_tensor({1, cell.gates * hid, hid}, seed + 2);
      Tensor b = random_tensor({1, 2 * cell.gates * hid}, seed + 3);
      auto node = [&](const char* dir) {
        return make_node(cell.op, 4, 2, 22,
                         {int_attr("hidden_size", hid), string_attr("direction", dir)});
      };
      std::vector<Value> fwd =
          run_node(ref, node("forward"), tensors(reverse_time(x), w.clone(), r.clone(), b.clone()));
      std::vector<Value> rev =
          run_node(ref, node("reverse"), tensors(x.clone(), w.clone(), r.clone(), b.clone()));
      for (int64_t i = 0; i < batch * hid; ++i) {
        EXPECT_NEAR(rev[1].tensor.data<float>()[i], fwd[1].tensor.data<float>()[i], 1e-6);
      }
      // Bidirectional with the same weights twice: direction 0 is the forward pass over x.
      auto twice = [](const Tensor& t) {
        Shape s = t.shape();
        s[0] = 2;
        Tensor o(DType::kFloat32, s);
        for (int64_t i = 0; i < o.numel(); ++i) o.data<float>()[i] = t.data<float>()[i % t.numel()];
        return o;
      };
      std::vector<Value> bi =
          run_node(ref, node("bidirectional"), tensors(x.clone(), twice(w), twice(r), twice(b)));
      std::vector<Value> plain =
          run_node(ref, node("forward"), tensors(x.clone(), w.clone(), r.clone(), b.clone()));
      ASSERT_EQ(bi[1].tensor.shape(), (Shape{2, batch, hid}));
      for (int64_t i = 0; i < batch * hid; ++i) {
        EXPECT_NEAR(bi[1].tensor.data<float>()[i], plain[1].tensor.data<float>()[i], 1e-6);
        EXPECT_NEAR(bi[1].tensor.data<float>()[batch * hid + i], rev[1].tensor.data<float>()[i],
                    1e-6);
      }
    }
  }
}

TEST(RecurrentKernels, SequenceLensZeroFillsAndStopsState) {
  ReferenceProvider ref;
  const int64_t seq = 4, batch = 2, in = 3, hid = 2;
  Tensor x = random_tensor({seq, batch, in}, 5);
  Tensor w = random_tensor({1, 4 * hid, in}, 6);
  Tensor r = random_tensor({1, 4 * hid, hid}, 7);
  Node node = make_node("LSTM", 5, 2, 22, {int_attr("hidden_size", hid)});
  node.inputs[3] = "";
  std::vector<Value> inputs;
  inputs.push_back(Value::from_tensor(x.clone()));
  inputs.push_back(Value::from_tensor(w.clone()));
  inputs.push_back(Value::from_tensor(r.clone()));
  inputs.push_back(Value());
  inputs.push_back(Value::from_tensor(Tensor::from_vector<int32_t>({batch}, {4, 2})));
  std::vector<const Value*> ptrs = {&inputs[0], &inputs[1], &inputs[2], nullptr, &inputs[4]};
  std::vector<Value> out = run_node(ref, node, ptrs);
  const float* y = out[0].tensor.data<float>();  // [seq, 1, batch, hid]
  for (int64_t t = 2; t < seq; ++t)
    for (int64_t h = 0; h < hid; ++h) EXPECT_EQ(y[(t * batch + 1) * hid + h], 0.0f);
  for (int64_t h = 0; h < hid; ++h) {
    EXPECT_EQ(out[1].tensor.data<float>()[hid + h], y[(1 * batch + 1) * hid + h]);
    EXPECT_EQ(out[1].tensor.data<float>()[h], y[(3 * batch + 0) * hid + h]);
  }
}

TEST(RecurrentKernels, OneUnitRnnMatchesHandComputation) {
  ReferenceProvider ref;
  Tensor x = Tensor::from_vector<float>({2, 1, 1}, {1.0f, -2.0f});
  std::vector<Value> out =
      run_node(ref, make_node("RNN", 4, 2, 22, {int_attr("hidden_size", 1)}),
               tensors(std::move(x), Tensor::from_vector<float>({1, 1, 1}, {0.5f}),
                       Tensor::from_vector<float>({1, 1, 1}, {2.0f}),
                       Tensor::from_vector<float>({1, 2}, {0.1f, 0.2f})));
  const double h1 = std::tanh(0.5 * 1.0 + 0.3);
  const double h2 = std::tanh(0.5 * -2.0 + 2.0 * h1 + 0.3);
  EXPECT_NEAR(out[0].tensor.data<float>()[0], h1, 1e-6);
  EXPECT_NEAR(out[1].tensor.data<float>()[0], h2, 1e-6);
}

}  // namespace
}  // namespace bog::runtime
