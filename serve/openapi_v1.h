// The OpenAI-compatible /v1 routes' part of /openapi.json (openapi.h): their paths and schemas.
#pragma once

#include <nlohmann/json.hpp>

namespace bog::serve {

// Adds /v1/completions, /v1/chat/completions, /v1/models and /v1/models/{model} to `paths`
// and their request, response and error schemas to `schemas`.
void add_openai_paths(nlohmann::json& paths, nlohmann::json& schemas);

}  // namespace bog::serve
