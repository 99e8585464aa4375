#include "daemon/novel/speech_lexicon.h"

#include <string>
#include <unordered_map>
#include <unordered_set>

#include "daemon/novel/text_util.h"

namespace forkline::lexicon {
namespace {

using Map = std::unordered_map<std::string_view, std::string_view>;
using Set = std::unordered_set<std::string_view>;

const Map& Verbs() {
  static const Map kVerbs = {{"said", ""},
                             {"says", ""},
                             {"asked", ""},
                             {"asks", ""},
                             {"replied", ""},
                             {"replies", ""},
                             {"answered", ""},
                             {"answers", ""},
                             {"cried", "crying out"},
                             {"cries", "crying out"},
                             {"exclaimed", ""},
                             {"shouted", "shouting"},
                             {"shouts", "shouting"},
                             {"whispered", "whispering"},
                             {"whispers", "whispering"},
                             {"remarked", ""},
                             {"continued", ""},
                             {"added", ""},
                             {"began", ""},
                             {"repeated", ""},
                             {"muttered", "muttering"},
                             {"murmured", "murmuring"},
                             {"thought", "thinking"},
                             {"thinks", "thinking"},
                             {"observed", ""},
                             {"called", "calling out"},
                             {"screamed", "screaming"},
                             {"roared", "roaring"},
                             {"sobbed", "sobbing"},
                             {"growled", "growling"},
                             {"inquired", ""},
                             {"enquired", ""},
                             {"returned", ""},
                             {"interrupted", "interrupting"},
                             {"explained", ""},
                             {"pleaded", "pleading"},
                             {"suggested", ""},
                             {"sighed", "sighing"},
                             {"yelled", "yelling"},
                             {"declared", ""},
                             {"insisted", ""},
                             {"protested", ""},
                             {"laughed", "laughing"},
                             {"snapped", "snapping"},
                             {"retorted", ""},
                             {"urged", ""},
                             {"agreed", ""},
                             {"persisted", ""},
                             {"shrieked", "shrieking"},
                             {"squeaked", "squeaking"},
                             {"grunted", "grunting"},
                             {"panted", "panting"},
                             {"gasped", "gasping"},
                             {"stammered", "stammering"},
                             {"whimpered", "whimpering"},
                             {"sneered", "sneering"},
                             {"demanded", ""},
                             {"responded", ""},
                             {"ventured", ""},
                             {"corrected", ""},
                             {"concluded", ""},
                             {"resumed", ""},
                             {"thundered", "thundering"},
                             {"bawled", "bawling"},
                             {"moaned", "moaning"},
                             {"groaned", "groaning"},
                             {"wailed", "wailing"},
                             {"howled", "howling"},
                             {"hissed", "hissing"},
                             {"faltered", ""},
                             {"mused", ""},
                             {"pursued", ""},
                             {"interposed", ""},
                             {"rejoined", ""},
                             {"sang", "singing"},
                             {"recited", "reciting"},
                             {"echoed", ""},
                             {"grumbled", "grumbling"},
                             {"complained", ""},
                             {"announced", ""},
                             {"bellowed", "bellowing"},
                             {"chuckled", "chuckling"},
                             {"giggled", "giggling"},
                             {"went", ""},
                             {"put", ""},
                             {"broke", ""},
                             {"chimed", ""},
                             {"proceeded", ""},
                             {"cautioned", ""},
                             {"warned", ""},
                             {"begged", ""},
                             {"promised", ""},
                             {"admitted", ""},
                             {"ordered", ""},
                             {"commanded", ""}};
  return kVerbs;
}

// `word` (at most 4 bytes) in lower case, in `buffer`.
std::string_view Lowered(std::string_view word, char (&buffer)[4]) {
  for (std::size_t i = 0; i < word.size(); ++i)
    buffer[i] = text::ToLower(word[i]);
  return std::string_view(buffer, word.size());
}

}  // namespace

bool IsSpeechVerb(std::string_view lower_word) {
  static const text::WordShapes kShapes = [] {
    text::WordShapes shapes;
    for (const auto& [verb, manner] : Verbs())
      shapes.Add(verb);
    return shapes;
  }();
  if (lower_word.size() < 3 || lower_word.size() > 11) return false;
  return kShapes.MayContain(lower_word) && Verbs().count(lower_word) != 0;
}

std::string_view MannerOfVerb(std::string_view lower_word) {
  const auto it = Verbs().find(lower_word);
  return it == Verbs().end() ? std::string_view() : it->second;
}

bool IsThinkingVerb(std::string_view lower_word) {
  return lower_word == "thought" || lower_word == "thinks";
}

bool IsSpeechParticle(std::string_view verb, std::string_view next_lower) {
  if (verb == "went") return next_lower == "on";
  if (verb == "put" || verb == "broke" || verb == "chimed") return next_lower == "in";
  return false;
}

bool IsMannerAdverb(std::string_view w) {
  static const Set kNot = {
      "only",        "early",    "family",  "reply",  "supply",    "really",  "nearly",
      "likely",      "lonely",   "holy",    "ugly",   "silly",     "jolly",   "lily",
      "belly",       "rely",     "apply",   "july",   "curly",     "italy",   "daily",
      "hardly",      "scarcely", "merely",  "simply", "fly",       "bully",   "presently",
      "immediately", "suddenly", "finally", "lastly", "generally", "usually", "exactly",
      "certainly",   "probably"};
  return w.size() > 4 && text::EndsWith(w, "ly") && kNot.count(w) == 0;
}

bool IsTitleWord(std::string_view word) {
  static const Set kTitles = {
      "Mr",       "Mrs",       "Ms",      "Miss",     "Dr",      "Sir",       "Lady",
      "Lord",     "Captain",   "Colonel", "Major",    "General", "Professor", "Prof",
      "Madame",   "Monsieur",  "Mme",     "Mlle",     "Saint",   "St",        "Inspector",
      "Count",    "Countess",  "Prince",  "Princess", "Father",  "Mother",    "Aunt",
      "Uncle",    "Brother",   "Sister",  "Dame",     "Master",  "Mistress",  "Reverend",
      "Rev",      "Judge",     "Doctor",  "Duke",     "Duchess", "Baron",     "Baroness",
      "Sergeant", "Lieutenant"};
  return kTitles.count(word) != 0;
}

bool IsAbbreviatedTitle(std::string_view word) {
  return word == "Mr" || word == "Mrs" || word == "Ms" || word == "Dr" || word == "St" ||
         word == "Mme" || word == "Mlle" || word == "Prof" || word == "Rev" || word == "Capt" ||
         word == "Col" || word == "Gen" || word == "Lt" || word == "Sgt";
}

bool IsNameStopWord(std::string_view word) {
  static const Set kStop = {
      "I",       "A",      "An",      "The",       "It",        "He",        "She",
      "They",    "We",     "You",     "This",      "That",      "These",     "Those",
      "There",   "Then",   "But",     "And",       "Or",        "Oh",        "O",
      "Ah",      "Yes",    "No",      "Not",       "What",      "Why",       "How",
      "When",    "Where",  "Who",     "Which",     "Well",      "Now",       "So",
      "If",      "In",     "On",      "At",        "As",        "To",        "For",
      "Of",      "By",     "With",    "Her",       "His",       "Its",       "Their",
      "Our",     "My",     "Your",    "Do",        "Here",      "Just",      "Only",
      "All",     "Some",   "One",     "Perhaps",   "Presently", "Suddenly",  "Alas",
      "Come",    "Let",    "Please",  "Very",      "Indeed",    "Certainly", "After",
      "Before",  "While",  "Still",   "Even",      "Soon",      "At",        "Once",
      "First",   "Again",  "Nobody",  "Everybody", "Somebody",  "Nothing",   "Everything",
      "Hush",    "Never",  "Ever",    "Besides",   "However",   "Meanwhile", "Sir",
      "Madam",   "Ma'am",  "Don't",   "I'm",       "I'll",      "It's",      "That's",
      "Mind",    "Shall",  "Sure",    "Quite",     "Dear",      "Good",      "Thank",
      "Thanks",  "Hm",     "Hmm",     "Hullo",     "Hello",     "Stop",      "Look",
      "Wait",    "Listen", "Oh",      "Off",       "Up",        "Down",      "Out",
      "Over",    "Into",   "Upon",    "From",      "Whether",   "Though",    "Although",
      "Because", "Since",  "Unless",  "Until",     "Till",      "Both",      "Each",
      "Every",   "Many",   "Much",    "More",      "Most",      "Such",      "Half",
      "Two",     "Three",  "Ten",     "Anything",  "Everyone",  "Someone",   "Anyone",
      "Twinkle", "Said",   "CHAPTER", "Chapter"};
  // Asked of every capitalised word a name might start with: most fail this first.
  static const text::WordShapes kShapes = [] {
    text::WordShapes shapes;
    for (std::string_view w : kStop)
      shapes.Add(text::Lower(w));
    return shapes;
  }();
  if (word.empty() ||
      !kShapes.MayContain(word.size(), text::ToLower(word.front()), text::ToLower(word.back()))) {
    return false;
  }
  return kStop.count(word) != 0;
}

Pronoun PronounOf(std::string_view word) {
  char buffer[4];
  const std::string_view w = word.size() <= 4 ? Lowered(word, buffer) : word;
  if (w == "he") return Pronoun::kHe;
  if (w == "she") return Pronoun::kShe;
  if (w == "it") return Pronoun::kIt;
  if (word == "I") return Pronoun::kI;
  if (w == "they") return Pronoun::kThey;
  return Pronoun::kNone;
}

}  // namespace forkline::lexicon
