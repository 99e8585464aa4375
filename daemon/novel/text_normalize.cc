#include "daemon/novel/text_normalize.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace forkline {
namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 when it is invalid.
std::size_t Utf8SequenceLength(std::string_view s, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  std::size_t len = 0;
  std::uint32_t min = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2, min = 0x80;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3, min = 0x800;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4, min = 0x10000;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  std::uint32_t cp = b0 & (0x7F >> len);
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

void AppendCodePoint(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

struct ByteCensus {
  std::size_t controls = 0;  // C0 controls other than \t \n \v \f \r
  std::size_t nuls = 0;
  std::size_t multibyte = 0;  // valid UTF-8 sequences of 2+ bytes
  std::size_t invalid = 0;    // bytes that start no valid sequence
  bool has_text = false;      // any non-space character
};

// A byte that needs no work: printable ASCII (0x20..0x7F) and '\n'.
bool IsPlainByte(char c) {
  const auto b = static_cast<unsigned char>(c);
  return (b >= 0x20 && b < 0x80) || b == '\n';
}

// The end of the run of plain bytes that starts at s[i]. Sixteen (or eight) bytes at a
// time: most of a novel is such runs, broken only by the odd UTF-8 character.
std::size_t PlainRunEnd(std::string_view s, std::size_t i) {
#if defined(__SSE2__)
  // As signed bytes, both the controls (0x00..0x1F) and the bytes >= 0x80 are < 0x20.
  for (; i + 16 <= s.size(); i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
    const __m128i odd = _mm_andnot_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\n')),
                                         _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));
    const auto m = static_cast<unsigned>(_mm_movemask_epi8(odd));
    if (m != 0) return i + static_cast<std::size_t>(__builtin_ctz(m));
  }
#endif
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHighBits = 0x8080808080808080ULL;
  while (i < s.size()) {
    if (s.size() - i >= 8) {
      std::uint64_t x;
      std::memcpy(&x, s.data() + i, 8);
      const std::uint64_t below_space = (x - kOnes * 0x20) & ~x & kHighBits;
      if (((x & kHighBits) | below_space) == 0) {  // eight bytes in 0x20..0x7F
        i += 8;
        continue;
      }
    }
    const std::size_t stop = std::min(s.size(), i + 8);
    for (; i < stop; ++i) {
      if (!IsPlainByte(s[i])) return i;
    }
  }
  return i;
}

ByteCensus Census(std::string_view s) {
  ByteCensus c;
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t run = PlainRunEnd(s, i);
    for (; i < run && !c.has_text; ++i)
      c.has_text = static_cast<unsigned char>(s[i]) > 0x20;
    i = run;
    if (i == s.size()) break;
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      if (b == 0) ++c.nuls;
      if (b < 0x20 && (b < 0x09 || b > 0x0D)) ++c.controls;
      if (b > 0x20) c.has_text = true;
      ++i;
      continue;
    }
    const std::size_t len = Utf8SequenceLength(s, i);
    if (len == 0) {
      ++c.invalid;
      ++i;
    } else {
      ++c.multibyte;
      c.has_text = true;
      i += len;
    }
  }
  return c;
}

// The replacement for the sequence s[i..i+len), or nullptr to keep it as it is.
const char* Replacement(std::string_view s, std::size_t i, std::size_t len) {
  if (len != 2 && len != 3) return nullptr;
  const auto b0 = static_cast<unsigned char>(s[i]);
  const auto b1 = static_cast<unsigned char>(s[i + 1]);
  if (len == 2) {
    if (b0 == 0xC2 && b1 == 0xA0) return " ";                   // no-break space
    if (b0 == 0xC2 && (b1 == 0xAB || b1 == 0xBB)) return "\"";  // « »
    if (b0 == 0xC2 && b1 == 0xAD) return "";                    // soft hyphen
    return nullptr;
  }
  const auto b2 = static_cast<unsigned char>(s[i + 2]);
  if (b0 == 0xEF && b1 == 0xBB && b2 == 0xBF) return "";  // BOM
  if (b0 != 0xE2 || b1 != 0x80) return nullptr;
  switch (b2) {
    case 0x98:
    case 0x99:
    case 0x9A:
    case 0x9B:
      return "'";  // ‘ ’ ‚ ‛
    case 0x9C:
    case 0x9D:
    case 0x9E:
    case 0x9F:
      return "\"";  // “ ” „ ‟
    case 0x80:
    case 0x81:
    case 0x82:
    case 0x83:
    case 0x84:
    case 0x85:
    case 0x86:
    case 0x87:
    case 0x88:
    case 0x89:
    case 0x8A:
    case 0xAF:
      return " ";  // odd spaces
    case 0x8B:
      return "";  // zero-width space
    default:
      return nullptr;
  }
}

void AppendAscii(std::string& out, std::string_view s, std::size_t i) {
  const char c = s[i];
  if (c == '\r') {
    if (i + 1 < s.size() && s[i + 1] == '\n') return;  // the '\n' follows
    out.push_back('\n');
  } else if (c == '\f' || c == '\v') {
    out.push_back('\n');
  } else if (c == '\t') {
    out.push_back(' ');
  } else if (static_cast<unsigned char>(c) >= 0x20 || c == '\n') {
    out.push_back(c);
  }
}

// Latin-1 with the Windows-1252 punctuation in 0x80..0x9F that old e-texts use.
void AppendLatin1(std::string& out, unsigned char b) {
  switch (b) {
    case 0x91:
    case 0x92:
      out.push_back('\'');
      return;
    case 0x93:
    case 0x94:
      out.push_back('"');
      return;
    case 0x85:
      out += "...";
      return;
    case 0x96:
      out.push_back('-');
      return;
    case 0x97:
      out += "--";
      return;
    case 0xA0:
      out.push_back(' ');
      return;
    case 0xAB:
    case 0xBB:
      out.push_back('"');
      return;
    default:
      break;
  }
  if (b >= 0xA0) AppendCodePoint(out, b);
}

std::string Rewrite(std::string_view s, bool latin1) {
  std::string out;
  out.reserve(s.size() + s.size() / 64);
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t run = PlainRunEnd(s, i);  // copied as they are, at once
    out.append(s.data() + i, run - i);
    i = run;
    if (i == s.size()) break;
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      AppendAscii(out, s, i++);
      continue;
    }
    if (latin1) {
      AppendLatin1(out, b);
      ++i;
      continue;
    }
    const std::size_t len = Utf8SequenceLength(s, i);
    if (len == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
      continue;
    }
    if (const char* rep = Replacement(s, i, len)) {
      out += rep;
    } else {
      out.append(s.substr(i, len));
    }
    i += len;
  }
  return out;
}

}  // namespace

Result<NormalizedText> NormalizeText(std::string_view raw) {
  if (raw.size() > kMaxNovelBytes) {
    return Status::BadRequest("input.text is " + std::to_string(raw.size()) +
                              " bytes; the limit is " + std::to_string(kMaxNovelBytes));
  }
  const ByteCensus c = Census(raw);
  if (!c.has_text) return Status::BadRequest("input.text is empty");
  if (c.nuls > 0 || c.controls * 200 > raw.size()) {
    return Status::BadRequest("input.text looks like binary data, not a novel");
  }
  NormalizedText out;
  const bool latin1 = c.invalid > 0 && c.multibyte == 0;
  out.encoding = latin1 ? "latin-1" : (c.invalid > 0 ? "utf-8 (repaired)" : "utf-8");
  if (c.invalid * 20 > raw.size() && !latin1) {
    return Status::BadRequest("input.text is not valid UTF-8 (" + std::to_string(c.invalid) +
                              " invalid bytes)");
  }
  out.text = Rewrite(raw, latin1);
  return out;
}

namespace {

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char a = s[i];
    if (a >= 'a' && a <= 'z') a = static_cast<char>(a - 'a' + 'A');
    if (a != prefix[i]) return false;
  }
  return true;
}

std::string_view LineAt(std::string_view text, std::size_t pos, std::size_t* end) {
  std::size_t e = text.find('\n', pos);
  if (e == std::string_view::npos) e = text.size();
  *end = e;
  return text.substr(pos, e - pos);
}

std::string Trimmed(std::string_view s) {
  while (!s.empty() && s.front() == ' ')
    s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ')
    s.remove_suffix(1);
  return std::string(s);
}

// Reads "Title:" and "Author:" lines of the header, stops at the START marker.
// Returns the offset just after the START marker line, or 0 when there is none.
std::size_t ReadHeader(std::string_view text, GutenbergParts& parts) {
  std::size_t pos = 0;
  const std::size_t limit = std::min<std::size_t>(text.size(), 64 * 1024);
  while (pos < limit) {
    std::size_t end = 0;
    const std::string_view line = LineAt(text, pos, &end);
    if (StartsWithNoCase(line, "TITLE:") && parts.title.empty()) {
      parts.title = Trimmed(line.substr(6));
    } else if (StartsWithNoCase(line, "AUTHOR:") && parts.author.empty()) {
      parts.author = Trimmed(line.substr(7));
    } else if (StartsWithNoCase(line, "*** START OF") || StartsWithNoCase(line, "***START OF")) {
      return end;
    }
    pos = end + 1;
  }
  return 0;
}

std::size_t FindEndMarker(std::string_view text) {
  for (std::string_view marker :
       {"*** END OF", "***END OF", "End of the Project Gutenberg", "End of Project Gutenberg",
        "END OF THE PROJECT GUTENBERG", "END OF THIS PROJECT GUTENBERG"}) {
    std::size_t at = text.find(marker);
    while (at != std::string_view::npos && at > 0 && text[at - 1] != '\n') {
      at = text.find(marker, at + 1);
    }
    if (at != std::string_view::npos) return at;
  }
  return text.size();
}

}  // namespace

GutenbergParts StripGutenberg(std::string_view text) {
  GutenbergParts parts;
  parts.body = text;
  if (text.find("Gutenberg") == std::string_view::npos &&
      text.find("GUTENBERG") == std::string_view::npos) {
    return parts;
  }
  const std::size_t start = ReadHeader(text, parts);
  if (start == 0) {
    parts.title.clear();
    parts.author.clear();
  }
  const std::string_view rest = start == 0 ? text : text.substr(std::min(start + 1, text.size()));
  parts.body = rest.substr(0, FindEndMarker(rest));
  return parts;
}

}  // namespace forkline
