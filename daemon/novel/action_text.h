#pragma once
// Narration -> screenplay action: short, present tense, no walls of text.

#include <cstddef>
#include <string>
#include <string_view>

namespace forkline {

// Longest action block, in words; a longer narration is condensed to fit.
inline constexpr std::size_t kMaxActionWords = 45;

// Condenses a narration paragraph into an action block: parenthetical asides "(…)"
// dropped, the first sentences kept up to kMaxActionWords (a long first sentence is cut
// at a clause boundary), common past-tense verbs turned to the present ("was" -> "is",
// "ran" -> "runs"; "they were" -> "they are"). Empty when nothing is left.
std::string CondenseAction(std::string_view narration);
// The same into `out` (its contents replaced; its memory reused from call to call).
void CondenseAction(std::string_view narration, std::string& out);

// "was" -> "is", "looked" -> "looks" (after he/she/it or a name), "they went" -> "they
// go". `previous` is the word before, lower case. Returns empty when `word` stays.
std::string PresentTense(std::string_view word, std::string_view previous);

}  // namespace forkline
