#include "daemon/novel/paragraphs.h"

#include "daemon/novel/chapter_heading.h"
#include "daemon/novel/text_util.h"

namespace forkline {
namespace {

constexpr std::size_t kAbortEveryLines = 4096;
constexpr std::size_t kMaxJoinedTitleWords = 10;

struct Line {
  std::string_view text;  // trimmed
  bool indented = false;
};

std::vector<Line> Lines(std::string_view text) {
  std::vector<Line> lines;
  lines.reserve(text.size() / 60 + 1);
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view raw = text.substr(pos, end - pos);
    lines.push_back({text::Trim(raw), !raw.empty() && raw[0] == ' '});
    pos = end + 1;
  }
  return lines;
}

// True when paragraphs are marked by indentation rather than blank lines.
bool IndentMode(const std::vector<Line>& lines) {
  std::size_t blank = 0, filled = 0, indented = 0;
  for (const Line& l : lines) {
    if (l.text.empty()) {
      ++blank;
    } else {
      ++filled;
      if (l.indented) ++indented;
    }
  }
  return blank * 10 < filled && indented * 20 > filled;
}

// Appends a line to a paragraph: one space between lines and between words.
void AppendLine(std::string& para, std::string_view line) {
  if (!para.empty()) {
    const std::size_t n = para.size();
    const bool hyphen = para[n - 1] == '-' && n >= 2 && text::IsLetter(para[n - 2]) &&
                        !line.empty() && text::IsLower(line[0]);
    if (!hyphen) para.push_back(' ');
  }
  if (text::FindDoubled(line, ' ') == std::string_view::npos) {
    para.append(line);
    return;
  }
  for (char c : line) {
    if (c == ' ' && !para.empty() && para.back() == ' ') continue;
    para.push_back(c);
  }
}

bool IsTitleLine(std::string_view line) {
  if (line.empty() || text::CountWords(line) > kMaxJoinedTitleWords) return false;
  const char last = line.back();
  return last != '.' && last != ',' && last != ';' && last != ':' && line[0] != '"' &&
         line[0] != '\'';
}

}  // namespace

Result<std::vector<std::string>> SplitParagraphs(std::string_view text, const AbortCheck& abort) {
  const std::vector<Line> lines = Lines(text);
  const bool indent_mode = IndentMode(lines);
  std::vector<std::string> out;
  std::string para;  // keeps its memory: each paragraph is copied out at its exact size
  auto flush = [&] {
    if (!para.empty()) out.emplace_back(para);
    para.clear();
  };
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i % kAbortEveryLines == 0 && abort.Stopped()) return Status::Unavailable("aborted");
    const Line& line = lines[i];
    if (line.text.empty()) {
      flush();
      continue;
    }
    if (IsSceneBreak(line.text) || ParseHeading(line.text)) {
      flush();
      AppendLine(para, line.text);
      const bool untitled = !IsSceneBreak(line.text) && ParseHeading(line.text)->title.empty();
      if (untitled && i + 2 < lines.size() && IsTitleLine(lines[i + 1].text) &&
          lines[i + 2].text.empty() && !ParseHeading(lines[i + 1].text)) {
        AppendLine(para, lines[++i].text);
      }
      flush();
      continue;
    }
    if (indent_mode && line.indented) flush();
    AppendLine(para, line.text);
  }
  flush();
  return out;
}

}  // namespace forkline
