#include "model/train/checkpoint.h"

#include <fmt/format.h>

#include <cstring>

#include "common/error.h"

namespace bog::model {
namespace {

StTensor to_tensor(const Mat& m) {
  StTensor t;
  if (m.rows() == 1) {
    t.shape = {m.cols()};
  } else {
    t.shape = {m.rows(), m.cols()};
  }
  t.data.assign(m.data(), m.data() + m.size());
  return t;
}

void copy_into(const StFile& file, const std::string& name, Mat& dst, std::string_view source) {
  const auto it = file.tensors.find(name);
  if (it == file.tensors.end()) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("{}: tensor {} is missing", source, name));
  }
  const StTensor& t = it->second;
  const bool vector_ok = dst.rows() == 1 && t.shape.size() == 1 && t.shape[0] == dst.cols();
  const bool matrix_ok =
      t.shape.size() == 2 && t.shape[0] == dst.rows() && t.shape[1] == dst.cols();
  if (!vector_ok && !matrix_ok) {
    std::string shape;
    for (auto d : t.shape) {
      if (!shape.empty()) shape.push_back('x');
      shape.append(std::to_string(d));
    }
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("{}: tensor {} has shape [{}], the model needs [{}x{}]", source, name,
                            shape, dst.rows(), dst.cols()));
  }
  std::memcpy(dst.data(), t.data.data(), t.data.size() * sizeof(float));
}

}  // namespace

StFile weights_file(const ParamList& params) {
  StFile file;
  for (const Param* p : params) file.tensors[p->name] = to_tensor(p->value);
  return file;
}

void save_checkpoint(const std::filesystem::path& path, const ParamList& params,
                     const AdamW* optimizer, const CheckpointState& state) {
  StFile file;
  for (size_t i = 0; i < params.size(); ++i) {
    file.tensors["param/" + params[i]->name] = to_tensor(params[i]->value);
    if (optimizer != nullptr) {
      file.tensors["adam_m/" + params[i]->name] = to_tensor(optimizer->first_moments()[i]);
      file.tensors["adam_v/" + params[i]->name] = to_tensor(optimizer->second_moments()[i]);
    }
  }
  file.metadata["format"] = std::string(kCheckpointFormat);
  file.metadata["step"] = std::to_string(state.step);
  file.metadata["rng_state"] = state.rng_state;
  file.metadata["model_config"] = state.model_config.dump();
  file.metadata["train_config"] = state.train_config.dump();
  file.metadata["info"] = state.info.dump();
  write_safetensors(path, file);
}

CheckpointState read_checkpoint_state(const StFile& file, std::string_view source) {
  auto meta = [&](const char* key) -> const std::string& {
    const auto it = file.metadata.find(key);
    if (it == file.metadata.end()) {
      throw Error(ErrorCategory::kInvalidModel,
                  fmt::format("{}: not a bog checkpoint (no '{}' metadata)", source, key));
    }
    return it->second;
  };
  if (meta("format") != kCheckpointFormat) {
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("{}: checkpoint format '{}' is not {}", source, meta("format"),
                            kCheckpointFormat));
  }
  CheckpointState state;
  try {
    state.step = std::stoll(meta("step"));
    state.rng_state = meta("rng_state");
    state.model_config = nlohmann::json::parse(meta("model_config"));
    state.train_config = nlohmann::json::parse(meta("train_config"));
    state.info = nlohmann::json::parse(meta("info"));
  } catch (const std::exception& e) {
    if (const auto* err = dynamic_cast<const Error*>(&e)) throw *err;
    throw Error(ErrorCategory::kInvalidModel,
                fmt::format("{}: bad checkpoint metadata ({})", source, e.what()));
  }
  return state;
}

void load_weights(const StFile& file, std::string_view prefix, const ParamList& params,
                  std::string_view source) {
  for (Param* p : params) copy_into(file, std::string(prefix) + p->name, p->value, source);
}

void load_optimizer(const StFile& file, const ParamList& params, AdamW& optimizer,
                    std::string_view source) {
  for (size_t i = 0; i < params.size(); ++i) {
    copy_into(file, "adam_m/" + params[i]->name, optimizer.first_moments()[i], source);
    copy_into(file, "adam_v/" + params[i]->name, optimizer.second_moments()[i], source);
  }
}

}  // namespace bog::model
