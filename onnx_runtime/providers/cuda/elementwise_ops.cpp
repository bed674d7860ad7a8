// Elementwise ops on the device: unary math (Neg ... Gelu) and broadcasting binary arithmetic.
#include <fmt/format.h>

#include <algorithm>

#include "common/error.h"
#include "onnx_runtime/providers/cuda/cuda_ops.h"

namespace bog::runtime::cuda {
namespace {

// Strides of `in` read as `out` (0 along broadcast dims), right-aligned.
void broadcast_strides(const Shape& in, const Shape& out, int64_t* strides) {
  const size_t off = out.size() - in.size();
  const std::vector<int64_t> s = strides_of(in);
  for (size_t i = 0; i < out.size(); ++i) {
    strides[i] = i < off || in[i - off] == 1 ? 0 : s[i - off];
  }
}

void add_unary(KernelRegistry& r, const OpEnv* env, const char* op, int since, UnaryOp u) {
  r.add({op, "", since, 1 << 20, [env, u, op](KernelContext& k) {
           const Tensor& x = k.input(0);
           require_float(x, k.node(), 0);
           Tensor& y = allocate_output(k, *env, 0, DType::kFloat32, x.shape());
           launch_unary(u, x.data<float>(), y.data<float>(), x.numel(), env->ctx->stream());
           check_launch(op);
         }});
}

void add_binary(KernelRegistry& r, const OpEnv* env, const char* op, int since, BinaryOp b) {
  r.add({op, "", since, 1 << 20, [env, b, op](KernelContext& k) {
           const Tensor& x = k.input(0);
           const Tensor& z = k.input(1);
           require_float(x, k.node(), 0);
           require_float(z, k.node(), 1);
           const Shape out = broadcast_pair(x.shape(), z.shape(), k.node());
           require_rank(static_cast<int64_t>(out.size()), k.node());
           StridedWalk w;
           w.rank = static_cast<int>(out.size());
           std::copy(out.begin(), out.end(), w.dims);
           broadcast_strides(x.shape(), out, w.src_strides);
           broadcast_strides(z.shape(), out, w.dst_strides);
           Tensor& y = allocate_output(k, *env, 0, DType::kFloat32, out);
           launch_binary(b, x.data<float>(), z.data<float>(), y.data<float>(), y.numel(), w,
                         env->ctx->stream());
           check_launch(op);
         }});
}

}  // namespace

void register_elementwise_ops(KernelRegistry& r, const OpEnv* env) {
  add_unary(r, env, "Neg", 6, UnaryOp::kNeg);
  add_unary(r, env, "Abs", 6, UnaryOp::kAbs);
  add_unary(r, env, "Sqrt", 6, UnaryOp::kSqrt);
  add_unary(r, env, "Reciprocal", 6, UnaryOp::kReciprocal);
  add_unary(r, env, "Exp", 6, UnaryOp::kExp);
  add_unary(r, env, "Log", 6, UnaryOp::kLog);
  add_unary(r, env, "Tanh", 6, UnaryOp::kTanh);
  add_unary(r, env, "Sigmoid", 6, UnaryOp::kSigmoid);
  add_unary(r, env, "Relu", 6, UnaryOp::kRelu);
  add_unary(r, env, "Erf", 9, UnaryOp::kErf);
  r.add({"Gelu", "", 20, 1 << 20, [env](KernelContext& k) {
           const Tensor& x = k.input(0);
           require_float(x, k.node(), 0);
           const std::string approximate = k.node().attr_string("approximate", "none");
           if (approximate != "none" && approximate != "tanh") {
             throw Error(ErrorCategory::kInvalidModel,
                         fmt::format("Gelu node '{}': approximate must be 'none' or 'tanh', "
                                     "got '{}'",
                                     k.node().name, approximate));
           }
           Tensor& y = allocate_output(k, *env, 0, DType::kFloat32, x.shape());
           launch_unary(approximate == "none" ? UnaryOp::kGelu : UnaryOp::kGeluTanh,
                        x.data<float>(), y.data<float>(), x.numel(), env->ctx->stream());
           check_launch("Gelu");
         }});
  add_binary(r, env, "Add", 7, BinaryOp::kAdd);
  add_binary(r, env, "Sub", 7, BinaryOp::kSub);
  add_binary(r, env, "Mul", 7, BinaryOp::kMul);
  add_binary(r, env, "Div", 7, BinaryOp::kDiv);
  add_binary(r, env, "Pow", 7, BinaryOp::kPow);
}

}  // namespace bog::runtime::cuda
