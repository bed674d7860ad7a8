#include "serve/openapi_v2.h"

#include "serve/oip_v2.h"

namespace bog::serve {

using nlohmann::json;

json openapi_ref(const std::string& name) { return {{"$ref", "#/components/schemas/" + name}}; }

json openapi_json_response(const std::string& description, const json& schema) {
  return {{"description", description}, {"content", {{"application/json", {{"schema", schema}}}}}};
}

namespace {

json ref(const std::string& name) { return openapi_ref(name); }

json json_response(const std::string& description, const json& schema) {
  return openapi_json_response(description, schema);
}

json v2_error(const std::string& description) { return json_response(description, ref("V2Error")); }

json path_parameter(const std::string& name, const std::string& description) {
  return {{"name", name},
          {"in", "path"},
          {"required", true},
          {"description", description},
          {"schema", {{"type", "string"}}}};
}

json string_array() { return {{"type", "array"}, {"items", {{"type", "string"}}}}; }

json tensor_metadata() {
  return {{"type", "object"},
          {"required", {"name", "datatype", "shape"}},
          {"properties",
           {{"name", {{"type", "string"}}},
            {"datatype", {{"type", "string"}}},
            {"shape", {{"type", "array"}, {"items", {{"type", "integer"}}}}}}}};
}

// The schemas of the v2 bodies (the protocol's $metadata_*, $inference_* objects).
void add_v2_schemas(json& schemas, int max_texts) {
  schemas["V2Error"] = {{"type", "object"},
                        {"required", {"error"}},
                        {"properties", {{"error", {{"type", "string"}}}}}};
  schemas["V2ServerMetadata"] = {{"type", "object"},
                                 {"required", {"name", "version", "extensions"}},
                                 {"properties",
                                  {{"name", {{"type", "string"}}},
                                   {"version", {{"type", "string"}}},
                                   {"extensions", string_array()}}}};
  schemas["V2TensorMetadata"] = tensor_metadata();
  schemas["V2ModelMetadata"] = {
      {"type", "object"},
      {"required", {"name", "platform", "inputs", "outputs"}},
      {"properties",
       {{"name", {{"type", "string"}}},
        {"versions", string_array()},
        {"platform", {{"type", "string"}}},
        {"inputs", {{"type", "array"}, {"items", ref("V2TensorMetadata")}}},
        {"outputs", {{"type", "array"}, {"items", ref("V2TensorMetadata")}}}}}};
  schemas["V2RequestInput"] = {{"type", "object"},
                               {"required", {"name", "datatype", "shape", "data"}},
                               {"properties",
                                {{"name", {{"type", "string"}, {"enum", {kV2Input}}}},
                                 {"datatype", {{"type", "string"}, {"enum", {"BYTES"}}}},
                                 {"shape",
                                  {{"type", "array"},
                                   {"minItems", 1},
                                   {"maxItems", 2},
                                   {"items", {{"type", "integer"}, {"minimum", 0}}},
                                   {"description", "[n] or [n, 1]; n at most max_texts"}}},
                                 {"parameters", {{"type", "object"}}},
                                 {"data",
                                  {{"type", "array"},
                                   {"minItems", 1},
                                   {"maxItems", max_texts},
                                   {"description", "the n texts, flat or nested as the shape"}}}}}};
  schemas["V2InferRequest"] = {
      {"type", "object"},
      {"required", {"inputs"}},
      {"properties",
       {{"id", {{"type", "string"}}},
        {"parameters", {{"type", "object"}}},
        {"inputs", {{"type", "array"}, {"minItems", 1}, {"items", ref("V2RequestInput")}}},
        {"outputs",
         {{"type", "array"},
          {"items",
           {{"type", "object"},
            {"required", {"name"}},
            {"properties",
             {{"name", {{"type", "string"}, {"enum", {kV2Probabilities, kV2Label}}}}}}}}}}}}};
  schemas["V2ResponseOutput"] = {
      {"type", "object"},
      {"required", {"name", "datatype", "shape", "data"}},
      {"properties",
       {{"name", {{"type", "string"}}},
        {"datatype", {{"type", "string"}, {"enum", {"FP32", "BYTES"}}}},
        {"shape", {{"type", "array"}, {"items", {{"type", "integer"}}}}},
        {"data",
         {{"type", "array"},
          {"description", "row-major: probabilities n x classes numbers, label n strings"}}}}}};
  schemas["V2InferResponse"] = {
      {"type", "object"},
      {"required", {"model_name", "outputs"}},
      {"properties",
       {{"model_name", {{"type", "string"}}},
        {"model_version", {{"type", "string"}}},
        {"id", {{"type", "string"}}},
        {"outputs", {{"type", "array"}, {"items", ref("V2ResponseOutput")}}}}}};
}

json v2_get(const std::string& summary, json responses, json parameters = json::array()) {
  json op = {{"summary", summary}, {"tags", {"Open Inference Protocol v2"}}};
  if (!parameters.empty()) op["parameters"] = std::move(parameters);
  op["responses"] = std::move(responses);
  return {{"get", std::move(op)}};
}

}  // namespace

void add_v2_paths(json& paths, json& schemas, int max_texts) {
  add_v2_schemas(schemas, max_texts);
  const json name = path_parameter("name", "the model's name: the bundle folder's");
  const json version = path_parameter("version", "the model's version: 1");
  const json ready_body = {{"type", "object"},
                           {"required", {"ready"}},
                           {"properties", {{"ready", {{"type", "boolean"}}}}}};
  paths["/v2/health/live"] = v2_get(
      "Server liveness",
      {{"200",
        json_response("Live: {\"live\": true}",
                      {{"type", "object"}, {"properties", {{"live", {{"type", "boolean"}}}}}})}});
  paths["/v2/health/ready"] =
      v2_get("Server readiness: a 4xx while the model loads",
             {{"200", json_response("Ready", ready_body)}, {"400", v2_error("Not ready")}});
  paths["/v2"] = v2_get("Server metadata",
                        {{"200", json_response("Server metadata", ref("V2ServerMetadata"))}});
  paths["/v2/models"] = v2_get(
      "The models served (one: the bundle's)",
      {{"200", json_response("Model names",
                             {{"type", "object"}, {"properties", {{"models", string_array()}}}})}});
  const json model_errors = {{"404", v2_error("Unknown model or version")},
                             {"400", v2_error("Not ready")}};
  const auto with = [](json responses, const json& extra) {
    responses.update(extra);
    return responses;
  };
  const json metadata = {{"200", json_response("Model metadata", ref("V2ModelMetadata"))}};
  const json ready = {{"200", json_response("Model ready", ready_body)}};
  paths["/v2/models/{name}"] = v2_get("Model metadata", with(metadata, model_errors), {name});
  paths["/v2/models/{name}/versions/{version}"] =
      v2_get("Model metadata of one version", with(metadata, model_errors), {name, version});
  paths["/v2/models/{name}/ready"] = v2_get("Model readiness", with(ready, model_errors), {name});
  paths["/v2/models/{name}/versions/{version}/ready"] =
      v2_get("Model readiness of one version", with(ready, model_errors), {name, version});

  const json infer_responses = {
      {"200", json_response("probabilities (FP32 [n, classes]) and label (BYTES [n])",
                            ref("V2InferResponse"))},
      {"400", v2_error("Bad JSON, unknown input or output name, a datatype other than BYTES, a "
                       "shape its data disagrees with, empty or non-string texts, too many texts")},
      {"404", v2_error("Unknown model or version")},
      {"405", v2_error("Wrong method")},
      {"413", v2_error("Body over the size limit")},
      {"422", v2_error("A text over the token limit (reject policy)")},
      {"503", v2_error("Queue full (see the Retry-After header) or not ready")}};
  const auto infer = [&](const std::string& summary, json parameters) {
    return json{{"post",
                 {{"summary", summary},
                  {"tags", {"Open Inference Protocol v2"}},
                  {"parameters", std::move(parameters)},
                  {"requestBody",
                   {{"required", true},
                    {"content", {{"application/json", {{"schema", ref("V2InferRequest")}}}}}}},
                  {"responses", infer_responses}}}};
  };
  paths["/v2/models/{name}/infer"] = infer("Classify texts (input 'text', BYTES [n])", {name});
  paths["/v2/models/{name}/versions/{version}/infer"] =
      infer("Classify texts with one version", {name, version});
}

}  // namespace bog::serve
