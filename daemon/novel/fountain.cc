#include "daemon/novel/fountain.h"

#include <set>

#include "daemon/novel/text_util.h"

namespace forkline {
namespace {

constexpr std::size_t kLinesPerPage = 55;
constexpr std::size_t kActionWidth = 61;
constexpr std::size_t kDialogueWidth = 35;
constexpr std::size_t kParentheticalWidth = 25;

// One line of plain text: no newlines, no boneyard or note marks, single spaces.
bool IsPlainLine(std::string_view s) {
  if (s.empty() || s.front() == ' ' || s.back() == ' ') return false;
  char prev = 0;
  for (char c : s) {
    if (c == '\n' || c == '\r' || c == '\t' || (c == ' ' && prev == ' ') ||
        (c == '*' && prev == '/') || (c == '/' && prev == '*') || (c == '[' && prev == '[') ||
        (c == ']' && prev == ']')) {
      return false;
    }
    prev = c;
  }
  return true;
}

std::string OneLine(std::string_view s) {
  if (IsPlainLine(s)) return std::string(s);
  std::string out;
  out.reserve(s.size());
  for (char c : text::Trim(s)) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
    if ((c == '*' && !out.empty() && out.back() == '/') ||
        (c == '/' && !out.empty() && out.back() == '*') ||
        (c == '[' && !out.empty() && out.back() == '[') ||
        (c == ']' && !out.empty() && out.back() == ']')) {
      out.push_back(' ');
    }
    out.push_back(c);
  }
  while (!out.empty() && out.back() == ' ')
    out.pop_back();
  return out;
}

bool LooksLikeHeading(std::string_view s) {
  const std::string head = text::Lower(s.substr(0, 8));
  for (std::string_view p :
       {"int.", "int ", "ext.", "ext ", "est.", "est ", "i/e", "i./e", "int/", "int./"}) {
    if (text::StartsWith(head, p)) return true;
  }
  return false;
}

// An action line forced to stay action ("!") when it would parse as another element.
std::string ActionLine(std::string_view s) {
  std::string line = OneLine(s);
  if (line.empty()) return line;
  const char c = line[0];
  const bool special = c == '!' || c == '@' || c == '~' || c == '=' || c == '#' || c == '.' ||
                       c == '>' || c == '[' || c == '\\';
  if (special || LooksLikeHeading(line) || text::EndsWith(line, "TO:") ||
      text::StartsWith(line, "FADE ") || text::StartsWith(line, "CUT TO BLACK")) {
    line.insert(0, "!");
  }
  return line;
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

std::string DialogueLine(std::string_view s) {
  std::string line = OneLine(s);
  if (!line.empty() && line[0] == '(' && line.back() == ')') line.insert(0, "\\");
  return line;
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
  for (const Scene& scene : scenes) {
    out += HeadingLine(scene.heading);
    out += "\n\n";
    lines += 2;
    ++st.scenes;
    std::string_view open_cue;  // the cue of a parenthetical waiting for its dialogue
    for (const auto& e : scene.elements) {
      if (e.type == "parenthetical") {
        out += CueLine(e.character);
        out += '\n';
        out += OneLine(e.text);
        out += '\n';
        open_cue = e.character;
        lines += 1 + WrappedLines(e.text.size(), kParentheticalWidth);
        continue;
      }
      if (e.type == "dialogue") {
        const std::string line = DialogueLine(e.text);
        if (line.empty()) continue;
        if (open_cue != e.character) {
          out += CueLine(e.character);
          out += '\n';
        }
        out += line;
        out += "\n\n";
        lines += (open_cue != e.character ? 1 : 0) + WrappedLines(line.size(), kDialogueWidth) + 1;
        open_cue = {};
        ++st.dialogue_lines[std::string(e.character)];
        st.words += text::CountWords(line);
        continue;
      }
      if (!open_cue.empty()) out += "\n", open_cue = {};
      const std::string line = e.type == "transition" ? OneLine(e.text) : ActionLine(e.text);
      if (line.empty()) continue;
      out += line;
      out += "\n\n";
      lines += WrappedLines(line.size(), kActionWidth) + 1;
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
