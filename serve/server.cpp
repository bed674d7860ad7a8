#include "serve/server.h"

#include <fmt/format.h>

#include <chrono>
#include <condition_variable>
#include <exception>
#include <filesystem>
#include <future>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>

#include "common/atomic_file.h"
#include "common/error.h"
#include "serve/api_request.h"
#include "serve/batcher.h"
#include "serve/http_server.h"
#include "serve/metrics.h"
#include "serve/oip_v2.h"
#include "serve/openai_routes.h"
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

void send_error(HttpResponse& res, const ApiError& e) {
  res.status = e.status;
  res.body = error_body(e);
  res.content_type = kJson;
}

void send_json(HttpResponse& res, const json& body) {
  res.status = 200;
  res.body = body.dump();
  res.content_type = kJson;
}

// Under /v2 errors take the Open Inference Protocol's shape, {"error": "..."}.
void to_v2_error(const std::string& path, HttpResponse& res) {
  if (res.status < 400 || path.rfind("/v2", 0) != 0) return;
  const json j = json::parse(res.body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_object()) {
    res.body = json{{"error", j["error"].value("message", std::string("error"))}}.dump();
  }
}

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// The evidence tables the page shows; only these names, so no path ever reaches the disk.
bool is_evidence_name(const std::string& name) {
  return name == "benchmark.md" || name == "accuracy.md" || name == "serving.md";
}

}  // namespace

struct Server::Impl {
  ServingConfig config;
  Loader loader;
  GenerationLoader generation_loader;
  Metrics metrics;
  struct Route {
    std::string path;  // exact, or a regex when `pattern` is set
    bool post;
    std::function<void(const HttpRequest&, HttpResponse&)> handler;
    std::optional<std::regex> pattern;
  };
  std::vector<Route> routes;
  std::unique_ptr<HttpServer> http;
  std::string model_name;  // the Open Inference Protocol's: the bundle folder's name
  std::unique_ptr<Classifier> classifier;  // set once by the loading thread, before ready
  std::unique_ptr<Batcher> batcher;
  std::unique_ptr<GenerationService> generation;  // set instead of the classifier for an LM
  std::unique_ptr<OpenAiRoutes> openai;
  std::thread load_thread;
  std::mutex load_mu;
  std::condition_variable load_cv;
  bool load_done = false;
  std::exception_ptr load_error;
  std::string load_error_text;
  std::once_flag stop_once;
  std::atomic<bool>* ready = nullptr;

  Impl(ServingConfig c, Loader l, GenerationLoader g)
      : config(std::move(c)),
        loader(std::move(l)),
        generation_loader(std::move(g)),
        metrics(config.batching ? config.max_batch : 1) {}

  // A classifier route on a server of a decoder LM.
  bool serves_classifier(HttpResponse& res) const {
    if (!generation) return true;
    send_error(res, {404, "not_found",
                     "this server serves a decoder LM: use /v1/completions or "
                     "/v1/chat/completions"});
    return false;
  }

  // The /v1 routes: 503 while loading, 404 on a classifier's server.
  bool serves_generation(HttpResponse& res) const {
    if (!ready->load()) {
      send_openai_error(res, {503, "the model is still loading", "server_error", "", "not_ready"},
                        config.retry_after_s);
      return false;
    }
    if (generation) return true;
    send_openai_error(res, {404, "this server serves a classifier, not a decoder LM (use /predict)",
                            "invalid_request_error", "", "not_found"});
    return false;
  }

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
  bool classify(const std::vector<std::string>& texts, HttpResponse& res, json& out) {
    if (!ready->load()) {
      res.set_header("Retry-After", std::to_string(config.retry_after_s));
      send_error(res, {503, "not_ready", "the model is still loading"});
      return false;
    }
    if (!serves_classifier(res)) return false;
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

  void handle_predict(const HttpRequest& req, HttpResponse& res) {
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

  void handle_predict_batch(const HttpRequest& req, HttpResponse& res) {
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
    json v = {
        {"bog", BOG_VERSION}, {"api", "1"}, {"http_server", "bog epoll (serve/http_server.h)"}};
    if (m != nullptr) {
      v["exporter"] = m->exporter_version;
      v["onnx_ir_version"] = m->ir_version;
      v["onnx_opset"] = m->opset;
    }
    return v;
  }

  void serve_asset(const std::string& name, HttpResponse& res) {
    const StaticAsset* a = find_static_asset(name);
    if (a == nullptr) return send_error(res, {404, "not_found", "no such file: " + name});
    res.body = std::string(a->body);
    res.content_type = std::string(a->content_type);
  }

  void add_routes() {
    using Handler = std::function<void(const HttpRequest&, HttpResponse&)>;
    struct Entry {
      std::string path;
      bool post;
      Handler handler;
    };
    const std::vector<Entry> table = {
        {"/", false, [this](const auto&, auto& res) { serve_asset("index.html", res); }},
        {"/docs", false, [this](const auto&, auto& res) { serve_asset("docs.html", res); }},
        {"/chat", false, [this](const auto&, auto& res) { serve_asset("chat.html", res); }},
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
           if (generation) {
             json m = generation->metadata_json();
             m["versions"] = versions(nullptr);
             return send_json(res, m);
           }
           send_json(res, metadata());
         }},
        {"/version", false,
         [this](const auto&, auto& res) {
           send_json(res, versions(ready->load() && classifier ? &classifier->info() : nullptr));
         }},
        {"/openapi.json", false,
         [this](const auto&, auto& res) { send_json(res, openapi_document(config, BOG_VERSION)); }},
        {"/metrics", false,
         [this](const auto&, auto& res) {
           const int depth = batcher ? batcher->depth() : 0;
           res.body = metrics.render(depth, config.queue_capacity, ready->load()) +
                      connection_metrics(http->stats());
           if (generation) res.body += generation->metrics().render(generation->gauges());
           res.content_type = "text/plain; version=0.0.4; charset=utf-8";
         }},
        {"/predict", true, [this](const auto& req, auto& res) { handle_predict(req, res); }},
        {"/v1/completions", true,
         [this](const auto& req, auto& res) {
           if (serves_generation(res)) openai->completions(req, res, false);
         }},
        {"/v1/chat/completions", true,
         [this](const auto& req, auto& res) {
           if (serves_generation(res)) openai->completions(req, res, true);
         }},
        {"/v1/models", false,
         [this](const auto&, auto& res) {
           if (serves_generation(res)) openai->models(res);
         }},
        {R"(/v1/models/([^/]+))", false,
         [this](const auto& req, auto& res) {
           if (serves_generation(res)) openai->model(req.matches.at(0), res);
         }},
        {"/v2/health/live", false,
         [](const auto&, auto& res) {
           send_json(res, {{"live", true}});
         }},
        {"/v2/health/ready", false,
         [this](const auto&, auto& res) {
           if (!ready->load()) return send_error(res, {400, "not_ready", "the model is loading"});
           send_json(res, {{"ready", true}});
         }},
        {"/v2", false,
         [](const auto&, auto& res) {
           send_json(res,
                     {{"name", "bog"}, {"version", BOG_VERSION}, {"extensions", json::array()}});
         }},
        {"/v2/models", false,
         [this](const auto&, auto& res) {
           send_json(res, {{"models", {model_name}}});
         }},
        {R"(/v2/models/([^/]+))", false,
         [this](const auto& req, auto& res) {
           if (!known_model(req, res)) return;
           send_json(res, v2_model_metadata(model_name,
                                            static_cast<int>(classifier->info().labels.size())));
         }},
        {R"(/v2/models/([^/]+)/ready)", false,
         [this](const auto& req, auto& res) {
           if (!known_model(req, res)) return;
           send_json(res, {{"name", model_name}, {"ready", true}});
         }},
        {R"(/v2/models/([^/]+)/infer)", true,
         [this](const auto& req, auto& res) { handle_v2_infer(req, res); }},
        {"/predict/batch", true,
         [this](const auto& req, auto& res) { handle_predict_batch(req, res); }},
        {R"(/static/([A-Za-z0-9_.-]+))", false,
         [this](const auto& req, auto& res) { serve_asset(req.matches.at(0), res); }},
        {R"(/evidence/([A-Za-z0-9_.-]+))", false,
         [this](const auto& req, auto& res) { serve_evidence(req.matches.at(0), res); }},
    };
    for (const auto& r : table) {
      Route route{r.path, r.post, r.handler, std::nullopt};
      if (r.path.find('(') != std::string::npos) route.pattern.emplace(r.path);
      routes.push_back(std::move(route));
    }
  }

  // 404 for no route, 405 (with Allow) for a route of another method; HEAD is GET.
  // 404 for another model's name, 400 while loading (the protocol's "not ready" is a 4xx).
  bool known_model(const HttpRequest& req, HttpResponse& res) {
    if (!serves_classifier(res)) return false;
    if (req.matches.at(0) != model_name) {
      send_error(res, {404, "unknown_model",
                       fmt::format("unknown model '{}' (this server has '{}')", req.matches.at(0),
                                   model_name)});
      return false;
    }
    if (!ready->load()) {
      send_error(res, {400, "not_ready", "the model is loading"});
      return false;
    }
    return true;
  }

  void handle_v2_infer(const HttpRequest& req, HttpResponse& res) {
    const auto t0 = Clock::now();
    if (req.matches.at(0) != model_name) {
      return send_error(res, {404, "unknown_model",
                              fmt::format("unknown model '{}' (this server has '{}')",
                                          req.matches.at(0), model_name)});
    }
    auto parsed = parse_v2_infer(req.body, config.max_texts);
    if (auto* e = std::get_if<ApiError>(&parsed)) return send_error(res, *e);
    const V2InferRequest& infer = std::get<V2InferRequest>(parsed);
    json out;
    if (!classify(infer.texts, res, out)) return;
    const std::vector<std::string>& labels = classifier->info().labels;
    std::vector<std::vector<float>> probs;
    std::vector<std::string> names;
    for (const json& p : out) {
      std::vector<float> row;
      for (const std::string& l : labels) row.push_back(p["probabilities"][l].get<float>());
      probs.push_back(std::move(row));
      names.push_back(p["label"].get<std::string>());
    }
    send_json(res, v2_infer_response(model_name, infer, probs, names));
    metrics.observe_latency("/v2/models/{name}/infer", ms_since(t0) / 1000.0);
  }

  HttpResponse dispatch(HttpRequest& req) {
    HttpResponse res;
    std::string version;
    if (strip_v2_version(req.path, version) && version != "1") {
      send_error(res, {404, "unknown_version",
                       fmt::format("unknown model version '{}' (this server has '1')", version)});
    } else {
      res = route(req);
    }
    to_v2_error(req.path, res);
    to_openai_error(req.path, res);
    return res;
  }

  HttpResponse route(HttpRequest& req) {
    HttpResponse res;
    const bool is_get = req.method == "GET" || req.method == "HEAD";
    for (const Route& r : routes) {
      std::vector<std::string> caps;
      if (r.pattern) {
        std::smatch m;
        if (!std::regex_match(req.path, m, *r.pattern)) continue;
        for (size_t i = 1; i < m.size(); ++i) caps.push_back(m[i].str());
      } else if (req.path != r.path) {
        continue;
      }
      if ((r.post && req.method == "POST") || (!r.post && is_get)) {
        req.matches = std::move(caps);
        r.handler(req, res);
        return res;
      }
      res.set_header("Allow", r.post ? "POST" : "GET, HEAD");
      send_error(res, {405, "method_not_allowed",
                       fmt::format("use {} for this route", r.post ? "POST" : "GET")});
      return res;
    }
    send_error(res, {404, "not_found", "no route " + req.path});
    return res;
  }

  void handle_ready(HttpResponse& res) {
    if (ready->load()) return send_json(res, {{"ready", true}});
    std::lock_guard lock(load_mu);
    send_error(res, {503, "not_ready",
                     load_error ? "loading failed: " + load_error_text : "the model is loading"});
  }

  void serve_evidence(const std::string& name, HttpResponse& res) {
    const std::filesystem::path path = std::filesystem::path(config.evidence_dir) / name;
    std::error_code ec;
    if (!is_evidence_name(name) || !std::filesystem::is_regular_file(path, ec)) {
      return send_error(res, {404, "not_found", "no evidence file " + name});
    }
    try {
      res.body = read_file(path);
      res.content_type = "text/markdown; charset=utf-8";
    } catch (const Error& e) {
      send_error(res, {404, "not_found", e.what()});
    }
  }

  void configure() {
    model_name = v2_model_name(config.bundle);
    add_routes();
    HttpLimits limits;
    limits.workers = config.http_threads;
    limits.max_connections = config.max_connections;
    limits.max_streams = config.max_streams;
    limits.header_timeout_ms = config.header_timeout_ms;
    limits.body_timeout_ms = config.body_timeout_ms;
    limits.idle_timeout_ms = config.idle_timeout_ms;
    limits.write_timeout_ms = config.write_timeout_ms;
    limits.max_body_bytes = config.max_body_bytes;
    limits.retry_after_s = config.retry_after_s;
    http = std::make_unique<HttpServer>(
        limits, [this](HttpRequest& req) { return dispatch(req); },
        [](const HttpRequest& req, int status, const std::string& code,
           const std::string& message) {
          HttpResponse res;
          send_error(res, {status, code, message});
          to_v2_error(req.path, res);
          to_openai_error(req.path, res);
          return res;
        },
        [this](const std::string& path, int status) {
          metrics.count_request(route_label(path), status);
        });
  }

  void load() {
    std::exception_ptr error;
    std::string text;
    try {
      if (generation_loader) {
        generation = generation_loader();
        if (!generation) throw Error(ErrorCategory::kInternal, "serve: the loader returned no LM");
        openai = std::make_unique<OpenAiRoutes>(*generation);
        ready->store(true);
        std::lock_guard lock(load_mu);
        load_done = true;
        load_cv.notify_all();
        return;
      }
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
    : impl_(std::make_unique<Impl>(std::move(config), std::move(loader), GenerationLoader{})) {
  impl_->ready = &ready_;
  impl_->configure();
}

Server::Server(ServingConfig config, GenerationLoader loader)
    : impl_(std::make_unique<Impl>(std::move(config), Loader{}, std::move(loader))) {
  impl_->ready = &ready_;
  impl_->configure();
}

Server::~Server() { stop(); }

int Server::bind() { return impl_->http->bind(impl_->config.host, impl_->config.port); }

void Server::start() {
  impl_->http->start();
  impl_->load_thread = std::thread([this] { impl_->load(); });
}

void Server::wait_until_loaded() {
  std::unique_lock lock(impl_->load_mu);
  impl_->load_cv.wait(lock, [&] { return impl_->load_done; });
  if (impl_->load_error) std::rethrow_exception(impl_->load_error);
}

void Server::stop() {
  std::call_once(impl_->stop_once, [this] {
    // The HTTP layer first: it stops accepting and answers the requests in flight; they still
    // need the batcher, which stops last.
    impl_->http->stop();
    if (impl_->load_thread.joinable()) impl_->load_thread.join();
    if (impl_->batcher) impl_->batcher->stop();
    if (impl_->generation) impl_->generation->stop();
  });
}

HttpStats Server::connection_stats() const { return impl_->http->stats(); }

}  // namespace bog::serve
