#include "daemon/novel/attribution.h"

#include <vector>

#include "daemon/novel/text_util.h"

namespace forkline {
namespace {

constexpr std::size_t kMaxAdverbs = 2;
constexpr std::size_t kMaxVerbBytes = 16;  // longer than any speech verb ("interrupted")

bool IsClauseEnd(std::string_view s, std::size_t i) {
  const char c = s[i];
  if (c == '!' || c == '?' || c == ';' || c == ':') return true;
  if (c != '.') return false;
  // "Mr. Bennet": a period after a title does not end the clause.
  std::size_t b = i;
  while (b > 0 && text::IsLetter(s[b - 1]))
    --b;
  return !lexicon::IsAbbreviatedTitle(s.substr(b, i - b));
}

// Whether s[i] may end a clause at all: most bytes cannot, and need no closer look.
bool IsClauseMark(char c) {
  return c == '.' || c == '!' || c == '?' || c == ';' || c == ':';
}

std::size_t FirstClauseEnd(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (IsClauseMark(s[i]) && IsClauseEnd(s, i)) return i;
  }
  return s.size();
}

std::size_t LastClauseBegin(std::string_view s) {
  std::size_t end = s.size();
  while (end > 0 && !text::IsAlnum(s[end - 1]))
    --end;  // trailing ", " before the quote
  for (std::size_t i = end; i > 0; --i) {
    if (IsClauseMark(s[i - 1]) && IsClauseEnd(s, i - 1)) return i;
  }
  return 0;
}

std::string LowerWord(std::string_view w) {
  return text::Lower(w);
}

bool IsNameAdjective(std::string_view w) {
  for (std::string_view a : {"poor", "little", "old", "young", "dear", "good", "wise", "big",
                             "brave", "kind", "angry", "frightened"}) {
    if (w == a) return true;
  }
  return false;
}

bool IsAdverb(const text::Word& w) {
  const std::string_view t = w.text;
  if (t.size() <= 4 || text::ToLower(t[t.size() - 2]) != 'l' || text::ToLower(t.back()) != 'y') {
    return false;  // what IsMannerAdverb would say, without lowering the word first
  }
  return lexicon::IsMannerAdverb(LowerWord(t));
}

// Words of the clause that follow `from` and what comes after a name: an adverb, and
// "to Alice" / "to herself".
void ReadAfterName(std::string_view s, std::size_t from, Attribution& a) {
  text::Word w = text::NextWord(s, from);
  if (!w.text.empty() && IsAdverb(w) && a.manner.empty()) {
    a.manner = LowerWord(w.text);
    w = text::NextWord(s, w.end);
  }
  if (w.text != "to") return;
  const text::Word target = text::NextWord(s, w.end);
  if (target.text == "herself" || target.text == "himself" || target.text == "itself") {
    if (a.manner.empty() && !a.thinking) a.manner = "to " + std::string(target.text);
  } else if (auto m = NameAt(s, target.begin, false); m && !m->name.empty()) {
    a.addressee = m->name;
  }
}

// "said [adverb] NAME": the name after the verb at words[k].
bool TryVerbFirst(std::string_view s, const std::vector<text::Word>& words, std::size_t k,
                  Attribution& a) {
  std::size_t i = k + 1;
  const std::string verb = LowerWord(words[k].text);
  if (i < words.size() && lexicon::IsSpeechParticle(verb, words[i].text)) ++i;
  if (i < words.size() && IsAdverb(words[i])) {
    if (a.manner.empty()) a.manner = LowerWord(words[i].text);
    ++i;
  }
  if (i >= words.size()) return false;
  // "thought poor Alice": one lower-case adjective in front of a capitalised name.
  if (i + 1 < words.size() && text::IsLower(words[i].text[0]) &&
      text::IsUpper(words[i + 1].text[0]) && words[i].end + 1 == words[i + 1].begin &&
      IsNameAdjective(words[i].text)) {
    if (auto named = NameAt(s, words[i + 1].begin, false); named && !named->name.empty()) {
      a.who = std::move(*named);
      ReadAfterName(s, a.who.end, a);
      return true;
    }
  }
  auto m = NameAt(s, words[i].begin, /*allow_common=*/true);
  if (!m || m->begin != words[i].begin) return false;
  a.who = std::move(*m);
  ReadAfterName(s, a.who.end, a);
  return true;
}

// "NAME [adverb] said": the name that ends just before the verb at words[k].
bool TryNameFirst(std::string_view s, const std::vector<text::Word>& words, std::size_t k,
                  Attribution& a) {
  std::size_t j = k;
  std::size_t adverbs = 0;
  while (j > 0 && adverbs < kMaxAdverbs && IsAdverb(words[j - 1])) {
    if (a.manner.empty()) a.manner = LowerWord(words[j - 1].text);
    --j, ++adverbs;
  }
  if (j == 0) return false;
  const std::size_t last = j - 1;  // the name's last word
  std::size_t first = last;
  auto adjacent = [&](const text::Word& x, const text::Word& y) {
    return x.end + 1 == y.begin ||
           (x.end + 2 == y.begin && s[x.end] == '.' && lexicon::IsAbbreviatedTitle(x.text));
  };
  while (first > 0 && adjacent(words[first - 1], words[first]) &&
         (text::IsUpper(words[first - 1].text[0]) || words[first - 1].text == "of") &&
         !lexicon::IsNameStopWord(words[first - 1].text)) {
    --first;
  }
  if (first > 0 && (words[first - 1].text == "the" || words[first - 1].text == "The")) --first;
  for (std::size_t start = first; start <= last; ++start) {
    auto m = NameAt(s, words[start].begin, /*allow_common=*/false);
    if (m && m->end == words[last].end) {
      a.who = std::move(*m);
      ReadAfterName(s, words[k].end, a);
      return true;
    }
  }
  return false;
}

Attribution SearchClause(std::string_view s, std::size_t begin, std::size_t end) {
  Attribution a;
  const std::string_view clause = s.substr(0, end);
  // Reused between calls on the same thread: this runs for every speech of a novel.
  thread_local std::vector<text::Word> words;
  words.clear();
  text::WordScanner scanner(clause.substr(begin));
  for (text::Word w = scanner.Next(); !w.text.empty(); w = scanner.Next()) {
    words.push_back({w.text, w.begin + begin, w.end + begin});
  }
  char lower[kMaxVerbBytes];
  for (std::size_t k = 0; k < words.size(); ++k) {
    const std::string_view word = words[k].text;
    if (word.size() > kMaxVerbBytes) continue;  // longer than any speech verb
    for (std::size_t i = 0; i < word.size(); ++i)
      lower[i] = text::ToLower(word[i]);
    const std::string_view verb(lower, word.size());
    if (!lexicon::IsSpeechVerb(verb)) continue;
    const bool needs_particle =
        verb == "went" || verb == "put" || verb == "broke" || verb == "chimed";
    if (needs_particle &&
        (k + 1 >= words.size() || !lexicon::IsSpeechParticle(verb, words[k + 1].text))) {
      continue;
    }
    Attribution trial;
    trial.thinking = lexicon::IsThinkingVerb(verb);
    if (TryVerbFirst(clause, words, k, trial) || TryNameFirst(clause, words, k, trial)) {
      if (trial.manner.empty()) trial.manner = std::string(lexicon::MannerOfVerb(verb));
      trial.found = true;
      trial.clause_begin = begin;
      trial.clause_end = end;
      return trial;
    }
  }
  return a;
}

}  // namespace

Attribution FindAttribution(std::string_view fragment, FragmentPlace place) {
  if (place == FragmentPlace::kAfterSpeech) {
    return SearchClause(fragment, 0, FirstClauseEnd(fragment));
  }
  return SearchClause(fragment, LastClauseBegin(fragment), fragment.size());
}

std::optional<NameMatch> LastSentenceSubject(std::string_view fragment) {
  std::size_t end = fragment.size();
  while (end > 0 && !text::IsAlnum(fragment[end - 1]))
    --end;
  std::size_t begin = 0;
  for (std::size_t i = end; i > 0; --i) {
    const char c = fragment[i - 1];
    if ((c == '.' || c == '!' || c == '?') && IsClauseEnd(fragment, i - 1)) {
      begin = i;
      break;
    }
  }
  auto m = NameAt(fragment, begin, /*allow_common=*/false);
  if (!m || text::Trim(fragment.substr(begin, m->begin - begin)).size() > 0) return std::nullopt;
  return m;
}

lexicon::Pronoun FirstGenderedPronoun(std::string_view s) {
  for (text::Word w = text::NextWord(s, 0); !w.text.empty(); w = text::NextWord(s, w.end)) {
    if (w.text.size() > 7) continue;
    const std::string l = LowerWord(w.text);
    if (l == "he" || l == "him" || l == "his" || l == "himself") return lexicon::Pronoun::kHe;
    if (l == "she" || l == "her" || l == "herself") return lexicon::Pronoun::kShe;
  }
  return lexicon::Pronoun::kNone;
}

}  // namespace forkline
