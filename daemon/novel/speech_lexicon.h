#pragma once
// The words attribution is made of: speech verbs and the manner they imply, pronouns,
// titles that belong to a name, and capitalised words that are never names.

#include <string_view>

namespace forkline::lexicon {

// "said", "replied", "cried", "whispered", "thought", … (lower case, past or present).
bool IsSpeechVerb(std::string_view lower_word);
// The parenthetical a verb implies ("whispered" -> "whispering"), or empty.
std::string_view MannerOfVerb(std::string_view lower_word);
// "thought", "thinks", …: the speech is a thought.
bool IsThinkingVerb(std::string_view lower_word);
// Two-word speech verbs: "went on", "put in", "broke in", "called out", "cried out".
bool IsSpeechParticle(std::string_view verb, std::string_view next_lower);

// "angrily", "softly": an -ly word that describes a manner (not "only", "family").
bool IsMannerAdverb(std::string_view lower_word);

// Title words kept in a cue: "Mr", "Mrs", "Miss", "Dr", "Lady", "Captain", …
bool IsTitleWord(std::string_view word);
// Titles written with a period: "Mr", "Mrs", "Dr", "St", "Ms", "Mme", "Mlle", "Prof".
bool IsAbbreviatedTitle(std::string_view word);

// Capitalised words that do not start a name: "The", "It", "Then", "Oh", "Yes", …
bool IsNameStopWord(std::string_view word);

enum class Pronoun { kNone, kHe, kShe, kIt, kI, kThey };
Pronoun PronounOf(std::string_view word);

}  // namespace forkline::lexicon
