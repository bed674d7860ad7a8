// The OpenAPI 3 document served at /openapi.json: every route, its bodies and its errors.
#pragma once

#include <nlohmann/json.hpp>

#include "serve/serving_config.h"

namespace bog::serve {

[[nodiscard]] nlohmann::json openapi_document(const ServingConfig& config,
                                              const std::string& version);

}  // namespace bog::serve
