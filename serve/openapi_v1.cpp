#include "serve/openapi_v1.h"

#include <string>

namespace bog::serve {
namespace {

using nlohmann::json;

json ref(const std::string& name) { return {{"$ref", "#/components/schemas/" + name}}; }

json body(const std::string& description, const json& schema) {
  return {{"description", description}, {"content", {{"application/json", {{"schema", schema}}}}}};
}

json errors() {
  const json e = ref("OpenAiError");
  return {{"400", body("Bad JSON, a wrong type or value, max_tokens past the limit", e)},
          {"404", body("Unknown model", e)},
          {"413", body("Prompt past the context, or body over the size limit", e)},
          {"429", body("Active and queued requests at their limits (Retry-After)", e)},
          {"503", body("Loading, stopping, or the request timed out (Retry-After)", e)}};
}

json sampling_properties() {
  return {{"model", {{"type", "string"}}},
          {"max_tokens", {{"type", "integer"}, {"minimum", 1}}},
          {"max_completion_tokens", {{"type", "integer"}, {"minimum", 1}}},
          {"temperature", {{"type", "number"}, {"minimum", 0}, {"maximum", 2}}},
          {"top_p", {{"type", "number"}, {"exclusiveMinimum", 0}, {"maximum", 1}}},
          {"top_k", {{"type", "integer"}, {"minimum", 0}, {"description", "extension"}}},
          {"repetition_penalty", {{"type", "number"}, {"description", "extension, > 0"}}},
          {"ignore_eos", {{"type", "boolean"}, {"description", "extension"}}},
          {"seed", {{"type", "integer"}}},
          {"n", {{"type", "integer"}, {"enum", {1}}}},
          {"stop",
           {{"oneOf",
             {{{"type", "string"}},
              {{"type", "array"}, {"maxItems", 4}, {"items", {{"type", "string"}}}}}}}},
          {"stream",
           {{"type", "boolean"},
            {"description", "text/event-stream: one data chunk per delta, then [DONE]"}}},
          {"stream_options",
           {{"type", "object"}, {"properties", {{"include_usage", {{"type", "boolean"}}}}}}}};
}

json post(const std::string& summary, const std::string& request, const std::string& response) {
  json responses = errors();
  responses["200"] = {{"description", "The completion, or its stream with stream: true"},
                      {"content",
                       {{"application/json", {{"schema", ref(response)}}},
                        {"text/event-stream", {{"schema", {{"type", "string"}}}}}}}};
  return {{"post",
           {{"summary", summary},
            {"requestBody",
             {{"required", true}, {"content", {{"application/json", {{"schema", ref(request)}}}}}}},
            {"responses", responses}}}};
}

}  // namespace

void add_openai_paths(json& paths, json& schemas) {
  schemas["OpenAiError"] = {{"type", "object"},
                            {"required", {"error"}},
                            {"properties",
                             {{"error",
                               {{"type", "object"},
                                {"required", {"message", "type", "param", "code"}},
                                {"properties",
                                 {{"message", {{"type", "string"}}},
                                  {"type", {{"type", "string"}}},
                                  {"param", {{"type", "string"}, {"nullable", true}}},
                                  {"code", {{"type", "string"}, {"nullable", true}}}}}}}}}};
  json completion = {
      {"type", "object"}, {"required", {"prompt"}}, {"properties", sampling_properties()}};
  completion["properties"]["prompt"] = {{"type", "string"}};
  schemas["CompletionRequest"] = completion;
  json chat = {
      {"type", "object"}, {"required", {"messages"}}, {"properties", sampling_properties()}};
  chat["properties"]["messages"] = {
      {"type", "array"},
      {"minItems", 1},
      {"items",
       {{"type", "object"},
        {"required", {"role", "content"}},
        {"properties",
         {{"role", {{"type", "string"}, {"enum", {"system", "developer", "user", "assistant"}}}},
          {"content", {{"type", "string"}}}}}}}};
  schemas["ChatCompletionRequest"] = chat;
  const json usage = {{"type", "object"},
                      {"properties",
                       {{"prompt_tokens", {{"type", "integer"}}},
                        {"completion_tokens", {{"type", "integer"}}},
                        {"total_tokens", {{"type", "integer"}}}}}};
  const json finish = {{"type", "string"}, {"enum", {"stop", "length"}}};
  const auto response = [&](const char* object, const json& choice) {
    return json{{"type", "object"},
                {"required", {"id", "object", "created", "model", "choices", "usage"}},
                {"properties",
                 {{"id", {{"type", "string"}}},
                  {"object", {{"type", "string"}, {"enum", {object}}}},
                  {"created", {{"type", "integer"}}},
                  {"model", {{"type", "string"}}},
                  {"choices", {{"type", "array"}, {"items", choice}}},
                  {"usage", usage}}}};
  };
  schemas["CompletionResponse"] = response("text_completion", {{"type", "object"},
                                                               {"properties",
                                                                {{"index", {{"type", "integer"}}},
                                                                 {"text", {{"type", "string"}}},
                                                                 {"finish_reason", finish}}}});
  schemas["ChatCompletionResponse"] = response(
      "chat.completion",
      {{"type", "object"},
       {"properties",
        {{"index", {{"type", "integer"}}},
         {"message",
          {{"type", "object"},
           {"properties", {{"role", {{"type", "string"}}}, {"content", {{"type", "string"}}}}}}},
         {"finish_reason", finish}}}});
  paths["/v1/completions"] =
      post("Continue a prompt (an LM server)", "CompletionRequest", "CompletionResponse");
  paths["/v1/chat/completions"] = post("Answer a conversation (an LM server; chat template)",
                                       "ChatCompletionRequest", "ChatCompletionResponse");
  const json model_list = body("The served LM", {{"type", "object"}});
  paths["/v1/models"] = {
      {"get", {{"summary", "The served LM"}, {"responses", {{"200", model_list}}}}}};
  paths["/v1/models/{model}"] = {
      {"get",
       {{"summary", "One model"},
        {"parameters",
         {{{"name", "model"},
           {"in", "path"},
           {"required", true},
           {"schema", {{"type", "string"}}}}}},
        {"responses", {{"200", model_list}, {"404", body("Unknown model", ref("OpenAiError"))}}}}}};
}

}  // namespace bog::serve
