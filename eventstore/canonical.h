#pragma once
// The one canonical JSON form of an event (DESIGN §3): keys sorted, no white space,
// `data` embedded as stored. It is used on the wire and for the hash chain.
//
//   hash = hex(SHA-256(CanonicalJson(e, kForHash)))
//
// where the kForHash form leaves out `hash` and `position` (a position is the store's
// and may differ after an export/import; everything else is part of the chain).

#include <string>
#include <string_view>

#include "eventstore/event.h"

namespace forkline {

enum class CanonicalForm { kForHash, kFull };

std::string CanonicalJson(const Event& event, CanonicalForm form);
// Appends `s` to `out` as a JSON string literal (quotes included).
void AppendJsonString(std::string& out, std::string_view s);
// Hex SHA-256 of `bytes`.
std::string Sha256Hex(std::string_view bytes);
// The hash an event must carry, given its fields and prev_hash.
std::string EventHash(const Event& event);

}  // namespace forkline
