// Whether a completion has the shape the reward asks for. Let full = "<think>" + completion when generation
// started inside reasoning (the prompt ended with "<think>"), else the completion; WS = ASCII whitespace.
//
// r1-zero (R1-Zero's template: reasoning in <think> </think>, then the answer in <answer> </answer>):
//   full = WS* "<think>" R "</think>" WS* "<answer>" A "</answer>" WS*
//   with R and A free of the four tags, and R and A not empty after trimming. Nothing but whitespace may follow
//   "</answer>" (the completion is the text before the stop token; a decoder that stops on the string
//   "</answer>" must put it back).
// think (R1 and the R1-Distill models: reasoning, then a free-form answer):
//   full = WS* "<think>" R "</think>" A, R free of the think tags and non-empty, A non-empty after trimming and
//   free of the think tags.
#pragma once
#include <string>
#include <string_view>

namespace seek {

enum class FormatRule { r1_zero, think };

FormatRule parse_format_rule(const std::string& name);  // "r1-zero" | "think"; throws Error otherwise
const char* format_rule_name(FormatRule r);

bool well_formed(std::string_view completion, bool started_in_think, FormatRule rule);

}  // namespace seek
