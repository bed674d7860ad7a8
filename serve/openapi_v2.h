// The Open Inference Protocol (v2 REST) part of /openapi.json: the /v2 routes, their bodies and
// their {"error": "..."} answers.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace bog::serve {

// {"$ref": "#/components/schemas/<name>"}; a response object with a JSON body of `schema`.
[[nodiscard]] nlohmann::json openapi_ref(const std::string& name);
[[nodiscard]] nlohmann::json openapi_json_response(const std::string& description,
                                                   const nlohmann::json& schema);

// Adds the /v2 paths to `paths` and their schemas (V2*) to `schemas`.
void add_v2_paths(nlohmann::json& paths, nlohmann::json& schemas, int max_texts);

}  // namespace bog::serve
