#include "daemon/novel/fountain.h"

#include <algorithm>
#include <set>
#include <utility>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "daemon/novel/text_util.h"

namespace forkline {
namespace {

constexpr std::size_t kLinesPerPage = 55;
constexpr std::size_t kActionWidth = 61;
constexpr std::size_t kDialogueWidth = 35;
constexpr std::size_t kParentheticalWidth = 25;

// Whether the pair (a, b) may not stand in a plain line: two spaces, or the marks of a
// boneyard ("/*", "*/") or a note ("[[", "]]").
constexpr bool IsMarkPair(char a, char b) {
  return (a == ' ' && b == ' ') || (a == '*' && b == '/') || (a == '/' && b == '*') ||
         (a == '[' && b == '[') || (a == ']' && b == ']');
}

// One line of plain text: no newlines, no boneyard or note marks, single spaces.
// Checked 16 bytes at a time: the screenplay's whole text passes through here.
bool IsPlainLine(std::string_view s) {
  if (s.empty() || s.front() == ' ' || s.back() == ' ') return false;
  std::size_t i = 0;
#if defined(__SSE2__)
  const auto eq = [](__m128i v, char c) { return _mm_cmpeq_epi8(v, _mm_set1_epi8(c)); };
  for (; i + 17 <= s.size(); i += 16) {
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i + 1));
    const __m128i breaks = _mm_or_si128(_mm_or_si128(eq(a, '\n'), eq(a, '\r')), eq(a, '\t'));
    const __m128i pairs = _mm_or_si128(
        _mm_or_si128(_mm_and_si128(eq(a, ' '), eq(b, ' ')),
                     _mm_or_si128(_mm_and_si128(eq(a, '*'), eq(b, '/')),
                                  _mm_and_si128(eq(a, '/'), eq(b, '*')))),
        _mm_or_si128(_mm_and_si128(eq(a, '['), eq(b, '[')), _mm_and_si128(eq(a, ']'), eq(b, ']'))));
    if (_mm_movemask_epi8(_mm_or_si128(breaks, pairs)) != 0) return false;
  }
#endif
  char prev = i > 0 ? s[i - 1] : 0;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '\n' || c == '\r' || c == '\t' || IsMarkPair(prev, c)) return false;
    prev = c;
  }
  return true;
}

// `s` as one plain line: `s` itself when it is one already, else a cleaned copy in
// `scratch` (newlines and runs of spaces to one space, marks split apart).
std::string_view OneLine(std::string_view s, std::string& scratch) {
  if (IsPlainLine(s)) return s;
  std::string& out = scratch;
  out.clear();
  out.reserve(s.size());
  for (char c : text::Trim(s)) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
    if (!out.empty() && c != ' ' && IsMarkPair(out.back(), c)) out.push_back(' ');
    out.push_back(c);
  }
  while (!out.empty() && out.back() == ' ')
    out.pop_back();
  return out;
}

std::string OneLine(std::string_view s) {
  std::string scratch;
  return std::string(OneLine(s, scratch));
}

bool LooksLikeHeading(std::string_view s) {
  // Every prefix below starts with 'i' or 'e': most lines fail that at once.
  if (s.empty() || (text::ToLower(s[0]) != 'i' && text::ToLower(s[0]) != 'e')) return false;
  char lower[8];
  const std::size_t n = std::min(s.size(), sizeof(lower));
  for (std::size_t i = 0; i < n; ++i)
    lower[i] = text::ToLower(s[i]);
  const std::string_view head(lower, n);
  for (std::string_view p :
       {"int.", "int ", "ext.", "ext ", "est.", "est ", "i/e", "i./e", "int/", "int./"}) {
    if (text::StartsWith(head, p)) return true;
  }
  return false;
}

// An action line that would parse as another element is forced to stay action ("!").
bool NeedsActionMark(std::string_view line) {
  const char c = line[0];
  const bool special = c == '!' || c == '@' || c == '~' || c == '=' || c == '#' || c == '.' ||
                       c == '>' || c == '[' || c == '\\';
  return special || LooksLikeHeading(line) || text::EndsWith(line, "TO:") ||
         text::StartsWith(line, "FADE ") || text::StartsWith(line, "CUT TO BLACK");
}

std::string CueLine(std::string_view cue) {
  std::string line;
  for (char c : OneLine(cue)) {
    if (c == '(' || c == ')' || c == '^') continue;
    line.push_back(text::ToUpper(c));
  }
  bool letters = false;
  for (char c : line)
    letters = letters || text::IsLetter(c);
  if (line.empty()) line = "VOICE";
  const char c = line[0];
  const bool forced = !letters || c == '!' || c == '.' || c == '>' || c == '~' || c == '=' ||
                      c == '#' || c == '@' || text::EndsWith(line, "TO:") ||
                      text::EndsWith(line, "BLACK.") || text::EndsWith(line, "OUT.");
  return forced ? "@" + line : line;
}

// CueLine of the cues seen so far: a screenplay has few speakers and many lines.
class CueLines {
 public:
  std::string_view Of(std::string_view cue) {
    for (const auto& [c, line] : lines_) {
      if (c == cue) return line;
    }
    if (lines_.size() == kMaxKept) {
      last_ = CueLine(cue);
      return last_;
    }
    return lines_.emplace_back(std::string(cue), CueLine(cue)).second;
  }

 private:
  static constexpr std::size_t kMaxKept = 64;  // past that, computed each time
  std::vector<std::pair<std::string, std::string>> lines_;
  std::string last_;
};

// A dialogue line that would parse as a parenthetical is escaped ("\\").
bool NeedsDialogueEscape(std::string_view line) {
  return !line.empty() && line[0] == '(' && line.back() == ')';
}

std::string HeadingLine(std::string_view heading) {
  std::string line;
  for (char c : OneLine(heading)) {
    if (c != '#') line.push_back(c);
  }
  if (!LooksLikeHeading(line)) line.insert(0, ".");
  return line;
}

std::size_t WrappedLines(std::size_t chars, std::size_t width) {
  return chars == 0 ? 1 : (chars + width - 1) / width;
}

void RenderTitlePage(const TitlePage& tp, std::string& out) {
  const std::string title = OneLine(tp.title);
  out += "Title: " + (title.empty() ? std::string("Untitled") : title) + "\n";
  const std::string author = OneLine(tp.author);
  if (!author.empty()) {
    out += "Credit: Adapted from the novel by\n";
    out += "Author: " + author + "\n";
  }
  out += "Source: Forkline novel_to_script (builtin)\n\n";
}

// The renderer for SceneScript and SceneView alike: their fields read the same.
template <typename Scene>
std::string Render(const TitlePage& title_page, const std::vector<Scene>& scenes,
                   ScreenplayStats* stats) {
  std::string out;
  std::size_t size = 0;  // text plus what cues, marks and blank lines add, roughly
  for (const Scene& scene : scenes) {
    size += scene.heading.size() + 2;
    for (const auto& e : scene.elements)
      size += e.text.size() + e.character.size() + 4;
  }
  out.reserve(size + 256);
  RenderTitlePage(title_page, out);
  ScreenplayStats st;
  std::size_t lines = 0;
  std::string scratch;  // a line that needed cleaning
  CueLines cues;
  for (const Scene& scene : scenes) {
    out += HeadingLine(scene.heading);
    out += "\n\n";
    lines += 2;
    ++st.scenes;
    std::string_view open_cue;  // the cue of a parenthetical waiting for its dialogue
    for (const auto& e : scene.elements) {
      if (e.type == "parenthetical") {
        out += cues.Of(e.character);
        out += '\n';
        out += OneLine(e.text, scratch);
        out += '\n';
        open_cue = e.character;
        lines += 1 + WrappedLines(e.text.size(), kParentheticalWidth);
        continue;
      }
      if (e.type == "dialogue") {
        const std::string_view line = OneLine(e.text, scratch);
        if (line.empty()) continue;
        if (open_cue != e.character) {
          out += cues.Of(e.character);
          out += '\n';
        }
        const bool escape = NeedsDialogueEscape(line);
        if (escape) out += '\\';
        out += line;
        out += "\n\n";
        lines += (open_cue != e.character ? 1 : 0) +
                 WrappedLines(line.size() + (escape ? 1 : 0), kDialogueWidth) + 1;
        open_cue = {};
        ++st.dialogue_lines[std::string(e.character)];
        st.words += text::CountWords(line);
        continue;
      }
      if (!open_cue.empty()) out += "\n", open_cue = {};
      const std::string_view line = OneLine(e.text, scratch);
      if (line.empty()) continue;
      const bool mark = e.type != "transition" && NeedsActionMark(line);
      if (mark) out += '!';
      out += line;
      out += "\n\n";
      lines += WrappedLines(line.size() + (mark ? 1 : 0), kActionWidth) + 1;
      st.words += text::CountWords(line);
    }
    if (!open_cue.empty()) out += "\n";
  }
  st.characters = st.dialogue_lines.size();
  st.pages = std::max<std::size_t>(1, (lines + kLinesPerPage - 1) / kLinesPerPage);
  if (stats != nullptr) *stats = std::move(st);
  return out;
}

}  // namespace

std::string RenderFountain(const TitlePage& title_page, const std::vector<SceneScript>& scenes,
                           ScreenplayStats* stats) {
  return Render(title_page, scenes, stats);
}

std::string RenderFountain(const TitlePage& title_page, const std::vector<SceneView>& scenes,
                           ScreenplayStats* stats) {
  return Render(title_page, scenes, stats);
}

}  // namespace forkline
