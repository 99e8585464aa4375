#pragma once
// Finds who a speech is attributed to in the narration around it: "said Alice",
// "Alice said", "said the Queen", "the Hatter went on", "said he", "Alice replied
// angrily", "thought Alice". Pure functions of the fragment; state lives in
// SpeakerTracker.

#include <cstddef>
#include <string>
#include <string_view>

#include "daemon/novel/names.h"

namespace forkline {

struct Attribution {
  bool found = false;
  NameMatch who;                 // a name, a common noun phrase, or a pronoun
  std::string manner;            // for a parenthetical: "whispering", "angrily", "to herself"
  bool thinking = false;         // "thought Alice"
  std::string addressee;         // "said Alice to the Caterpillar" -> "Caterpillar"
  std::size_t clause_begin = 0;  // the clause that holds the attribution, in the fragment
  std::size_t clause_end = 0;
};

enum class FragmentPlace {
  kAfterSpeech,   // narration that follows a speech: its first clause is searched
  kBeforeSpeech,  // narration that leads into the first speech: its last clause
};

Attribution FindAttribution(std::string_view fragment, FragmentPlace place);

// The sentence subject at the start of the fragment's last sentence ("The Hatter was
// the first to break the silence."), or nullopt.
std::optional<NameMatch> LastSentenceSubject(std::string_view fragment);

// The first he/him/his (kHe) or she/her (kShe) word in `s`, or kNone.
lexicon::Pronoun FirstGenderedPronoun(std::string_view s);

}  // namespace forkline
