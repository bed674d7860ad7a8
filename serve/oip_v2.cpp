#include "serve/oip_v2.h"

#include <fmt/format.h>

#include <filesystem>
#include <regex>

namespace bog::serve {
namespace {

using nlohmann::json;

ApiError bad(std::string message) { return ApiError{400, "bad_request", std::move(message)}; }

// Row-major flattening of nested data arrays; false when an element is not a string.
bool flatten_strings(const json& data, std::vector<std::string>& out) {
  if (data.is_string()) {
    out.push_back(data.get<std::string>());
    return true;
  }
  if (!data.is_array()) return false;
  for (const json& d : data) {
    if (!flatten_strings(d, out)) return false;
  }
  return true;
}

}  // namespace

bool strip_v2_version(std::string& path, std::string& version) {
  static const std::regex versioned(R"(^(/v2/models/[^/]+)/versions/([^/]+)(/ready|/infer)?$)");
  std::smatch m;
  if (!std::regex_match(path, m, versioned)) return false;
  version = m[2].str();
  path = m[1].str() + m[3].str();
  return true;
}

std::string v2_model_name(const std::string& bundle_dir) {
  const std::filesystem::path p = std::filesystem::absolute(bundle_dir).lexically_normal();
  std::string name = p.filename().string();
  if (name.empty()) name = p.parent_path().filename().string();
  return name;
}

std::variant<V2InferRequest, ApiError> parse_v2_infer(std::string_view body, int max_texts) {
  const json j = json::parse(body, nullptr, false);
  if (j.is_discarded()) return bad("the body is not valid JSON (UTF-8)");
  if (!j.is_object()) return bad("the body must be a JSON object with \"inputs\"");
  V2InferRequest r;
  if (j.contains("id")) {
    if (!j["id"].is_string()) return bad("\"id\" must be a string");
    r.id = j["id"].get<std::string>();
  }
  if (!j.contains("inputs") || !j["inputs"].is_array() || j["inputs"].empty()) {
    return bad("\"inputs\" must be a non-empty array");
  }
  bool seen = false;
  for (const json& in : j["inputs"]) {
    if (!in.is_object() || !in.contains("name") || !in["name"].is_string()) {
      return bad("each input needs a \"name\"");
    }
    const std::string name = in["name"].get<std::string>();
    if (name != kV2Input) {
      return bad(fmt::format("unknown input '{}' (the model takes '{}')", name, kV2Input));
    }
    if (seen) return bad("input 'text' given twice");
    seen = true;
    const std::string datatype = in.value("datatype", json()).is_string()
                                     ? in["datatype"].get<std::string>()
                                     : std::string();
    if (datatype != "BYTES") {
      return bad(fmt::format("input 'text' has datatype '{}'; it must be BYTES", datatype));
    }
    if (!in.contains("shape") || !in["shape"].is_array() || in["shape"].empty() ||
        in["shape"].size() > 2) {
      return bad("input 'text' needs a shape [n] (or [n, 1])");
    }
    int64_t elements = 1;
    for (const json& d : in["shape"]) {
      if (!d.is_number_integer() || d.get<int64_t>() < 0) {
        return bad("the shape of 'text' must hold non-negative integers");
      }
      elements *= d.get<int64_t>();
    }
    if (in["shape"].size() == 2 && in["shape"][1].get<int64_t>() != 1) {
      return bad("a 2-D shape of 'text' must be [n, 1]");
    }
    if (!in.contains("data")) return bad("input 'text' has no \"data\"");
    if (!flatten_strings(in["data"], r.texts)) {
      return bad("the data of 'text' must be strings (BYTES as UTF-8 text)");
    }
    if (static_cast<int64_t>(r.texts.size()) != elements) {
      return bad(fmt::format("input 'text': shape {} holds {} elements but data has {}",
                             in["shape"].dump(), elements, r.texts.size()));
    }
  }
  if (r.texts.empty()) return bad("input 'text' holds no texts");
  if (static_cast<int>(r.texts.size()) > max_texts) {
    return bad(fmt::format("at most {} texts per request (got {})", max_texts, r.texts.size()));
  }
  for (size_t i = 0; i < r.texts.size(); ++i) {
    if (r.texts[i].find_first_not_of(" \t\r\n") == std::string::npos) {
      return bad(fmt::format("text {} is empty", i));
    }
  }
  if (j.contains("outputs")) {
    if (!j["outputs"].is_array()) return bad("\"outputs\" must be an array");
    for (const json& o : j["outputs"]) {
      const std::string name =
          o.is_object() && o.value("name", json()).is_string() ? o["name"].get<std::string>() : "";
      if (name != kV2Probabilities && name != kV2Label) {
        return bad(fmt::format("unknown output '{}' (the model gives '{}' and '{}')", name,
                               kV2Probabilities, kV2Label));
      }
      r.outputs.push_back(name);
    }
  }
  return r;
}

json v2_model_metadata(const std::string& name, int classes) {
  return {{"name", name},
          {"versions", {"1"}},
          {"platform", "bog"},
          {"inputs", {{{"name", kV2Input}, {"datatype", "BYTES"}, {"shape", {-1}}}}},
          {"outputs",
           {{{"name", kV2Probabilities}, {"datatype", "FP32"}, {"shape", {-1, classes}}},
            {{"name", kV2Label}, {"datatype", "BYTES"}, {"shape", {-1}}}}}};
}

json v2_infer_response(const std::string& name, const V2InferRequest& req,
                       const std::vector<std::vector<float>>& probabilities,
                       const std::vector<std::string>& labels) {
  const auto wanted = [&](const char* o) {
    if (req.outputs.empty()) return true;
    for (const std::string& w : req.outputs) {
      if (w == o) return true;
    }
    return false;
  };
  const size_t n = probabilities.size();
  const size_t classes = n > 0 ? probabilities[0].size() : 0;
  json outputs = json::array();
  if (wanted(kV2Probabilities)) {
    json data = json::array();
    for (const auto& row : probabilities) {
      for (const float p : row) data.push_back(p);
    }
    outputs.push_back({{"name", kV2Probabilities},
                       {"datatype", "FP32"},
                       {"shape", {n, classes}},
                       {"data", data}});
  }
  if (wanted(kV2Label)) {
    outputs.push_back(
        {{"name", kV2Label}, {"datatype", "BYTES"}, {"shape", {n}}, {"data", labels}});
  }
  json out = {{"model_name", name}, {"model_version", "1"}, {"outputs", outputs}};
  if (!req.id.empty()) out["id"] = req.id;
  return out;
}

}  // namespace bog::serve
