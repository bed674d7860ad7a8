#include "serve/chat_template.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/error.h"

namespace bog::serve {

const std::vector<std::string>& chat_template_names() {
  static const std::vector<std::string> names = {"plain", "chatml"};
  return names;
}

void check_chat_template(const std::string& name) {
  const auto& n = chat_template_names();
  if (std::find(n.begin(), n.end(), name) == n.end())
    throw Error(ErrorCategory::kInvalidArgument,
                fmt::format("unknown chat template '{}' (known: {})", name, fmt::join(n, ", ")));
}

std::string render_chat(const std::string& template_name,
                        const std::vector<ChatMessage>& messages) {
  check_chat_template(template_name);
  std::string out;
  if (template_name == "chatml") {
    for (const ChatMessage& m : messages)
      out += fmt::format("<|im_start|>{}\n{}<|im_end|>\n", m.role, m.content);
    return out + "<|im_start|>assistant\n";
  }
  for (const ChatMessage& m : messages) out += fmt::format("{}: {}\n", m.role, m.content);
  return out + "assistant:";
}

std::vector<std::string> chat_stop_strings(const std::string& template_name) {
  check_chat_template(template_name);
  if (template_name == "chatml") return {"<|im_end|>", "<|im_start|>"};
  return {"\nuser:", "\nsystem:"};
}

}  // namespace bog::serve
