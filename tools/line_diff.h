#pragma once
// A line diff (Myers' O(ND) algorithm) and its unified-diff rendering. Pure functions.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace forkline::tools {

enum class DiffOp { kEqual, kDelete, kInsert };

struct DiffLine {
  DiffOp op = DiffOp::kEqual;
  std::size_t a = 0;  // index of the line in `a` (kEqual, kDelete) or where an insert goes
  std::size_t b = 0;  // index of the line in `b` (kEqual, kInsert) or where a delete goes
};

// A shortest edit script turning lines `a` into lines `b`. When more than `max_changes`
// edits would be needed, the middle part is given as all deleted, then all inserted
// (correct, not shortest), so time and memory stay bounded.
std::vector<DiffLine> DiffLines(const std::vector<std::string_view>& a,
                                const std::vector<std::string_view>& b,
                                std::size_t max_changes = 4000);

// Splits text into lines (no line ends; a final newline does not start another line).
std::vector<std::string_view> SplitLines(std::string_view text);

// The unified diff ("--- name_a", "+++ name_b", "@@ -1,3 +1,4 @@" hunks with `context`
// lines around each change) of two texts; "" when they are equal.
std::string UnifiedDiff(std::string_view a, std::string_view b, std::string_view name_a,
                        std::string_view name_b, std::size_t context = 3);

}  // namespace forkline::tools
