#pragma once
// SpeakerTracker reads a chapter paragraph by paragraph and says who speaks in each:
// explicit attribution first ("said Alice"), then pronouns resolved against the
// speakers of the exchange (by gender where known), then — for unattributed lines —
// the other party of a back-and-forth. Not thread-safe; one per chapter walk.

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "daemon/novel/quotes.h"
#include "daemon/novel/speech_lexicon.h"

namespace forkline {

inline constexpr std::string_view kNarratorCue = "NARRATOR";
inline constexpr std::string_view kUnknownCue = "VOICE";

// How names in the text map to character cues.
struct Cast {
  // Display form in the text ("Rabbit", "White Rabbit") -> cue ("WHITE RABBIT"). Empty
  // on a first pass: every explicitly attributed name is then its own cue.
  std::unordered_map<std::string, std::string> cue_of;
  std::string protagonist;  // cue of the main character, or empty
  bool Knows(const std::string& name) const { return cue_of.count(name) != 0; }
  std::string CueFor(const std::string& name) const;
};

struct Speech {
  std::string speaker;   // a cue: "ALICE", "WHITE RABBIT", kNarratorCue or kUnknownCue
  std::string raw_name;  // how the text named the speaker, when it did ("Rabbit")
  bool named = false;    // attributed in the paragraph itself (a name, not a guess)
  bool thinking = false;
  std::string manner;         // "whispering", "angrily", "thinking", …; may be empty
  std::string text;           // the spoken words, the quoted pieces joined
  std::string action_before;  // narration before the speech, attribution removed
  std::string action_after;   // narration after it, attribution removed
};

class SpeakerTracker {
 public:
  SpeakerTracker(QuoteStyle style, const Cast* cast);

  // The speech in `paragraph`, or nullopt for narration. Updates the exchange state.
  std::optional<Speech> Read(std::string_view paragraph);
  // Forgets the exchange (a new chapter or scene).
  void Reset();

 private:
  std::string ResolvePronoun(lexicon::Pronoun p, std::string_view lead_in) const;
  std::string GuessUnattributed(std::string_view lead_in) const;
  void NoteMentions(std::string_view narration);
  void NoteGender(const std::string& cue, std::string_view after);
  int GenderOf(const std::string& cue) const;  // +1 male, -1 female, 0 unknown
  void Remember(const std::string& cue, const std::string& addressee);

  QuoteStyle style_;
  const Cast* cast_;                          // not owned; may be null (first pass)
  std::vector<std::string> recent_speakers_;  // most recent last, distinct neighbours
  std::string addressee_;                     // who the last speaker spoke to, if said
  std::string last_mention_;                  // last known character named in narration
  bool last_open_ = false;                    // the last speech ran on past its paragraph
  std::unordered_map<std::string, int> gender_votes_;
};

}  // namespace forkline
