#include "daemon/novel/action_text.h"

#include <algorithm>
#include <array>
#include <unordered_map>

#include "daemon/novel/text_util.h"

namespace forkline {
namespace {

constexpr std::size_t kMaxKeptBuffer = 1 << 20;  // what a reused buffer may keep

struct Forms {
  std::string_view third;  // he/she/it …
  std::string_view plain;  // I/you/we/they …
};

const std::unordered_map<std::string_view, Forms>& PastTenses() {
  static const std::unordered_map<std::string_view, Forms> kPast = {
      {"was", {"is", "are"}},
      {"were", {"are", "are"}},
      {"had", {"has", "have"}},
      {"did", {"does", "do"}},
      {"went", {"goes", "go"}},
      {"came", {"comes", "come"}},
      {"saw", {"sees", "see"}},
      {"said", {"says", "say"}},
      {"ran", {"runs", "run"}},
      {"took", {"takes", "take"}},
      {"got", {"gets", "get"}},
      {"thought", {"thinks", "think"}},
      {"felt", {"feels", "feel"}},
      {"found", {"finds", "find"}},
      {"made", {"makes", "make"}},
      {"knew", {"knows", "know"}},
      {"began", {"begins", "begin"}},
      {"looked", {"looks", "look"}},
      {"seemed", {"seems", "seem"}},
      {"tried", {"tries", "try"}},
      {"turned", {"turns", "turn"}},
      {"walked", {"walks", "walk"}},
      {"opened", {"opens", "open"}},
      {"started", {"starts", "start"}},
      {"waited", {"waits", "wait"}},
      {"jumped", {"jumps", "jump"}},
      {"pulled", {"pulls", "pull"}},
      {"reached", {"reaches", "reach"}},
      {"noticed", {"notices", "notice"}},
      {"hurried", {"hurries", "hurry"}},
      {"watched", {"watches", "watch"}},
      {"listened", {"listens", "listen"}},
      {"stopped", {"stops", "stop"}},
      {"nodded", {"nods", "nod"}},
      {"smiled", {"smiles", "smile"}},
      {"shook", {"shakes", "shake"}},
      {"stood", {"stands", "stand"}},
      {"sat", {"sits", "sit"}},
      {"fell", {"falls", "fall"}},
      {"held", {"holds", "hold"}},
      {"heard", {"hears", "hear"}},
      {"kept", {"keeps", "keep"}},
      {"spoke", {"speaks", "speak"}},
      {"told", {"tells", "tell"}},
      {"threw", {"throws", "throw"}},
      {"gave", {"gives", "give"}},
      {"could", {"can", "can"}},
      {"would", {"will", "will"}},
      {"wanted", {"wants", "want"}},
      {"picked", {"picks", "pick"}},
      {"remarked", {"remarks", "remark"}},
      {"drew", {"draws", "draw"}},
      {"grew", {"grows", "grow"}},
      {"lay", {"lies", "lie"}},
      {"ate", {"eats", "eat"}},
      {"drank", {"drinks", "drink"}},
      {"flew", {"flies", "fly"}},
      {"became", {"becomes", "become"}},
      {"stared", {"stares", "stare"}},
      {"glanced", {"glances", "glance"}},
      {"crept", {"creeps", "creep"}},
      {"climbed", {"climbs", "climb"}},
      {"moved", {"moves", "move"}},
      {"added", {"adds", "add"}},
      {"sighed", {"sighs", "sigh"}},
      {"laughed", {"laughs", "laugh"}},
      {"cried", {"cries", "cry"}},
      {"called", {"calls", "call"}},
      {"knocked", {"knocks", "knock"}},
      {"followed", {"follows", "follow"}},
      {"hid", {"hides", "hide"}},
      {"caught", {"catches", "catch"}},
      {"brought", {"brings", "bring"}},
      {"bought", {"buys", "buy"}},
      {"sent", {"sends", "send"}},
      {"met", {"meets", "meet"}},
      {"won", {"wins", "win"}}};
  return kPast;
}

bool TakesPlainForm(std::string_view previous) {
  return previous == "i" || previous == "you" || previous == "we" || previous == "they";
}

// Narration without "(…)" asides, spaces tidied: no runs of spaces, no space before
// ',' '.' ';' (what a dropped aside leaves), trimmed; written into `out` (whose memory
// is reused from call to call), a view into it returned. Stops before the first byte of
// word number `max_words` + 1 (words as FirstSentences counts them) and sets `*cut`:
// the rest cannot change what FirstSentences keeps of a text that long. `*word_count`
// is the number of words seen (as FirstSentences counts them), max_words + 1 when cut.
std::string_view DropAsides(std::string_view s, std::size_t max_words, std::string& out, bool* cut,
                            std::size_t* word_count) {
  // Bytes that need a second look; every other byte is copied as it is.
  static constexpr std::array<bool, 256> kSpecial = [] {
    std::array<bool, 256> t{};
    for (unsigned char c : {' ', '\n', '\t', '\r', '(', ')', ',', '.', ';'})
      t[c] = true;
    return t;
  }();
  out.resize(s.size());
  char* o = out.data();
  std::size_t n = 0;  // bytes of `out` written
  std::size_t words = 0;
  std::size_t lone_marks = 0;  // words the count above misses
  int depth = 0;
  *cut = false;
  for (char c : s) {
    if (!kSpecial[static_cast<unsigned char>(c)] && depth == 0) {
      if ((n == 0 || text::IsSpace(o[n - 1])) && ++words > max_words) {
        *cut = true;
        break;
      }
      o[n++] = c;
      continue;
    }
    if (c == '(') ++depth;
    if (depth == 0) {
      if (c == ' ' && (n == 0 || o[n - 1] == ' ')) {
        // a run of spaces: keep the first
      } else if ((c == ',' || c == '.' || c == ';') && n > 0 && o[n - 1] == ' ') {
        o[n - 1] = c;
        // after another space ("\n ,"): the mark starts a word of its own
        if (n >= 2 && text::IsSpace(o[n - 2])) ++lone_marks;
      } else {
        if (!text::IsSpace(c) && (n == 0 || text::IsSpace(o[n - 1])) && ++words > max_words) {
          *cut = true;
          break;
        }
        o[n++] = c;
      }
    }
    if (c == ')' && depth > 0) --depth;
  }
  *word_count = words + lone_marks;
  return text::Trim(std::string_view(o, n));
}

bool EndsSentence(std::string_view s, std::size_t i) {
  const char c = s[i];
  if (c != '.' && c != '!' && c != '?') return false;
  return i + 1 == s.size() || (s[i + 1] == ' ' && i + 2 < s.size() && !text::IsLower(s[i + 2]));
}

// The first sentences of `s` that fit in kMaxActionWords; a long first sentence is cut
// at its last clause mark within the budget, and then `*period` is set: the cut needs a
// "." after it.
std::string_view FirstSentences(std::string_view s, bool* period) {
  std::size_t words = 0, last_end = 0, last_clause = 0;
  bool in_word = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (text::IsSpace(s[i])) {
      in_word = false;
    } else if (!in_word) {
      in_word = true;
      if (++words > kMaxActionWords) break;
    }
    if (EndsSentence(s, i)) last_end = i + 1;
    if (s[i] == ',' || s[i] == ';' || s[i] == ':') last_clause = i;
  }
  if (words <= kMaxActionWords) return s;
  if (last_end > 0) return s.substr(0, last_end);
  if (last_clause == 0) return s;
  std::string_view cut = s.substr(0, last_clause);
  while (!cut.empty() && (cut.back() == '-' || cut.back() == ' '))
    cut.remove_suffix(1);
  *period = true;
  return cut;
}

const text::WordShapes& PastShapes() {
  static const text::WordShapes kShapes = [] {
    text::WordShapes shapes;
    for (const auto& [past, forms] : PastTenses())
      shapes.Add(past);
    return shapes;
  }();
  return kShapes;
}

// PresentTense without the copy: a view of a static string, empty when `word` stays.
std::string_view PresentForm(std::string_view word, std::string_view previous) {
  if (!PastShapes().MayContain(word)) return {};  // not a past tense the table knows
  if (previous == "had" || previous == "have" || previous == "has" || previous == "to" ||
      previous == "been" || previous == "be" || previous == "the" || previous == "a" ||
      previous == "an" || previous == "his" || previous == "her" || previous == "its" ||
      previous == "their" || previous == "my" || previous == "your" || previous == "our") {
    return {};  // "had looked", "to run", "the saw": participles, infinitives, nouns stay
  }
  const auto& past = PastTenses();
  const auto it = past.find(word);
  if (it == past.end()) return {};
  if (word == "was" && (previous == "i")) return "am";
  return TakesPlainForm(previous) ? it->second.plain : it->second.third;
}

// The first 16 bytes of `s` (or all of it) in lower case, in `buffer`.
std::string_view LowerPrefix(std::string_view s, char (&buffer)[16]) {
  const std::size_t n = std::min(s.size(), sizeof(buffer));
  for (std::size_t i = 0; i < n; ++i)
    buffer[i] = text::ToLower(s[i]);
  return std::string_view(buffer, n);
}

// `s` with its past tenses turned to the present, appended to `out`.
void ToPresent(std::string_view s, std::string& out) {
  out.reserve(out.size() + s.size() + 16);
  std::size_t copied = 0;
  std::string_view previous_word;  // as written; lowered only when a verb needs it
  char lower[16];
  char previous[16];
  const text::WordShapes& shapes = PastShapes();
  text::WordScanner words(s);
  for (text::Word w = words.Next(); !w.text.empty(); w = words.Next()) {
    const std::string_view word = w.text;
    // Most words are no past tense: tell by their ends, before lowering them.
    if (word.size() <= sizeof(lower) &&
        shapes.MayContain(word.size(), text::ToLower(word.front()), text::ToLower(word.back()))) {
      const std::string_view present =
          PresentForm(LowerPrefix(word, lower), LowerPrefix(previous_word, previous));
      if (!present.empty()) {
        out.append(s.substr(copied, w.begin - copied));
        out.push_back(text::IsUpper(word[0]) ? text::ToUpper(present[0]) : present[0]);
        out.append(present.substr(1));
        copied = w.end;
      }
    }
    previous_word = word;
  }
  out.append(s.substr(copied));
}

}  // namespace

std::string PresentTense(std::string_view word, std::string_view previous) {
  return std::string(PresentForm(word, previous));
}

std::string CondenseAction(std::string_view narration) {
  std::string out;
  CondenseAction(narration, out);
  return out;
}

void CondenseAction(std::string_view narration, std::string& out) {
  out.clear();
  // Most narration is longer than an action block: read only its first words, and the
  // whole of it only when FirstSentences would keep everything.
  thread_local std::string buffer;  // this runs for every paragraph of narration
  bool cut = false;
  std::size_t words = 0;
  std::string_view plain = DropAsides(narration, kMaxActionWords + 1, buffer, &cut, &words);
  if (text::HasWords(plain, 1)) {
    bool period = false;
    // FirstSentences keeps all of a text that fits: no need to look for its sentences.
    std::string_view kept = words <= kMaxActionWords ? plain : FirstSentences(plain, &period);
    if (cut && kept.size() == plain.size()) {
      plain = DropAsides(narration, static_cast<std::size_t>(-1), buffer, &cut, &words);
      kept = FirstSentences(plain, &period);
    }
    ToPresent(kept, out);
    if (period) out.push_back('.');
  }
  if (buffer.capacity() > kMaxKeptBuffer) std::string().swap(buffer);  // a rare giant
}

}  // namespace forkline
