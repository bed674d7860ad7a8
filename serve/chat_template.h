// Chat messages to one prompt text for a decoder LM. The bundle's manifest may name a template
// ("chat_template": "plain" or "chatml"); without one, "plain": each message as "role: content"
// on its own line, then "assistant:" for the reply to continue.
#pragma once

#include <string>
#include <vector>

namespace bog::serve {

struct ChatMessage {
  std::string role;  // system, user, assistant (others pass through as their name)
  std::string content;
};

// The template names known here.
[[nodiscard]] const std::vector<std::string>& chat_template_names();
// Error(kInvalidArgument) for a name not in chat_template_names().
void check_chat_template(const std::string& name);
// The prompt text the LM continues.
[[nodiscard]] std::string render_chat(const std::string& template_name,
                                      const std::vector<ChatMessage>& messages);
// Text that ends the reply under that template (the next turn's start), as stop strings.
[[nodiscard]] std::vector<std::string> chat_stop_strings(const std::string& template_name);

}  // namespace bog::serve
