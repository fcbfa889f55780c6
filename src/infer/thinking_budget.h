// A thinking budget: a cap on how many tokens a reasoning model may spend inside its <think> block. Generation
// starts inside the reasoning (the prompt opened it); once `budget` tokens have gone by without the model closing
// the block itself, the tokens of "\n</think>\n\n" are forced one after another, and from then on the model answers
// freely. A TokenConstraint, so the generation loop needs nothing new: it only ever narrows one step to one token.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "infer/constraint.h"
#include "text/tokenizer/tokenizer.h"

namespace seek {

// Throws Error for a negative budget.
std::unique_ptr<TokenConstraint> thinking_budget_constraint(const Tokenizer& tok, int64_t budget);

}  // namespace seek
