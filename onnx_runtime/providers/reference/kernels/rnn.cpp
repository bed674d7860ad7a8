// RNN, GRU and LSTM (opset 7+; layout from 14): one plain time loop per direction and batch
// row. Gate order and equations follow the ONNX spec (GRU z,r,h; LSTM i,o,f,c with peepholes
// P = [Pi, Po, Pf]); directions forward/reverse/bidirectional, sequence_lens, initial states,
// clip, custom activations with alpha/beta, GRU linear_before_reset and LSTM input_forget.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>

#include "common/error.h"
#include "onnx_runtime/providers/reference/kernels/advanced_ops.h"
#include "onnx_runtime/providers/reference/kernels/float_io.h"
#include "onnx_runtime/providers/reference/kernels/kernel_util.h"

namespace bog::runtime::ref {
namespace {

enum class Cell { kRnn, kGru, kLstm };

[[noreturn]] void bad(const Node& node, const std::string& what) {
  throw Error(ErrorCategory::kInvalidModel,
              fmt::format("{} node '{}': {}", node.op_type, node.name, what));
}

using Activation = std::function<double(double)>;

// Builds activation `name`; those with parameters take the next alpha/beta values.
Activation make_activation(const std::string& name, const std::vector<float>& alphas,
                           const std::vector<float>& betas, size_t& ai, size_t& bi,
                           const Node& node) {
  auto next = [](const std::vector<float>& v, size_t& i, double fallback) {
    return i < v.size() ? static_cast<double>(v[i++]) : fallback;
  };
  if (name == "Sigmoid") return [](double x) { return 1.0 / (1.0 + std::exp(-x)); };
  if (name == "Tanh") return [](double x) { return std::tanh(x); };
  if (name == "Relu") return [](double x) { return std::max(0.0, x); };
  if (name == "Softsign") return [](double x) { return x / (1.0 + std::fabs(x)); };
  if (name == "Softplus") return [](double x) { return std::log1p(std::exp(x)); };
  if (name == "Affine") {
    const double a = next(alphas, ai, 1.0), b = next(betas, bi, 0.0);
    return [a, b](double x) { return a * x + b; };
  }
  if (name == "LeakyRelu") {
    const double a = next(alphas, ai, 0.01);
    return [a](double x) { return x >= 0 ? x : a * x; };
  }
  if (name == "ThresholdedRelu") {
    const double a = next(alphas, ai, 1.0);
    return [a](double x) { return x > a ? x : 0.0; };
  }
  if (name == "ScaledTanh") {
    const double a = next(alphas, ai, 1.0), b = next(betas, bi, 1.0);
    return [a, b](double x) { return a * std::tanh(b * x); };
  }
  if (name == "HardSigmoid") {
    const double a = next(alphas, ai, 0.2), b = next(betas, bi, 0.5);
    return [a, b](double x) { return std::clamp(a * x + b, 0.0, 1.0); };
  }
  if (name == "Elu") {
    const double a = next(alphas, ai, 1.0);
    return [a](double x) { return x >= 0 ? x : a * (std::exp(x) - 1.0); };
  }
  bad(node, fmt::format("unsupported activation '{}'", name));
}

void recurrent(KernelContext& ctx, Cell cell) {
  const Node& node = ctx.node();
  const Tensor& x_t = ctx.input(0);
  if (!is_float_family(x_t.dtype())) unsupported_dtype(node, x_t.dtype());
  const int64_t gates = cell == Cell::kRnn ? 1 : cell == Cell::kGru ? 3 : 4;
  const int64_t n_act = cell == Cell::kRnn ? 1 : cell == Cell::kGru ? 2 : 3;
  const int64_t hidden = node.attr_int("hidden_size", 0);
  const int64_t layout = node.attr_int("layout", 0);
  const std::string direction = node.attr_string("direction", "forward");
  const int64_t dirs = direction == "bidirectional" ? 2 : 1;
  if (direction != "forward" && direction != "reverse" && direction != "bidirectional") {
    bad(node, fmt::format("unknown direction '{}'", direction));
  }
  if (x_t.rank() != 3) bad(node, "X must be 3-D");
  const int64_t seq = layout == 0 ? x_t.dim(0) : x_t.dim(1);
  const int64_t batch = layout == 0 ? x_t.dim(1) : x_t.dim(0);
  const int64_t in = x_t.dim(2);
  const Tensor& w_t = ctx.input(1);
  const Tensor& r_t = ctx.input(2);
  if (hidden <= 0) bad(node, "hidden_size must be positive");
  if (w_t.shape() != Shape{dirs, gates * hidden, in} ||
      r_t.shape() != Shape{dirs, gates * hidden, hidden}) {
    bad(node,
        fmt::format("W {} / R {} do not fit {} direction(s), hidden {}, input {}",
                    shape_to_string(w_t.shape()), shape_to_string(r_t.shape()), dirs, hidden, in));
  }
  const std::vector<double> x = read_doubles(x_t, node);
  const std::vector<double> w = read_doubles(w_t, node);
  const std::vector<double> r = read_doubles(r_t, node);
  std::vector<double> bias(static_cast<size_t>(dirs * 2 * gates * hidden), 0.0);
  if (ctx.has_input(3)) {
    if (ctx.input(3).numel() != static_cast<int64_t>(bias.size()))
      bad(node, "B has the wrong size");
    bias = read_doubles(ctx.input(3), node);
  }
  std::vector<int64_t> lens(static_cast<size_t>(batch), seq);
  if (ctx.has_input(4)) {
    const std::vector<double> l = read_numeric_as_doubles(ctx.input(4), node);
    if (l.size() != lens.size()) bad(node, "sequence_lens must be [batch]");
    for (size_t i = 0; i < l.size(); ++i) {
      lens[i] = static_cast<int64_t>(l[i]);
      if (lens[i] < 0 || lens[i] > seq)
        bad(node, fmt::format("sequence length {} out of range", lens[i]));
    }
  }
  // States are kept as [dirs, batch, hidden] whatever the layout.
  auto read_state = [&](size_t i) {
    std::vector<double> s(static_cast<size_t>(dirs * batch * hidden), 0.0);
    if (!ctx.has_input(i)) return s;
    const std::vector<double> v = read_doubles(ctx.input(i), node);
    if (v.size() != s.size())
      bad(node, fmt::format("initial state input {} has the wrong size", i));
    for (int64_t d = 0; d < dirs; ++d)
      for (int64_t b = 0; b < batch; ++b)
        for (int64_t h = 0; h < hidden; ++h)
          s[static_cast<size_t>((d * batch + b) * hidden + h)] = v[static_cast<size_t>(
              layout == 0 ? (d * batch + b) * hidden + h : (b * dirs + d) * hidden + h)];
    return s;
  };
  std::vector<double> h_state = read_state(5);
  std::vector<double> c_state = cell == Cell::kLstm ? read_state(6) : std::vector<double>();
  std::vector<double> peep(static_cast<size_t>(dirs * 3 * hidden), 0.0);
  if (cell == Cell::kLstm && ctx.has_input(7)) {
    if (ctx.input(7).numel() != static_cast<int64_t>(peep.size()))
      bad(node, "P has the wrong size");
    peep = read_doubles(ctx.input(7), node);
  }

  // Activations: given names per direction, else the defaults.
  std::vector<std::string> names = node.attr_strings("activations");
  if (names.empty()) {
    const std::vector<std::string> def = cell == Cell::kRnn ? std::vector<std::string>{"Tanh"}
                                         : cell == Cell::kGru
                                             ? std::vector<std::string>{"Sigmoid", "Tanh"}
                                             : std::vector<std::string>{"Sigmoid", "Tanh", "Tanh"};
    for (int64_t d = 0; d < dirs; ++d) names.insert(names.end(), def.begin(), def.end());
  }
  if (static_cast<int64_t>(names.size()) != n_act * dirs) {
    bad(node, fmt::format("expected {} activations, got {}", n_act * dirs, names.size()));
  }
  const std::vector<float> alphas = node.attr_floats("activation_alpha");
  const std::vector<float> betas = node.attr_floats("activation_beta");
  size_t ai = 0, bi = 0;
  std::vector<Activation> act;
  for (const std::string& n : names) act.push_back(make_activation(n, alphas, betas, ai, bi, node));
  const bool has_clip = node.has_attr("clip");
  const double clip = node.attr_float("clip", 0.0f);
  auto clipped = [&](double v) { return has_clip ? std::clamp(v, -clip, clip) : v; };
  const bool linear_before_reset = node.attr_int("linear_before_reset", 0) != 0;
  const bool input_forget = node.attr_int("input_forget", 0) != 0;

  std::vector<double> y(static_cast<size_t>(seq * dirs * batch * hidden),
                        0.0);  // [seq, dirs, batch, H]
  std::vector<double> pre(static_cast<size_t>(gates * hidden));
  std::vector<double> rec(static_cast<size_t>(gates * hidden));
  for (int64_t d = 0; d < dirs; ++d) {
    const bool reverse = direction == "reverse" || d == 1;
    const double* wd = &w[static_cast<size_t>(d * gates * hidden * in)];
    const double* rd = &r[static_cast<size_t>(d * gates * hidden * hidden)];
    const double* wb = &bias[static_cast<size_t>(d * 2 * gates * hidden)];
    const double* rb = wb + gates * hidden;
    const double* pd = &peep[static_cast<size_t>(d * 3 * hidden)];
    const Activation& f = act[static_cast<size_t>(d * n_act)];
    for (int64_t b = 0; b < batch; ++b) {
      double* hs = &h_state[static_cast<size_t>((d * batch + b) * hidden)];
      double* cs =
          cell == Cell::kLstm ? &c_state[static_cast<size_t>((d * batch + b) * hidden)] : nullptr;
      const int64_t len = lens[static_cast<size_t>(b)];
      for (int64_t step = 0; step < len; ++step) {
        const int64_t t = reverse ? len - 1 - step : step;
        const double* xt =
            &x[static_cast<size_t>(layout == 0 ? (t * batch + b) * in : (b * seq + t) * in)];
        for (int64_t g = 0; g < gates * hidden; ++g) {
          double sx = wb[g], sr = rb[g];
          for (int64_t k = 0; k < in; ++k) sx += xt[k] * wd[g * in + k];
          for (int64_t k = 0; k < hidden; ++k) sr += hs[k] * rd[g * hidden + k];
          pre[static_cast<size_t>(g)] = sx;
          rec[static_cast<size_t>(g)] = sr;
        }
        std::vector<double> next(static_cast<size_t>(hidden));
        for (int64_t h = 0; h < hidden; ++h) {
          auto gate = [&](int64_t gi) {
            const size_t idx = static_cast<size_t>(gi * hidden + h);
            return pre[idx] + rec[idx];
          };
          if (cell == Cell::kRnn) {
            next[static_cast<size_t>(h)] = f(clipped(gate(0)));
          } else if (cell == Cell::kGru) {
            const Activation& g = act[static_cast<size_t>(d * n_act + 1)];
            const double z = f(clipped(gate(0)));
            const double rr = f(clipped(gate(1)));
            double hh;
            if (linear_before_reset) {
              hh = g(clipped(pre[static_cast<size_t>(2 * hidden + h)] +
                             rr * rec[static_cast<size_t>(2 * hidden + h)]));
            } else {
              // (r * H) R_h^T needs the reset state, so recompute that product here.
              double s = pre[static_cast<size_t>(2 * hidden + h)] + rb[2 * hidden + h];
              for (int64_t k = 0; k < hidden; ++k) {
                const double rk = f(clipped(pre[static_cast<size_t>(hidden + k)] +
                                            rec[static_cast<size_t>(hidden + k)]));
                s += rk * hs[k] * rd[(2 * hidden + h) * hidden + k];
              }
              hh = g(clipped(s));
            }
            next[static_cast<size_t>(h)] = (1.0 - z) * hh + z * hs[h];
          } else {
            const Activation& g = act[static_cast<size_t>(d * n_act + 1)];
            const Activation& hf = act[static_cast<size_t>(d * n_act + 2)];
            const double i_g = f(clipped(gate(0) + pd[h] * cs[h]));
            const double f_g =
                input_forget ? 1.0 - i_g : f(clipped(gate(2) + pd[2 * hidden + h] * cs[h]));
            const double c_g = g(clipped(gate(3)));
            const double c_new = f_g * cs[h] + i_g * c_g;
            const double o_g = f(clipped(gate(1) + pd[hidden + h] * c_new));
            next[static_cast<size_t>(h)] = o_g * hf(c_new);
            cs[h] = c_new;  // c of other units is not read again in this step
          }
        }
        std::copy(next.begin(), next.end(), hs);
        std::copy(next.begin(), next.end(),
                  &y[static_cast<size_t>(((t * dirs + d) * batch + b) * hidden)]);
      }
    }
  }

  const DType dt = x_t.dtype();
  if (ctx.has_output(0)) {
    std::vector<double> yo(y.size());
    for (int64_t t = 0; t < seq; ++t)
      for (int64_t d = 0; d < dirs; ++d)
        for (int64_t b = 0; b < batch; ++b)
          for (int64_t h = 0; h < hidden; ++h)
            yo[static_cast<size_t>(layout == 0 ? ((t * dirs + d) * batch + b) * hidden + h
                                               : ((b * seq + t) * dirs + d) * hidden + h)] =
                y[static_cast<size_t>(((t * dirs + d) * batch + b) * hidden + h)];
    const Shape shape =
        layout == 0 ? Shape{seq, dirs, batch, hidden} : Shape{batch, seq, dirs, hidden};
    ctx.set_output(0, make_float_tensor(dt, shape, yo, node));
  }
  auto write_state = [&](size_t i, const std::vector<double>& s) {
    if (!ctx.has_output(i)) return;
    std::vector<double> o(s.size());
    for (int64_t d = 0; d < dirs; ++d)
      for (int64_t b = 0; b < batch; ++b)
        for (int64_t h = 0; h < hidden; ++h)
          o[static_cast<size_t>(layout == 0 ? (d * batch + b) * hidden + h
                                            : (b * dirs + d) * hidden + h)] =
              s[static_cast<size_t>((d * batch + b) * hidden + h)];
    const Shape shape = layout == 0 ? Shape{dirs, batch, hidden} : Shape{batch, dirs, hidden};
    ctx.set_output(i, make_float_tensor(dt, shape, o, node));
  };
  write_state(1, h_state);
  if (cell == Cell::kLstm) write_state(2, c_state);
}

}  // namespace

void register_rnn(KernelRegistry& registry) {
  registry.add({"RNN", "", 7, 1 << 20, [](KernelContext& c) { recurrent(c, Cell::kRnn); }});
  registry.add({"GRU", "", 7, 1 << 20, [](KernelContext& c) { recurrent(c, Cell::kGru); }});
  registry.add({"LSTM", "", 7, 1 << 20, [](KernelContext& c) { recurrent(c, Cell::kLstm); }});
}

}  // namespace bog::runtime::ref
