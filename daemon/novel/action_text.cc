#include "daemon/novel/action_text.h"

#include <algorithm>
#include <unordered_map>

#include "daemon/novel/text_util.h"

namespace forkline {
namespace {

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

void MatchCase(std::string& word, std::string_view like) {
  if (!like.empty() && text::IsUpper(like[0]) && !word.empty()) word[0] = text::ToUpper(word[0]);
}

// Narration without "(…)" asides, spaces tidied: no runs of spaces, no space before
// ',' '.' ';' (what a dropped aside leaves).
std::string DropAsides(std::string_view s) {
  std::string out(s.size(), '\0');
  std::size_t n = 0;  // bytes of `out` written
  int depth = 0;
  for (char c : s) {
    if (c == '(') ++depth;
    if (depth == 0) {
      if (c == ' ' && (n == 0 || out[n - 1] == ' ')) {
        // a run of spaces: keep the first
      } else if ((c == ',' || c == '.' || c == ';') && n > 0 && out[n - 1] == ' ') {
        out[n - 1] = c;
      } else {
        out[n++] = c;
      }
    }
    if (c == ')' && depth > 0) --depth;
  }
  out.resize(n);
  const std::string_view trimmed = text::Trim(out);
  if (trimmed.size() == out.size()) return out;
  return std::string(trimmed);
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

std::string ToPresent(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 16);
  std::size_t copied = 0;
  char previous[16] = {0};
  std::size_t previous_size = 0;
  char lower[16];
  for (text::Word w = text::NextWord(s, 0); !w.text.empty(); w = text::NextWord(s, w.end)) {
    const std::size_t n = std::min<std::size_t>(w.text.size(), sizeof(lower));
    for (std::size_t i = 0; i < n; ++i)
      lower[i] = text::ToLower(w.text[i]);
    if (w.text.size() <= sizeof(lower)) {
      std::string present =
          PresentTense(std::string_view(lower, n), std::string_view(previous, previous_size));
      if (!present.empty()) {
        MatchCase(present, w.text);
        out.append(s.substr(copied, w.begin - copied));
        out += present;
        copied = w.end;
      }
    }
    std::copy(lower, lower + n, previous);
    previous_size = n;
  }
  out.append(s.substr(copied));
  return out;
}

}  // namespace

std::string PresentTense(std::string_view word, std::string_view previous) {
  static const text::WordShapes kShapes = [] {
    text::WordShapes shapes;
    for (const auto& [past, forms] : PastTenses())
      shapes.Add(past);
    return shapes;
  }();
  if (!kShapes.MayContain(word)) return {};  // not a past tense the table knows
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
  return std::string(TakesPlainForm(previous) ? it->second.plain : it->second.third);
}

std::string CondenseAction(std::string_view narration) {
  const std::string plain = DropAsides(narration);
  if (!text::HasWords(plain, 1)) return {};
  bool period = false;
  std::string out = ToPresent(FirstSentences(plain, &period));
  if (period) out.push_back('.');
  return out;
}

}  // namespace forkline
