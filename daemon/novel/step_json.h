#pragma once
// The JSON form of each novel step's output (DESIGN §6), and reading back the parts a
// later step needs. Readers return BadRequest naming the missing or mistyped field.

#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

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
// screenplay -> {scenes: [{index, chapter, heading, elements: [{type, text, character}]}]}
boost::json::object ScriptsToJson(const std::vector<SceneScript>& scripts);
// assemble -> {fountain, title, author, stats: {scenes, characters, dialogue_lines, pages,
//              words}}
boost::json::object AssembleToJson(const std::string& fountain, const TitlePage& title_page,
                                   const ScreenplayStats& stats);

// The chapters of an ingest output: paragraphs (views into `ingest`) and titles.
struct ChapterViews {
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
