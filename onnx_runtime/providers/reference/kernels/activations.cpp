// Activations: Relu, LeakyRelu, PRelu, Elu, Selu, Celu, Sigmoid, HardSigmoid, HardSwish,
// Softplus, Softsign, ThresholdedRelu, Mish, Gelu and Swish, with the attribute defaults of
// the ONNX spec. (Shrink lives with the nn family, shrink.cpp.)
#include <algorithm>
#include <cmath>
#include <numbers>

#include "onnx_runtime/providers/reference/kernels/elementwise_util.h"

namespace bog::runtime::ref {
namespace {

// Registers a float-only activation built from the node: make(node) returns y = f(x).
template <class Make>
void add_float_activation(KernelRegistry& registry, const char* op, int since, Make make) {
  add_kernel(registry, op, since,
             [make](KernelContext& ctx) { unary_map<void>(ctx, FloatTypes{}, make(ctx.node())); });
}

// Written so neither branch overflows: exp of a large positive argument never happens.
template <class C>
C sigmoid(C x) {
  if (x >= C{0}) return C{1} / (C{1} + std::exp(-x));
  const C e = std::exp(x);
  return e / (C{1} + e);
}

// log(1 + exp(x)) without overflow for large x.
template <class C>
C softplus(C x) {
  if (x > C{0}) return x + std::log1p(std::exp(-x));
  return std::log1p(std::exp(x));
}

}  // namespace

void register_activations(KernelRegistry& registry) {
  add_kernel(registry, "Relu", 1, [](KernelContext& ctx) {
    unary_map<void>(ctx, SignedNumericTypes{},
                    [](auto x) { return x > decltype(x){0} ? x : decltype(x){0}; });
  });
  add_kernel(registry, "PRelu", 1, [](KernelContext& ctx) {
    binary_map<void>(ctx, NumericTypes{}, [](auto x, auto slope) {
      return x < decltype(x){0} ? wrap_mul(x, slope) : x;
    });
  });
  add_float_activation(registry, "LeakyRelu", 1, [](const Node& n) {
    const float alpha = n.attr_float("alpha", 0.01f);
    return [alpha](auto x) {
      using C = decltype(x);
      return x < C{0} ? static_cast<C>(alpha) * x : x;
    };
  });
  add_float_activation(registry, "Elu", 1, [](const Node& n) {
    const float alpha = n.attr_float("alpha", 1.0f);
    return [alpha](auto x) {
      using C = decltype(x);
      return x < C{0} ? static_cast<C>(alpha) * std::expm1(x) : x;
    };
  });
  add_float_activation(registry, "Selu", 1, [](const Node& n) {
    const float alpha = n.attr_float("alpha", 1.67326319217681884765625f);
    const float gamma = n.attr_float("gamma", 1.05070102214813232421875f);
    return [alpha, gamma](auto x) {
      using C = decltype(x);
      const C g = static_cast<C>(gamma);
      return x > C{0} ? g * x : g * (static_cast<C>(alpha) * std::exp(x) - static_cast<C>(alpha));
    };
  });
  add_float_activation(registry, "Celu", 12, [](const Node& n) {
    const float alpha = n.attr_float("alpha", 1.0f);
    return [alpha](auto x) {
      using C = decltype(x);
      const C a = static_cast<C>(alpha);
      return std::max(C{0}, x) + std::min(C{0}, a * std::expm1(x / a));
    };
  });
  add_float_activation(registry, "Sigmoid", 1,
                       [](const Node&) { return [](auto x) { return sigmoid(x); }; });
  add_float_activation(registry, "HardSigmoid", 1, [](const Node& n) {
    const float alpha = n.attr_float("alpha", 0.2f);
    const float beta = n.attr_float("beta", 0.5f);
    return [alpha, beta](auto x) {
      using C = decltype(x);
      return std::max(C{0}, std::min(C{1}, static_cast<C>(alpha) * x + static_cast<C>(beta)));
    };
  });
  add_float_activation(registry, "HardSwish", 14, [](const Node&) {
    return [](auto x) {
      using C = decltype(x);
      return x * std::max(C{0}, std::min(C{1}, x / C{6} + C{0.5}));
    };
  });
  add_float_activation(registry, "Softplus", 1,
                       [](const Node&) { return [](auto x) { return softplus(x); }; });
  add_float_activation(registry, "Softsign", 1, [](const Node&) {
    return [](auto x) { return x / (decltype(x){1} + std::fabs(x)); };
  });
  add_float_activation(registry, "ThresholdedRelu", 10, [](const Node& n) {
    const float alpha = n.attr_float("alpha", 1.0f);
    return [alpha](auto x) {
      using C = decltype(x);
      return x > static_cast<C>(alpha) ? x : C{0};
    };
  });
  add_float_activation(registry, "Mish", 18, [](const Node&) {
    return [](auto x) { return x * std::tanh(softplus(x)); };
  });
  add_kernel(registry, "Gelu", 20, [](KernelContext& ctx) {
    const std::string approximate = ctx.node().attr_string("approximate", "none");
    if (approximate == "none") {
      unary_map<void>(ctx, FloatTypes{}, [](auto x) {
        using C = decltype(x);
        return C{0.5} * x * (C{1} + std::erf(x / std::numbers::sqrt2_v<C>));
      });
    } else if (approximate == "tanh") {
      unary_map<void>(ctx, FloatTypes{}, [](auto x) {
        using C = decltype(x);
        const C k = std::sqrt(C{2} / std::numbers::pi_v<C>);
        return C{0.5} * x * (C{1} + std::tanh(k * (x + C{0.044715} * x * x * x)));
      });
    } else {
      throw Error(ErrorCategory::kInvalidModel,
                  fmt::format("Gelu node '{}': approximate must be 'none' or 'tanh', got '{}'",
                              ctx.node().name, approximate));
    }
  });
  add_float_activation(registry, "Swish", 24, [](const Node& n) {
    const float alpha = n.attr_float("alpha", 1.0f);
    return [alpha](auto x) { return x * sigmoid(static_cast<decltype(x)>(alpha) * x); };
  });
}

}  // namespace bog::runtime::ref
