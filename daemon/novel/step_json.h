#pragma once
// The JSON form of each novel step's output (DESIGN §6), and reading back the parts a
// later step needs. Readers return BadRequest naming the missing or mistyped field.

#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value_stack.hpp>

#include "daemon/novel/characters.h"
#include "daemon/novel/fountain.h"
#include "daemon/novel/ingest.h"
#include "daemon/novel/scenes.h"
#include "daemon/novel/screenplay.h"
#include "eventstore/status.h"

namespace forkline {

// ingest -> {title, author, encoding, words, chapters: [{index, heading, number, title,
//            words, paragraphs, text}]}
boost::json::object IngestToJson(const IngestResult& ingest);
// characters -> {characters: [{name, lines, mentions, aliases}], protagonist,
//                quote_style, speeches, named_speeches}
boost::json::object CastToJson(const CastAnalysis& cast);
// scenes -> {scenes: [{index, chapter, heading, location, time, setting,
//            first_paragraph, paragraphs, words}]}
boost::json::object ScenesToJson(const std::vector<Scene>& scenes);
// screenplay -> {scenes: [{index, chapter, heading, elements: [{type, text, character}]}]},
// written scene by scene, element by element, straight into the JSON (the screenplay
// has an element per paragraph and more: no copy of them is made on the way). Scenes
// come in output order: BeginScene, Add…, EndScene, then Finish once. Not thread-safe.
class ScreenplayWriter {
 public:
  ScreenplayWriter();
  void BeginScene(std::size_t index, std::size_t chapter, std::string_view heading);
  void Add(std::string_view type, std::string_view text, std::string_view character);
  void EndScene();
  boost::json::object Finish();

 private:
  boost::json::value_stack stack_;
  std::size_t scenes_ = 0;
  std::size_t elements_ = 0;  // of the open scene
};
// assemble -> {fountain, title, author, stats: {scenes, characters, dialogue_lines, pages,
//              words}}
boost::json::object AssembleToJson(const std::string& fountain, const TitlePage& title_page,
                                   const ScreenplayStats& stats);

// The chapters of an ingest output: texts and paragraphs (views into `ingest`), titles.
struct ChapterViews {
  std::vector<std::string_view> texts;  // each chapter's text
  ChapterParagraphs paragraphs;
  std::vector<std::string> titles;
};
Result<ChapterViews> ChaptersFromJson(const boost::json::object& ingest);
// The name -> cue map and quote style of a characters output.
Result<Cast> CastFromJson(const boost::json::object& characters, QuoteStyle* style);
Result<std::vector<Scene>> ScenesFromJson(const boost::json::object& scenes);
// The scenes of a screenplay output, as views into `screenplay`.
Result<std::vector<SceneView>> SceneViewsFromJson(const boost::json::object& screenplay);

}  // namespace forkline
