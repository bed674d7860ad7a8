#include "serve/server.h"

#include <fmt/format.h>
#include <httplib.h>
#include <sys/socket.h>

#include <chrono>
#include <condition_variable>
#include <exception>
#include <filesystem>
#include <future>
#include <nlohmann/json.hpp>

#include "common/atomic_file.h"
#include "common/error.h"
#include "serve/api_request.h"
#include "serve/batcher.h"
#include "serve/metrics.h"
#include "serve/openapi.h"
#include "serve/static_assets.h"

#ifndef BOG_VERSION
#define BOG_VERSION "0.0.0"
#endif

namespace bog::serve {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr const char* kJson = "application/json";

void send_error(httplib::Response& res, const ApiError& e) {
  res.status = e.status;
  res.set_content(error_body(e), kJson);
}

void send_json(httplib::Response& res, const json& body) {
  res.status = 200;
  res.set_content(body.dump(), kJson);
}

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// The evidence tables the page shows; only these names, so no path ever reaches the disk.
bool is_evidence_name(const std::string& name) {
  return name == "benchmark.md" || name == "accuracy.md" || name == "serving.md";
}

// Debian's compiled cpp-httplib listens with a backlog of 5: a burst of new connections beyond
// it waits on SYN retransmits (1 s, 3 s, ...) or fails. Linux lets listen() on the bound socket
// raise the backlog.
class HttpServer : public httplib::Server {
 public:
  void raise_backlog(int backlog) { ::listen(svr_sock_.load(), backlog); }
};

}  // namespace

struct Server::Impl {
  ServingConfig config;
  Loader loader;
  HttpServer http;
  Metrics metrics;
  std::unique_ptr<Classifier> classifier;  // set once by the loading thread, before ready
  std::unique_ptr<Batcher> batcher;
  std::thread listen_thread;
  std::atomic<bool> listen_done{false};
  std::thread load_thread;
  std::mutex load_mu;
  std::condition_variable load_cv;
  bool load_done = false;
  std::exception_ptr load_error;
  std::string load_error_text;
  std::once_flag stop_once;
  std::atomic<bool>* ready = nullptr;

  Impl(ServingConfig c, Loader l)
      : config(std::move(c)),
        loader(std::move(l)),
        metrics(config.batching ? config.max_batch : 1) {}

  json prediction_json(const Probabilities& p, const Encoded& e) const {
    json probs = json::object();
    const auto& labels = classifier->info().labels;
    for (size_t j = 0; j < labels.size() && j < p.probs.size(); ++j) probs[labels[j]] = p.probs[j];
    return {{"label", labels.at(static_cast<size_t>(p.label))},
            {"label_id", p.label},
            {"probabilities", probs},
            {"tokens", e.tokens},
            {"truncated", e.truncated}};
  }

  // Encodes, queues and waits. Fills `res` with an error and returns false when it cannot.
  bool classify(const std::vector<std::string>& texts, httplib::Response& res, json& out) {
    if (!ready->load()) {
      res.set_header("Retry-After", std::to_string(config.retry_after_s));
      send_error(res, {503, "not_ready", "the model is still loading"});
      return false;
    }
    std::vector<Encoded> encoded;
    encoded.reserve(texts.size());
    for (size_t i = 0; i < texts.size(); ++i) {
      try {
        encoded.push_back(classifier->encode(texts[i]));
      } catch (const TextTooLong& e) {
        const std::string where = texts.size() > 1 ? fmt::format("texts[{}]: ", i) : "";
        send_error(res, {422, "text_too_long", where + e.what()});
        return false;
      }
    }
    const std::vector<Encoded> kept = encoded;  // the futures' inputs move into the queue
    auto futures = batcher->submit(std::move(encoded));
    if (!futures) {
      res.set_header("Retry-After", std::to_string(config.retry_after_s));
      send_error(res, {503, "queue_full",
                       fmt::format("the queue is full ({} texts); retry after {} s",
                                   config.queue_capacity, config.retry_after_s)});
      return false;
    }
    out = json::array();
    for (size_t i = 0; i < futures->size(); ++i) {
      out.push_back(prediction_json((*futures)[i].get(), kept[i]));
    }
    return true;
  }

  void handle_predict(const httplib::Request& req, httplib::Response& res) {
    const auto t0 = Clock::now();
    auto parsed = parse_predict(req.body);
    if (auto* e = std::get_if<ApiError>(&parsed)) return send_error(res, *e);
    json out;
    if (!classify({std::get<std::string>(parsed)}, res, out)) return;
    json body = out.at(0);
    body["latency_ms"] = ms_since(t0);
    send_json(res, body);
    metrics.observe_latency("/predict", ms_since(t0) / 1000.0);
  }

  void handle_predict_batch(const httplib::Request& req, httplib::Response& res) {
    const auto t0 = Clock::now();
    auto parsed = parse_predict_batch(req.body, config.max_texts);
    if (auto* e = std::get_if<ApiError>(&parsed)) return send_error(res, *e);
    json out;
    if (!classify(std::get<std::vector<std::string>>(parsed), res, out)) return;
    send_json(res, {{"predictions", out}, {"latency_ms", ms_since(t0)}});
    metrics.observe_latency("/predict/batch", ms_since(t0) / 1000.0);
  }

  json metadata() const {
    const ModelInfo& m = classifier->info();
    return {{"model",
             {{"architecture", m.architecture},
              {"labels", m.labels},
              {"num_params", m.num_params},
              {"max_len", m.max_len},
              {"bundle_sha256", m.bundle_sha256},
              {"onnx_sha256", m.onnx_sha256},
              {"precision", m.precision}}},
            {"provider",
             {{"requested", m.provider_requested},
              {"used", m.providers_used},
              {"fallback_reasons", m.fallback_reasons}}},
            {"serving",
             {{"batching", config.batching},
              {"max_batch", config.batching ? config.max_batch : 1},
              {"max_wait_ms", config.batching ? config.max_wait_ms : 0},
              {"queue_capacity", config.queue_capacity},
              {"max_texts", config.max_texts},
              {"max_body_bytes", config.max_body_bytes},
              {"max_tokens", m.max_tokens},
              {"overlong", m.overlong},
              {"session_threads", config.threads}}},
            {"versions", versions(&m)}};
  }

  static json versions(const ModelInfo* m) {
    json v = {{"bog", BOG_VERSION}, {"api", "1"}, {"cpp_httplib", CPPHTTPLIB_VERSION}};
    if (m != nullptr) {
      v["exporter"] = m->exporter_version;
      v["onnx_ir_version"] = m->ir_version;
      v["onnx_opset"] = m->opset;
    }
    return v;
  }

  void serve_asset(const std::string& name, httplib::Response& res) {
    const StaticAsset* a = find_static_asset(name);
    if (a == nullptr) return send_error(res, {404, "not_found", "no such file: " + name});
    res.set_content(std::string(a->body), std::string(a->content_type).c_str());
  }

  void add_routes() {
    using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;
    struct Route {
      std::string path;
      bool post;
      Handler handler;
    };
    const std::vector<Route> routes = {
        {"/", false, [this](const auto&, auto& res) { serve_asset("index.html", res); }},
        {"/docs", false, [this](const auto&, auto& res) { serve_asset("docs.html", res); }},
        {"/health", false,
         [](const auto&, auto& res) {
           send_json(res, {{"status", "ok"}});
         }},
        {"/ready", false, [this](const auto&, auto& res) { handle_ready(res); }},
        {"/metadata", false,
         [this](const auto&, auto& res) {
           if (!ready->load()) {
             return send_error(res, {503, "not_ready", "the model is still loading"});
           }
           send_json(res, metadata());
         }},
        {"/version", false,
         [this](const auto&, auto& res) {
           send_json(res, versions(ready->load() ? &classifier->info() : nullptr));
         }},
        {"/openapi.json", false,
         [this](const auto&, auto& res) { send_json(res, openapi_document(config, BOG_VERSION)); }},
        {"/metrics", false,
         [this](const auto&, auto& res) {
           const int depth = batcher ? batcher->depth() : 0;
           res.set_content(metrics.render(depth, config.queue_capacity, ready->load()),
                           "text/plain; version=0.0.4; charset=utf-8");
         }},
        {"/predict", true, [this](const auto& req, auto& res) { handle_predict(req, res); }},
        {"/predict/batch", true,
         [this](const auto& req, auto& res) { handle_predict_batch(req, res); }},
        {R"(/static/([A-Za-z0-9_.-]+))", false,
         [this](const auto& req, auto& res) { serve_asset(req.matches[1].str(), res); }},
        {R"(/evidence/([A-Za-z0-9_.-]+))", false,
         [this](const auto& req, auto& res) { serve_evidence(req.matches[1].str(), res); }},
    };
    for (const Route& r : routes) {
      const Handler not_allowed = [post = r.post](const auto&, auto& res) {
        res.set_header("Allow", post ? "POST" : "GET, HEAD");
        send_error(res, {405, "method_not_allowed",
                         fmt::format("use {} for this route", post ? "POST" : "GET")});
      };
      if (r.post) {
        http.Post(r.path, r.handler);
        http.Get(r.path, not_allowed);
      } else {
        http.Get(r.path, r.handler);
        http.Post(r.path, not_allowed);
      }
      http.Put(r.path, not_allowed);
      http.Patch(r.path, not_allowed);
      http.Delete(r.path, not_allowed);
      http.Options(r.path, not_allowed);
    }
  }

  void handle_ready(httplib::Response& res) {
    if (ready->load()) return send_json(res, {{"ready", true}});
    std::lock_guard lock(load_mu);
    send_error(res, {503, "not_ready",
                     load_error ? "loading failed: " + load_error_text : "the model is loading"});
  }

  void serve_evidence(const std::string& name, httplib::Response& res) {
    const std::filesystem::path path = std::filesystem::path(config.evidence_dir) / name;
    std::error_code ec;
    if (!is_evidence_name(name) || !std::filesystem::is_regular_file(path, ec)) {
      return send_error(res, {404, "not_found", "no evidence file " + name});
    }
    try {
      res.set_content(read_file(path), "text/markdown; charset=utf-8");
    } catch (const Error& e) {
      send_error(res, {404, "not_found", e.what()});
    }
  }

  void configure() {
    const int threads = config.http_threads;
    http.new_task_queue = [threads] {
      return new httplib::ThreadPool(static_cast<size_t>(threads));
    };
    http.set_payload_max_length(config.max_body_bytes);
    http.set_keep_alive_max_count(100000);
    http.set_tcp_nodelay(true);
    // httplib's default also sets SO_REUSEPORT, with which a second server binds a port that is
    // in use without a word; keep only SO_REUSEADDR (a restart may reuse a TIME_WAIT port).
    http.set_socket_options([](socket_t sock) {
      int yes = 1;
      setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    add_routes();
    // Unknown routes (404), bodies over the limit (413) and anything else httplib refuses
    // without a handler get the same JSON error body as the rest.
    http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty()) return;
      std::string code = "not_found";
      std::string message = "no route " + req.path;
      if (res.status == 413) {
        code = "body_too_large";
        message = "the body is over the size limit";
      } else if (res.status != 404) {
        code = "bad_request";
        message = fmt::format("the request was refused (HTTP {})", res.status);
      }
      send_error(res, {res.status, code, message});
    });
    http.set_exception_handler(
        [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
          std::string what = "unknown error";
          try {
            std::rethrow_exception(ep);
          } catch (const std::exception& e) {
            what = e.what();
          } catch (...) {
          }
          send_error(res, {500, "internal", what});
        });
    http.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
      metrics.count_request(route_label(req.path), res.status);
    });
  }

  void load() {
    std::exception_ptr error;
    std::string text;
    try {
      classifier = loader();
      if (!classifier) throw Error(ErrorCategory::kInternal, "serve: the loader returned no model");
      BatcherOptions options;
      options.max_batch = config.batching ? config.max_batch : 1;
      options.max_wait = std::chrono::milliseconds(config.batching ? config.max_wait_ms : 0);
      options.queue_capacity = config.queue_capacity;
      Classifier* c = classifier.get();
      batcher = std::make_unique<Batcher>(
          [c](std::span<const Encoded* const> batch) { return c->predict(batch); }, options,
          [this, c](int size) {
            metrics.observe_batch(size);
            metrics.set_session_runs(c->runs());
          });
      ready->store(true);
    } catch (const std::exception& e) {
      error = std::current_exception();
      text = e.what();
    }
    std::lock_guard lock(load_mu);
    load_done = true;
    load_error = error;
    load_error_text = text;
    load_cv.notify_all();
  }
};

Server::Server(ServingConfig config, Loader loader)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(loader))) {
  impl_->ready = &ready_;
  impl_->configure();
}

Server::~Server() { stop(); }

int Server::bind() {
  const ServingConfig& c = impl_->config;
  int port = c.port;
  if (c.port == 0) {
    port = impl_->http.bind_to_any_port(c.host);
  } else if (!impl_->http.bind_to_port(c.host, c.port)) {
    port = -1;
  }
  if (port >= 0) impl_->http.raise_backlog(1024);
  if (port < 0) {
    throw Error(ErrorCategory::kIo, fmt::format("serve: cannot listen on {}:{} (in use, or "
                                                "not an address of this host)",
                                                c.host, c.port));
  }
  return port;
}

void Server::start() {
  impl_->listen_thread = std::thread([this] {
    impl_->http.listen_after_bind();
    impl_->listen_done.store(true);
  });
  impl_->load_thread = std::thread([this] { impl_->load(); });
}

void Server::wait_until_loaded() {
  std::unique_lock lock(impl_->load_mu);
  impl_->load_cv.wait(lock, [&] { return impl_->load_done; });
  if (impl_->load_error) std::rethrow_exception(impl_->load_error);
}

void Server::stop() {
  std::call_once(impl_->stop_once, [this] {
    // The listener first: httplib's stop() closes the socket and its thread pool joins after
    // the requests in flight are answered; they still need the batcher, which stops last.
    if (impl_->listen_thread.joinable()) {
      // httplib's stop() does nothing until the listener is running: repeat until it ends.
      while (!impl_->listen_done.load()) {
        impl_->http.stop();
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      impl_->listen_thread.join();
    }
    if (impl_->load_thread.joinable()) impl_->load_thread.join();
    if (impl_->batcher) impl_->batcher->stop();
  });
}

}  // namespace bog::serve
