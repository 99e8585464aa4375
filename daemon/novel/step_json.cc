#include "daemon/novel/step_json.h"

#include <boost/json/array.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

#include "daemon/novel/text_util.h"

namespace forkline {
namespace json = boost::json;
namespace {

const json::array* ArrayField(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr ? v->if_array() : nullptr;
}

std::string_view StringField(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  const json::string* s = v != nullptr ? v->if_string() : nullptr;
  return s != nullptr ? std::string_view(*s) : std::string_view();
}

// A non-negative integer field, or `fallback` when it is missing or mistyped.
std::size_t SizeField(const json::object& o, std::string_view key, std::size_t fallback) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return fallback;
  if (const auto* i = v->if_int64(); i != nullptr && *i >= 0) return static_cast<std::size_t>(*i);
  if (const auto* u = v->if_uint64()) return static_cast<std::size_t>(*u);
  return fallback;
}

// ChapterText(c), built right in a JSON string: the chapter texts are most of the output.
json::string ChapterJsonText(const Chapter& c) {
  std::size_t size = 0;
  for (const std::string& p : c.paragraphs)
    size += p.size() + 2;
  json::string out;
  out.reserve(size);
  for (const std::string& p : c.paragraphs) {
    if (!out.empty()) out.append("\n\n");
    out.append(p);
  }
  return out;
}

// StringField for type, text and character in one walk over the element's fields.
ElementView ElementOf(const json::object& e) {
  ElementView out;
  for (const json::key_value_pair& kv : e) {
    const json::string* s = kv.value().if_string();
    if (s == nullptr) continue;
    const std::string_view key = kv.key();
    if (key == "type") {
      out.type = *s;
    } else if (key == "text") {
      out.text = *s;
    } else if (key == "character") {
      out.character = *s;
    }
  }
  return out;
}

}  // namespace

json::object IngestToJson(const IngestResult& ingest) {
  json::array chapters;
  chapters.reserve(ingest.chapters.size());
  for (std::size_t i = 0; i < ingest.chapters.size(); ++i) {
    const Chapter& c = ingest.chapters[i];
    const std::size_t words = i < ingest.chapter_words.size() ? ingest.chapter_words[i] : 0;
    json::object chapter({{"index", i},
                          {"heading", c.heading},
                          {"number", c.number},
                          {"title", c.title},
                          {"words", words},
                          {"paragraphs", c.paragraphs.size()}});
    chapter.emplace("text", ChapterJsonText(c));
    chapters.push_back(std::move(chapter));
  }
  return json::object({{"title", ingest.title},
                       {"author", ingest.author},
                       {"encoding", ingest.encoding},
                       {"words", ingest.words},
                       {"chapters", std::move(chapters)}});
}

json::object CastToJson(const CastAnalysis& cast) {
  json::array characters;
  for (const Character& c : cast.characters) {
    json::array aliases;
    for (const std::string& a : c.aliases)
      aliases.emplace_back(a);
    characters.push_back(json::object{{"name", c.name},
                                      {"lines", c.lines},
                                      {"mentions", c.mentions},
                                      {"aliases", std::move(aliases)}});
  }
  return {{"characters", std::move(characters)},
          {"protagonist", cast.cast.protagonist},
          {"quote_style", cast.style == QuoteStyle::kSingle ? "single" : "double"},
          {"speeches", cast.speeches},
          {"named_speeches", cast.named_speeches}};
}

json::object ScenesToJson(const std::vector<Scene>& scenes) {
  json::array out;
  out.reserve(scenes.size());
  for (const Scene& s : scenes) {
    out.push_back(json::object({{"index", s.index},
                                {"chapter", s.chapter},
                                {"heading", s.heading},
                                {"location", s.location},
                                {"time", s.time},
                                {"setting", s.setting},
                                {"first_paragraph", s.first_paragraph},
                                {"paragraphs", s.paragraphs},
                                {"words", s.words}}));
  }
  return json::object({{"scenes", std::move(out)}});
}

ScreenplayWriter::ScreenplayWriter() {
  stack_.reset();
  stack_.push_key("scenes");
}

void ScreenplayWriter::BeginScene(std::size_t index, std::size_t chapter,
                                  std::string_view heading) {
  stack_.push_key("index");
  stack_.push_uint64(index);
  stack_.push_key("chapter");
  stack_.push_uint64(chapter);
  stack_.push_key("heading");
  stack_.push_string(heading);
  stack_.push_key("elements");
  elements_ = 0;
}

void ScreenplayWriter::Add(std::string_view type, std::string_view text,
                           std::string_view character) {
  stack_.push_key("type");
  stack_.push_string(type);
  stack_.push_key("text");
  stack_.push_string(text);
  stack_.push_key("character");
  stack_.push_string(character);
  stack_.push_object(3);
  ++elements_;
}

void ScreenplayWriter::EndScene() {
  stack_.push_array(elements_);
  stack_.push_object(4);
  ++scenes_;
}

json::object ScreenplayWriter::Finish() {
  stack_.push_array(scenes_);
  stack_.push_object(1);
  return std::move(stack_.release().as_object());
}

json::object AssembleToJson(const std::string& fountain, const TitlePage& title_page,
                            const ScreenplayStats& stats) {
  json::object lines;
  for (const auto& [cue, n] : stats.dialogue_lines)
    lines[cue] = n;
  return {{"fountain", fountain},
          {"title", title_page.title},
          {"author", title_page.author},
          {"stats", json::object{{"scenes", stats.scenes},
                                 {"characters", stats.characters},
                                 {"dialogue_lines", std::move(lines)},
                                 {"pages", stats.pages},
                                 {"words", stats.words}}}};
}

Result<ChapterViews> ChaptersFromJson(const json::object& ingest) {
  const json::array* chapters = ArrayField(ingest, "chapters");
  if (chapters == nullptr) return Status::BadRequest("the ingest output has no chapters array");
  ChapterViews out;
  for (const json::value& v : *chapters) {
    const json::object* c = v.if_object();
    if (c == nullptr || c->if_contains("text") == nullptr || !c->at("text").is_string()) {
      return Status::BadRequest("an ingest chapter has no text");
    }
    out.texts.push_back(StringField(*c, "text"));
    out.paragraphs.push_back(text::SplitOnBlankLines(out.texts.back()));
    out.titles.emplace_back(StringField(*c, "title"));
  }
  return out;
}

Result<Cast> CastFromJson(const json::object& characters, QuoteStyle* style) {
  const json::array* list = ArrayField(characters, "characters");
  if (list == nullptr) return Status::BadRequest("the characters output has no characters array");
  Cast cast;
  for (const json::value& v : *list) {
    const json::object* c = v.if_object();
    if (c == nullptr || StringField(*c, "name").empty()) {
      return Status::BadRequest("a character has no name");
    }
    const std::string name(StringField(*c, "name"));
    if (cast.protagonist.empty()) cast.protagonist = name;
    if (const json::array* aliases = ArrayField(*c, "aliases")) {
      for (const json::value& a : *aliases) {
        if (a.is_string() && !a.get_string().empty())
          cast.cue_of[std::string(a.get_string())] = name;
      }
    }
  }
  if (const std::string_view p = StringField(characters, "protagonist"); !p.empty()) {
    cast.protagonist = std::string(p);
  }
  const std::string_view qs = StringField(characters, "quote_style");
  if (qs == "single") *style = QuoteStyle::kSingle;
  if (qs == "double") *style = QuoteStyle::kDouble;
  return cast;
}

Result<std::vector<Scene>> ScenesFromJson(const json::object& scenes) {
  const json::array* list = ArrayField(scenes, "scenes");
  if (list == nullptr) return Status::BadRequest("the scenes output has no scenes array");
  std::vector<Scene> out;
  for (const json::value& v : *list) {
    const json::object* o = v.if_object();
    if (o == nullptr) return Status::BadRequest("a scene is not an object");
    Scene s;
    s.index = SizeField(*o, "index", out.size());
    s.chapter = SizeField(*o, "chapter", 0);
    s.first_paragraph = SizeField(*o, "first_paragraph", 0);
    s.paragraphs = SizeField(*o, "paragraphs", 0);
    s.heading = std::string(StringField(*o, "heading"));
    s.location = std::string(StringField(*o, "location"));
    s.time = std::string(StringField(*o, "time"));
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::vector<SceneView>> SceneViewsFromJson(const json::object& screenplay) {
  const json::array* list = ArrayField(screenplay, "scenes");
  if (list == nullptr) return Status::BadRequest("the screenplay output has no scenes array");
  std::vector<SceneView> out;
  out.reserve(list->size());
  for (const json::value& v : *list) {
    const json::object* o = v.if_object();
    if (o == nullptr) return Status::BadRequest("a screenplay scene is not an object");
    SceneView& s = out.emplace_back();
    s.heading = StringField(*o, "heading");
    if (const json::array* elements = ArrayField(*o, "elements")) {
      s.elements.reserve(elements->size());
      for (const json::value& ev : *elements) {
        const json::object* e = ev.if_object();
        if (e == nullptr) continue;
        s.elements.push_back(ElementOf(*e));
      }
    }
  }
  return out;
}

}  // namespace forkline
