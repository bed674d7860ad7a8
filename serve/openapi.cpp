#include "serve/openapi.h"

#include "serve/openapi_v1.h"
#include "serve/openapi_v2.h"

namespace bog::serve {
namespace {

using nlohmann::json;

json ref(const std::string& name) { return openapi_ref(name); }

json json_response(const std::string& description, const json& schema) {
  return openapi_json_response(description, schema);
}

json error_response(const std::string& description) {
  return json_response(description, ref("Error"));
}

json get(const std::string& summary, json responses) {
  return {{"get", {{"summary", summary}, {"responses", std::move(responses)}}}};
}

}  // namespace

json openapi_document(const ServingConfig& config, const std::string& version) {
  json schemas;
  schemas["Error"] = {
      {"type", "object"},
      {"required", {"error"}},
      {"properties",
       {{"error",
         {{"type", "object"},
          {"required", {"status", "code", "message"}},
          {"properties",
           {{"status", {{"type", "integer"}}},
            {"code",
             {{"type", "string"},
              {"enum",
               {"invalid_json", "invalid_request", "missing_field", "wrong_type", "empty_text",
                "empty_texts", "too_many_texts", "text_too_long", "body_too_large",
                "method_not_allowed", "not_found", "queue_full", "not_ready", "internal"}}}},
            {"message", {{"type", "string"}}}}}}}}}};
  schemas["PredictRequest"] = {{"type", "object"},
                               {"required", {"text"}},
                               {"properties", {{"text", {{"type", "string"}, {"minLength", 1}}}}}};
  schemas["PredictBatchRequest"] = {{"type", "object"},
                                    {"required", {"texts"}},
                                    {"properties",
                                     {{"texts",
                                       {{"type", "array"},
                                        {"minItems", 1},
                                        {"maxItems", config.max_texts},
                                        {"items", {{"type", "string"}, {"minLength", 1}}}}}}}};
  schemas["Prediction"] = {
      {"type", "object"},
      {"required", {"label", "label_id", "probabilities", "tokens", "truncated"}},
      {"properties",
       {{"label", {{"type", "string"}}},
        {"label_id", {{"type", "integer"}}},
        {"probabilities", {{"type", "object"}, {"additionalProperties", {{"type", "number"}}}}},
        {"tokens", {{"type", "integer"}, {"description", "token count before truncation"}}},
        {"truncated", {{"type", "boolean"}}}}}};
  schemas["PredictResponse"] = {{"allOf",
                                 {ref("Prediction"),
                                  {{"type", "object"},
                                   {"required", {"latency_ms"}},
                                   {"properties", {{"latency_ms", {{"type", "number"}}}}}}}}};
  schemas["PredictBatchResponse"] = {
      {"type", "object"},
      {"required", {"predictions", "latency_ms"}},
      {"properties",
       {{"predictions", {{"type", "array"}, {"items", ref("Prediction")}}},
        {"latency_ms", {{"type", "number"}}}}}};

  json predict_errors = {
      {"400", error_response("Invalid JSON or not an object")},
      {"405", error_response("Wrong method")},
      {"413", error_response("Body over the size limit")},
      {"422", error_response("Missing field, wrong type, empty text, too many texts, or a text "
                             "over the token limit (reject policy)")},
      {"503", error_response("Queue full (see the Retry-After header) or not ready")}};

  json paths;
  paths["/"] = get("The web page", {{"200", {{"description", "HTML page"}}}});
  paths["/health"] =
      get("Liveness: the process answers", {{"200", json_response("Alive", {{"type", "object"}})}});
  paths["/ready"] = get("Readiness: 503 until the session is loaded",
                        {{"200", json_response("Ready", {{"type", "object"}})},
                         {"503", error_response("Loading, or loading failed")}});
  paths["/metadata"] = get("Architecture, labels, bundle hash, providers, precision, versions",
                           {{"200", json_response("Model metadata", {{"type", "object"}})},
                            {"503", error_response("Not ready")}});
  paths["/version"] = get("Versions", {{"200", json_response("Versions", {{"type", "object"}})}});
  paths["/docs"] = get("This API, rendered", {{"200", {{"description", "HTML page"}}}});
  paths["/openapi.json"] =
      get("This document", {{"200", json_response("OpenAPI 3 document", {{"type", "object"}})}});
  paths["/metrics"] = get("Prometheus metrics",
                          {{"200",
                            {{"description", "text/plain; version=0.0.4"},
                             {"content", {{"text/plain", {{"schema", {{"type", "string"}}}}}}}}}});
  json predict_responses = predict_errors;
  predict_responses["200"] = json_response("The prediction", ref("PredictResponse"));
  paths["/predict"] = {
      {"post",
       {{"summary", "Classify one text"},
        {"requestBody",
         {{"required", true},
          {"content", {{"application/json", {{"schema", ref("PredictRequest")}}}}}}},
        {"responses", predict_responses}}}};
  json batch_responses = predict_errors;
  batch_responses["200"] =
      json_response("One prediction per text, in order", ref("PredictBatchResponse"));
  paths["/predict/batch"] = {
      {"post",
       {{"summary", "Classify several texts"},
        {"requestBody",
         {{"required", true},
          {"content", {{"application/json", {{"schema", ref("PredictBatchRequest")}}}}}}},
        {"responses", batch_responses}}}};
  add_v2_paths(paths, schemas, config.max_texts);

  add_openai_paths(paths, schemas);

  return {{"openapi", "3.0.3"},
          {"info",
           {{"title", "bog serve"},
            {"version", version},
            {"description",
             "Text classification over a BayesOptGPT bundle, run by the project's own ONNX "
             "runtime with dynamic batching."}}},
          {"paths", paths},
          {"components", {{"schemas", schemas}}}};
}

}  // namespace bog::serve
