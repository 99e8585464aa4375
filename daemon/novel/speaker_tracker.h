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

#include "daemon/novel/attribution.h"
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

// What a paragraph says on its own, before any exchange state: its quoted pieces and
// the attribution in the narration around them. A pure function of the paragraph, so a
// walk that reads the same text twice (the characters step) computes it once.
struct ParagraphReading {
  std::vector<QuoteSegment> segments;
  std::size_t first_speech = 0;         // index into segments; segments.size() for narration
  Attribution attribution;              // found == false when the narration names nobody
  std::size_t attribution_segment = 0;  // the segment holding it; segments.size() when none
  bool HasSpeech() const { return first_speech < segments.size(); }
};
ParagraphReading ReadParagraph(std::string_view paragraph, QuoteStyle style);

// The parts of a Speech that depend on its paragraph alone: text, action_before,
// action_after (appended to what `speech` holds), thinking and manner. `reading` is
// ReadParagraph(paragraph, …) of a paragraph with speech.
void FillSpeechTexts(std::string_view paragraph, const ParagraphReading& reading, Speech& speech);

class SpeakerTracker {
 public:
  SpeakerTracker(QuoteStyle style, const Cast* cast);

  // The speech in `paragraph`, or nullopt for narration. Updates the exchange state.
  std::optional<Speech> Read(std::string_view paragraph);

  // How much of a Speech to fill in: everything, or only speaker, raw_name, named,
  // thinking and manner (text and actions left empty) for walks that only count.
  enum class Detail { kFull, kSpeakerOnly };
  // Read() on a reading made earlier by ReadParagraph(paragraph, style).
  std::optional<Speech> Follow(std::string_view paragraph, const ParagraphReading& reading,
                               Detail detail);
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
  NameStarts cast_starts_;  // first words of the cast's names
};

}  // namespace forkline
