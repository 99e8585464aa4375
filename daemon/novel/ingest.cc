#include "daemon/novel/ingest.h"

#include "daemon/novel/paragraphs.h"
#include "daemon/novel/text_normalize.h"
#include "daemon/novel/text_util.h"

namespace forkline {

Result<IngestResult> Ingest(std::string_view raw, const AbortCheck& abort) {
  Result<NormalizedText> normalized = NormalizeText(raw);
  if (!normalized.ok()) return normalized.status();
  if (abort.Stopped()) return Status::Unavailable("aborted");
  const GutenbergParts parts = StripGutenberg(normalized->text);
  Result<std::vector<std::string>> paragraphs = SplitParagraphs(parts.body, abort);
  if (!paragraphs.ok()) return paragraphs.status();
  Book book = SplitChapters(std::move(*paragraphs));
  IngestResult out;
  out.encoding = normalized->encoding;
  out.title = !parts.title.empty() ? parts.title : book.title;
  out.author = !parts.author.empty() ? parts.author : book.author;
  for (const Chapter& c : book.chapters) {
    std::size_t words = 0;
    for (const std::string& p : c.paragraphs)
      words += text::CountWords(p);
    out.chapter_words.push_back(words);
    out.words += words;
  }
  if (out.words == 0) return Status::BadRequest("input.text holds no words");
  out.chapters = std::move(book.chapters);
  return out;
}

std::string ChapterText(const Chapter& chapter) {
  std::size_t size = 0;
  for (const std::string& p : chapter.paragraphs)
    size += p.size() + 2;
  std::string out;
  out.reserve(size);
  for (const std::string& p : chapter.paragraphs) {
    if (!out.empty()) out += "\n\n";
    out += p;
  }
  return out;
}

}  // namespace forkline
