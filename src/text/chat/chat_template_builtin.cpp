// Built-in DeepSeek chat templates, for model folders that carry none. Written from the chat format (spec §7):
//   BOS + system prompts (joined by a blank line, no role tag)
//   user:       "<｜User｜>" + content
//   assistant:  "<｜Assistant｜>" + content [+ tool calls] + EOS ("<｜end▁of▁sentence｜>", or the folder's eos_token)
//   tool calls: "<｜tool▁calls▁begin｜>" + calls joined by "\n", each
//               "<｜tool▁call▁begin｜>" + type + "<｜tool▁sep｜>" + name + "\n```json\n" + arguments +
//               "\n```<｜tool▁call▁end｜>"
//               + "<｜tool▁calls▁end｜>"
//   tool results: a run of tool messages is "<｜tool▁outputs▁begin｜>" + outputs joined by "\n", each
//               "<｜tool▁output▁begin｜>" + content + "<｜tool▁output▁end｜>", + "<｜tool▁outputs▁end｜>"; the
//               assistant then continues its turn (no new "<｜Assistant｜>").
//   generation prompt: "<｜Assistant｜>" (V3) or "<｜Assistant｜><think>\n" (R1); none right after tool outputs.
// R1 additionally drops the reasoning of earlier assistant turns: everything up to the last "</think>".
#include "core/error.h"
#include "text/chat/chat_template.h"

namespace seek {

const char* const kDeepSeekBos = "<｜begin▁of▁sentence｜>";
const char* const kDeepSeekEos = "<｜end▁of▁sentence｜>";

namespace {

// Shared body; @REASONING@ and @PROMPT@ are filled in per model.
constexpr const char* kDeepSeekTemplate = R"TPL({#- seek built-in DeepSeek chat template -#}
{%- set ns = namespace(system='', in_outputs=false, continues=false) -%}
{%- set eos = eos_token if eos_token is defined else '<｜end▁of▁sentence｜>' -%}
{%- for message in messages if message['role'] == 'system' -%}
  {%- set ns.system = ns.system ~ ('' if loop.first else '\n\n') ~ message['content'] -%}
{%- endfor -%}
{{- bos_token ~ ns.system -}}
{%- for message in messages -%}
  {%- set role = message['role'] -%}
  {%- if role != 'tool' and ns.in_outputs -%}
    {{- '<｜tool▁outputs▁end｜>' -}}
    {%- set ns.in_outputs = false -%}
  {%- endif -%}
  {%- if role == 'user' -%}
    {{- '<｜User｜>' ~ message['content'] -}}
    {%- set ns.continues = false -%}
  {%- elif role == 'assistant' -%}
    {%- set content = message['content'] if message['content'] is string else '' -%}
@REASONING@
    {{- ('' if ns.continues else '<｜Assistant｜>') ~ content -}}
    {%- if message['tool_calls'] -%}
      {{- '<｜tool▁calls▁begin｜>' -}}
      {%- for call in message['tool_calls'] -%}
        {%- set fn = call['function'] -%}
        {%- set arguments = fn['arguments'] if fn['arguments'] is string else fn['arguments'] | tojson -%}
        {{- ('' if loop.first else '\n') ~ '<｜tool▁call▁begin｜>' ~ (call['type'] or 'function') ~ '<｜tool▁sep｜>' -}}
        {{- fn['name'] ~ '\n```json\n' ~ arguments ~ '\n```<｜tool▁call▁end｜>' -}}
      {%- endfor -%}
      {{- '<｜tool▁calls▁end｜>' -}}
    {%- endif -%}
    {{- eos -}}
    {%- set ns.continues = false -%}
  {%- elif role == 'tool' -%}
    {{- ('\n' if ns.in_outputs else '<｜tool▁outputs▁begin｜>') -}}
    {{- '<｜tool▁output▁begin｜>' ~ message['content'] ~ '<｜tool▁output▁end｜>' -}}
    {%- set ns.in_outputs = true -%}
    {%- set ns.continues = true -%}
  {%- endif -%}
{%- endfor -%}
{%- if ns.in_outputs -%}
  {{- '<｜tool▁outputs▁end｜>' -}}
{%- endif -%}
{%- if add_generation_prompt and not ns.continues -%}
  {{- @PROMPT@ -}}
{%- endif -%}
)TPL";

constexpr const char* kDropReasoning = R"TPL(    {%- if '</think>' in content -%}
      {%- set content = content.split('</think>')[-1] -%}
    {%- endif -%})TPL";

std::string fill(std::string text, const std::string& key, const std::string& value) {
  const size_t at = text.find(key);
  if (at != std::string::npos) text.replace(at, key.size(), value);
  return text;
}

std::string make_source(bool r1) {
  std::string s = fill(kDeepSeekTemplate, "@REASONING@", r1 ? kDropReasoning : "");
  return fill(s, "@PROMPT@", r1 ? "'<｜Assistant｜><think>\\n'" : "'<｜Assistant｜>'");
}

}  // namespace

BuiltinChat parse_builtin_chat(const std::string& name) {
  if (name == "deepseek-v3" || name == "v3") return BuiltinChat::deepseek_v3;
  if (name == "deepseek-r1" || name == "r1") return BuiltinChat::deepseek_r1;
  throw Error("unknown built-in chat template '" + name + "' (expected deepseek-v3 or deepseek-r1)");
}

const std::string& builtin_chat_source(BuiltinChat which) {
  static const std::string v3 = make_source(false);
  static const std::string r1 = make_source(true);
  return which == BuiltinChat::deepseek_r1 ? r1 : v3;
}

}  // namespace seek
