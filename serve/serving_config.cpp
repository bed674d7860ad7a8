#include "serve/serving_config.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cstdlib>

#include "common/atomic_file.h"
#include "common/error.h"

namespace bog::serve {
namespace {

Error bad(const std::string& source, const std::string& key, const std::string& what) {
  return Error(ErrorCategory::kInvalidArgument, fmt::format("{}: {}: {}", source, key, what));
}

template <typename T>
T scalar(const YAML::Node& n, const std::string& source, const std::string& key) {
  if (!n.IsScalar()) throw bad(source, key, "expected a scalar");
  try {
    return n.as<T>();
  } catch (const YAML::Exception&) {
    throw bad(source, key, fmt::format("wrong type ('{}')", n.Scalar()));
  }
}

OverlongPolicy parse_overlong(const std::string& s, const std::string& source) {
  if (s == "truncate") return OverlongPolicy::kTruncate;
  if (s == "reject") return OverlongPolicy::kReject;
  throw bad(source, "overlong", fmt::format("'{}' is not truncate or reject", s));
}

int parse_port(const std::string& s, const std::string& source) {
  int port = -1;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), port);
  if (ec != std::errc() || end != s.data() + s.size() || port < 0 || port > 65535) {
    throw bad(source, "port", fmt::format("'{}' is not a port (0-65535)", s));
  }
  return port;
}

void require(bool ok, const std::string& key, const std::string& what) {
  if (!ok) throw bad("serving config", key, what);
}

}  // namespace

const char* overlong_name(OverlongPolicy policy) {
  return policy == OverlongPolicy::kTruncate ? "truncate" : "reject";
}

ServingConfig parse_serving_config(const std::string& text, const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw Error(ErrorCategory::kInvalidArgument, fmt::format("{}: not YAML: {}", source, e.msg));
  }
  ServingConfig c;
  if (root.IsNull()) return c;
  if (!root.IsMap()) throw bad(source, "<root>", "expected a mapping");
  for (const auto& kv : root) {
    const std::string key = kv.first.as<std::string>();
    const YAML::Node& v = kv.second;
    if (key == "bundle") {
      c.bundle = scalar<std::string>(v, source, key);
    } else if (key == "onnx") {
      c.onnx = scalar<std::string>(v, source, key);
    } else if (key == "host") {
      c.host = scalar<std::string>(v, source, key);
    } else if (key == "port") {
      c.port = parse_port(scalar<std::string>(v, source, key), source);
    } else if (key == "provider") {
      c.provider = scalar<std::string>(v, source, key);
    } else if (key == "threads") {
      c.threads = scalar<int>(v, source, key);
    } else if (key == "precision") {
      c.precision = scalar<std::string>(v, source, key);
    } else if (key == "http_threads") {
      c.http_threads = scalar<int>(v, source, key);
    } else if (key == "max_connections") {
      c.max_connections = scalar<int>(v, source, key);
    } else if (key == "max_streams") {
      c.max_streams = scalar<int>(v, source, key);
    } else if (key == "header_timeout_ms") {
      c.header_timeout_ms = scalar<int>(v, source, key);
    } else if (key == "body_timeout_ms") {
      c.body_timeout_ms = scalar<int>(v, source, key);
    } else if (key == "idle_timeout_ms") {
      c.idle_timeout_ms = scalar<int>(v, source, key);
    } else if (key == "write_timeout_ms") {
      c.write_timeout_ms = scalar<int>(v, source, key);
    } else if (key == "batching") {
      c.batching = scalar<bool>(v, source, key);
    } else if (key == "max_batch") {
      c.max_batch = scalar<int>(v, source, key);
    } else if (key == "max_wait_ms") {
      c.max_wait_ms = scalar<int>(v, source, key);
    } else if (key == "run_overhead_tokens") {
      c.run_overhead_tokens = scalar<int>(v, source, key);
    } else if (key == "queue_capacity") {
      c.queue_capacity = scalar<int>(v, source, key);
    } else if (key == "retry_after_s") {
      c.retry_after_s = scalar<int>(v, source, key);
    } else if (key == "max_texts") {
      c.max_texts = scalar<int>(v, source, key);
    } else if (key == "max_body_bytes") {
      c.max_body_bytes = scalar<size_t>(v, source, key);
    } else if (key == "max_tokens") {
      c.max_tokens = scalar<int>(v, source, key);
    } else if (key == "overlong") {
      c.overlong = parse_overlong(scalar<std::string>(v, source, key), source);
    } else if (key == "evidence_dir") {
      c.evidence_dir = scalar<std::string>(v, source, key);
    } else if (key == "tokenizer") {
      c.tokenizer = scalar<std::string>(v, source, key);
    } else if (key == "generation_max_active") {
      c.generation_max_active = scalar<int>(v, source, key);
    } else if (key == "generation_max_queued") {
      c.generation_max_queued = scalar<int>(v, source, key);
    } else if (key == "generation_max_tokens") {
      c.generation_max_tokens = scalar<int>(v, source, key);
    } else if (key == "generation_timeout_ms") {
      c.generation_timeout_ms = scalar<int>(v, source, key);
    } else if (key == "generation_prefill_chunk") {
      c.generation_prefill_chunk = scalar<int>(v, source, key);
    } else {
      throw bad(source, key, "unknown key");
    }
  }
  return c;
}

ServingConfig load_serving_config(const std::string& path) {
  return parse_serving_config(read_file(path), path);
}

void apply_env_overrides(ServingConfig& config, const std::map<std::string, std::string>& env) {
  const auto get = [&](const char* name) -> const std::string* {
    const auto it = env.find(name);
    return it == env.end() || it->second.empty() ? nullptr : &it->second;
  };
  if (const auto* v = get("BOG_BUNDLE_DIR")) config.bundle = *v;
  if (const auto* v = get("BOG_SERVE_HOST")) config.host = *v;
  if (const auto* v = get("BOG_SERVE_PORT")) config.port = parse_port(*v, "BOG_SERVE_PORT");
  if (const auto* v = get("BOG_SERVE_PROVIDER")) config.provider = *v;
}

std::map<std::string, std::string> serving_env_from_process() {
  std::map<std::string, std::string> env;
  for (const char* name :
       {"BOG_BUNDLE_DIR", "BOG_SERVE_HOST", "BOG_SERVE_PORT", "BOG_SERVE_PROVIDER"}) {
    if (const char* v = std::getenv(name)) env[name] = v;
  }
  return env;
}

void validate(const ServingConfig& c) {
  require(!c.bundle.empty() || (!c.onnx.empty() && !c.tokenizer.empty()), "bundle",
          "no bundle (give --bundle or BOG_BUNDLE_DIR, or --onnx DECODER with --tokenizer)");
  require(!c.host.empty(), "host", "empty");
  require(c.port >= 0 && c.port <= 65535, "port", fmt::format("{} is not 0-65535", c.port));
  require(c.provider == "cpu" || c.provider == "reference" || c.provider == "cuda", "provider",
          fmt::format("'{}' is not cpu, reference or cuda", c.provider));
  require(c.threads >= 1 && c.threads <= 256, "threads", fmt::format("{} is not 1-256", c.threads));
  require(c.precision == "fp32" || c.precision == "bf16", "precision",
          fmt::format("'{}' is not fp32 or bf16", c.precision));
  require(c.http_threads >= 1 && c.http_threads <= 4096, "http_threads",
          fmt::format("{} is not 1-4096", c.http_threads));
  require(c.max_connections >= 1 && c.max_connections <= 100000, "max_connections",
          fmt::format("{} is not 1-100000", c.max_connections));
  require(c.max_streams >= 0 && c.max_streams <= 100000, "max_streams",
          fmt::format("{} is not 0-100000", c.max_streams));
  for (const auto& [key, ms] :
       {std::pair<const char*, int>{"header_timeout_ms", c.header_timeout_ms},
        {"body_timeout_ms", c.body_timeout_ms},
        {"idle_timeout_ms", c.idle_timeout_ms},
        {"write_timeout_ms", c.write_timeout_ms}}) {
    require(ms >= 10 && ms <= 3600000, key, fmt::format("{} is not 10-3600000", ms));
  }
  require(c.max_batch >= 1 && c.max_batch <= 1024, "max_batch",
          fmt::format("{} is not 1-1024", c.max_batch));
  require(c.max_wait_ms >= 0 && c.max_wait_ms <= 10000, "max_wait_ms",
          fmt::format("{} is not 0-10000", c.max_wait_ms));
  require(c.run_overhead_tokens >= 0 && c.run_overhead_tokens <= 1000000, "run_overhead_tokens",
          fmt::format("{} is not 0-1000000", c.run_overhead_tokens));
  require(c.queue_capacity >= 1 && c.queue_capacity <= 1000000, "queue_capacity",
          fmt::format("{} is not 1-1000000", c.queue_capacity));
  require(c.retry_after_s >= 1, "retry_after_s", "must be at least 1");
  require(c.max_texts >= 1 && c.max_texts <= c.queue_capacity, "max_texts",
          fmt::format("{} must be 1..queue_capacity ({})", c.max_texts, c.queue_capacity));
  require(c.max_body_bytes >= 64, "max_body_bytes", "must be at least 64");
  require(c.max_tokens >= 0, "max_tokens", "must be >= 0 (0: the model's max_len)");
  require(c.generation_max_active >= 1 && c.generation_max_active <= 1024, "generation_max_active",
          fmt::format("{} is not 1-1024", c.generation_max_active));
  require(c.generation_max_queued >= 0 && c.generation_max_queued <= 100000,
          "generation_max_queued", fmt::format("{} is not 0-100000", c.generation_max_queued));
  require(c.generation_max_tokens >= 0, "generation_max_tokens", "must be >= 0 (0: the context)");
  require(c.generation_timeout_ms >= 10 && c.generation_timeout_ms <= 3600000,
          "generation_timeout_ms", fmt::format("{} is not 10-3600000", c.generation_timeout_ms));
  require(c.generation_prefill_chunk >= 1 && c.generation_prefill_chunk <= 4096,
          "generation_prefill_chunk", fmt::format("{} is not 1-4096", c.generation_prefill_chunk));
}

}  // namespace bog::serve
