#include "daemon/novel/names.h"

#include <array>

#include "daemon/novel/text_util.h"

namespace forkline {
namespace {

constexpr std::size_t kMaxNameWords = 5;
constexpr std::size_t kMaxCommonWords = 3;

bool IsCapitalised(std::string_view w) {
  return !w.empty() && (text::IsUpper(w[0]) || text::IsHigh(w[0]));
}

bool IsDeterminer(std::string_view w) {
  return w == "the" || w == "The" || w == "his" || w == "her" || w == "its" || w == "their";
}

bool IsVagueNoun(std::string_view w) {
  static constexpr std::array<std::string_view, 14> kVague = {
      "other", "others", "one",   "question", "thing",  "words",  "rest",
      "same",  "last",   "first", "whole",    "latter", "former", "next"};
  for (std::string_view v : kVague) {
    if (w == v) return true;
  }
  return false;
}

bool EndsCommonPhrase(std::string_view w) {
  static constexpr std::array<std::string_view, 10> kEnds = {
      "to", "in", "with", "as", "and", "at", "after", "who", "which", "that"};
  for (std::string_view e : kEnds) {
    if (w == e) return true;
  }
  return false;
}

// Capitalised words from `first` on: "White Rabbit", "Mrs. Bennet", "Queen of Hearts".
std::optional<NameMatch> ProperName(std::string_view s, text::Word w, std::size_t begin) {
  if (!IsCapitalised(w.text) || lexicon::IsNameStopWord(w.text)) return std::nullopt;
  NameMatch m;
  m.begin = begin;
  std::size_t words = 0;
  bool used_of = false;
  while (!w.text.empty() && words < kMaxNameWords) {
    if (!m.name.empty()) m.name.push_back(' ');
    m.name.append(w.text);
    m.end = w.end;
    ++words;
    if (m.end < s.size() && s[m.end] == '.' && lexicon::IsAbbreviatedTitle(w.text)) {
      m.name.push_back('.');
      ++m.end;
    }
    if (m.end < s.size() && s[m.end] != ' ' && s[m.end] != '.') break;
    text::Word next = text::NextWord(s, m.end);
    if (next.begin != m.end + 1) break;  // punctuation in between
    if (next.text == "of" && !used_of) {
      const text::Word after = text::NextWord(s, next.end);
      if (after.begin != next.end + 1 || !IsCapitalised(after.text) ||
          lexicon::IsNameStopWord(after.text)) {
        break;
      }
      m.name += " of";
      used_of = true;
      next = after;
    } else if (!IsCapitalised(next.text) || lexicon::IsNameStopWord(next.text)) {
      break;
    }
    w = next;
  }
  if (m.name.size() > 2 && m.name.back() == '.') return std::nullopt;  // "Mr." alone
  if (text::EndsWith(m.name, "'s")) return std::nullopt;               // "the Rabbit's"
  if (m.name.size() == 1) return std::nullopt;
  return m;
}

// "the youth,", "his father to": lower-case words ending at punctuation.
std::optional<NameMatch> CommonName(std::string_view s, text::Word w, std::size_t begin) {
  NameMatch m;
  m.common = true;
  m.begin = begin;
  for (std::size_t n = 0; n < kMaxCommonWords && !w.text.empty(); ++n) {
    if (!text::IsLower(w.text[0]) || EndsCommonPhrase(w.text) || IsVagueNoun(w.text)) break;
    if (!m.name.empty()) m.name.push_back(' ');
    m.name.append(w.text);
    m.end = w.end;
    if (m.end >= s.size() || s[m.end] != ' ') return m;  // punctuation: the phrase ends
    const text::Word next = text::NextWord(s, m.end);
    if (EndsCommonPhrase(next.text)) return m;
    w = next;
  }
  return std::nullopt;
}

}  // namespace

std::optional<NameMatch> NameAt(std::string_view s, std::size_t pos, bool allow_common) {
  text::Word w = text::NextWord(s, pos);
  if (w.text.empty()) return std::nullopt;
  const std::size_t begin = w.begin;
  if (const lexicon::Pronoun p = lexicon::PronounOf(w.text); p != lexicon::Pronoun::kNone) {
    NameMatch m;
    m.pronoun = p;
    m.begin = begin;
    m.end = w.end;
    return m;
  }
  if (IsDeterminer(w.text)) {
    const bool article = w.text == "the" || w.text == "The";
    const text::Word next = text::NextWord(s, w.end);
    if (next.begin != w.end + 1) return std::nullopt;
    if (article && IsCapitalised(next.text)) return ProperName(s, next, begin);
    if (allow_common) return CommonName(s, next, begin);
    return std::nullopt;
  }
  return ProperName(s, w, begin);
}

void NameStarts::Add(std::string_view name) {
  const text::Word w = text::NextWord(name, 0);
  if (!w.text.empty()) words_.insert(w.text);
}

bool NameStarts::MayStartAt(std::string_view s, std::size_t pos) const {
  const text::Word w = text::NextWord(s, pos);
  if (w.text.empty()) return false;
  if (words_.count(w.text) != 0) return true;
  if (w.text != "The") return false;
  const text::Word next = text::NextWord(s, w.end);
  return next.begin == w.end + 1 && words_.count(next.text) != 0;
}

std::string CueOf(std::string_view name) {
  std::string cue;
  cue.reserve(name.size());
  for (char c : name) {
    if (c == ' ' && (cue.empty() || cue.back() == ' ')) continue;
    cue.push_back(text::ToUpper(c));
  }
  while (!cue.empty() && cue.back() == ' ')
    cue.pop_back();
  return cue;
}

}  // namespace forkline
