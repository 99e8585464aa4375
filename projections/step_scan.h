#pragma once
// A scanner for the payloads of the two most frequent events, step.started and
// step.failed, which a fold reads for a few scalars and strings only: it finds those
// fields in the JSON text without building a DOM (a rebuild of a long run spends most
// of its fold time parsing them otherwise).
//
// It reads a payload exactly as a DOM parse (with StoredJsonOptions) would, or not at
// all: anything it does not handle — escapes or non-ASCII bytes in a string, a field of
// another type than expected, numbers beyond 19 digits, duplicate keys, nesting deeper
// than 32 — makes it return false, and the caller parses the payload as a DOM. Malformed
// JSON also returns false (the DOM parse then reports it). Pure; thread-safe.

#include <cstdint>
#include <string_view>

namespace forkline {

struct StepPayload {
  std::uint64_t index = 0;         // "index"; 0 when absent
  std::uint64_t attempt = 0;       // "attempt"; 0 when absent
  std::string_view executor;       // "executor"; empty when absent
  bool retryable = false;          // "retryable"; false when absent
  std::string_view error_code;     // "error": {"code"}; empty when absent
  std::string_view error_message;  // "error": {"message"}
};

// Fills `out` (views into `json`) and returns true, or returns false (see above).
bool ScanStepPayload(std::string_view json, StepPayload* out);

}  // namespace forkline
