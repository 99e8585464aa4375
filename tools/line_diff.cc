#include "tools/line_diff.h"

#include <algorithm>

namespace forkline::tools {
namespace {

using Lines = std::vector<std::string_view>;

// Myers over a[0..n) and b[0..m) (no common prefix or suffix needed). Appends to `out`
// with indices offset by (a0, b0). False when more than max_d edits are needed.
bool Myers(const Lines& a, std::size_t a0, std::size_t n, const Lines& b, std::size_t b0,
           std::size_t m, std::size_t max_d, std::vector<DiffLine>& out) {
  const long N = static_cast<long>(n);
  const long M = static_cast<long>(m);
  const long max = std::min<long>(N + M, static_cast<long>(max_d));
  std::vector<long> v(static_cast<std::size_t>(2 * max + 3), 0);
  auto at = [&](long k) -> long& { return v[static_cast<std::size_t>(k + max + 1)]; };
  std::vector<std::vector<long>> trace;  // trace[d]: v over k in [-(d-1), d-1] before step d
  long found = -1;
  for (long d = 0; d <= max && found < 0; ++d) {
    std::vector<long> slice;
    for (long k = -(d - 1); k <= d - 1; ++k)
      slice.push_back(at(k));
    trace.push_back(std::move(slice));
    for (long k = -d; k <= d; k += 2) {
      long x = (k == -d || (k != d && at(k - 1) < at(k + 1))) ? at(k + 1) : at(k - 1) + 1;
      long y = x - k;
      while (x < N && y < M &&
             a[a0 + static_cast<std::size_t>(x)] == b[b0 + static_cast<std::size_t>(y)]) {
        ++x;
        ++y;
      }
      at(k) = x;
      if (x >= N && y >= M) {
        found = d;
        break;
      }
    }
  }
  if (found < 0) return false;
  std::vector<DiffLine> rev;
  long x = N;
  long y = M;
  auto push = [&](DiffOp op, long ax, long by) {
    rev.push_back({op, a0 + static_cast<std::size_t>(ax), b0 + static_cast<std::size_t>(by)});
  };
  for (long d = found; d > 0; --d) {
    const std::vector<long>& pv = trace[static_cast<std::size_t>(d)];
    auto prev = [&](long k) { return pv[static_cast<std::size_t>(k + d - 1)]; };
    const long k = x - y;
    const long pk = (k == -d || (k != d && prev(k - 1) < prev(k + 1))) ? k + 1 : k - 1;
    const long px = prev(pk);
    const long py = px - pk;
    const bool insert = pk == k + 1;  // a step down (a line of b) or right (a line of a)
    const long mid_x = insert ? px : px + 1;
    const long mid_y = insert ? py + 1 : py;
    while (x > mid_x && y > mid_y)
      push(DiffOp::kEqual, --x, --y);
    if (insert) {
      push(DiffOp::kInsert, px, py);
    } else {
      push(DiffOp::kDelete, px, py);
    }
    x = px;
    y = py;
  }
  while (x > 0 && y > 0)
    push(DiffOp::kEqual, --x, --y);
  out.insert(out.end(), rev.rbegin(), rev.rend());
  return true;
}

}  // namespace

std::vector<DiffLine> DiffLines(const Lines& a, const Lines& b, std::size_t max_changes) {
  std::vector<DiffLine> out;
  std::size_t pre = 0;
  while (pre < a.size() && pre < b.size() && a[pre] == b[pre]) {
    out.push_back({DiffOp::kEqual, pre, pre});
    ++pre;
  }
  std::size_t suf = 0;
  while (suf < a.size() - pre && suf < b.size() - pre &&
         a[a.size() - 1 - suf] == b[b.size() - 1 - suf]) {
    ++suf;
  }
  const std::size_t n = a.size() - pre - suf;
  const std::size_t m = b.size() - pre - suf;
  if (!Myers(a, pre, n, b, pre, m, max_changes, out)) {
    for (std::size_t i = 0; i < n; ++i)
      out.push_back({DiffOp::kDelete, pre + i, pre});
    for (std::size_t j = 0; j < m; ++j)
      out.push_back({DiffOp::kInsert, pre + n, pre + j});
  }
  for (std::size_t i = 0; i < suf; ++i)
    out.push_back({DiffOp::kEqual, pre + n + i, pre + m + i});
  return out;
}

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    if (nl == std::string_view::npos) {
      lines.push_back(text);
      break;
    }
    lines.push_back(text.substr(0, nl));
    text.remove_prefix(nl + 1);
  }
  return lines;
}

std::string UnifiedDiff(std::string_view a_text, std::string_view b_text, std::string_view name_a,
                        std::string_view name_b, std::size_t context) {
  const Lines a = SplitLines(a_text);
  const Lines b = SplitLines(b_text);
  const std::vector<DiffLine> edits = DiffLines(a, b);
  std::vector<std::size_t> changes;
  for (std::size_t i = 0; i < edits.size(); ++i) {
    if (edits[i].op != DiffOp::kEqual) changes.push_back(i);
  }
  if (changes.empty()) return "";
  std::string out = "--- " + std::string(name_a) + "\n+++ " + std::string(name_b) + "\n";
  for (std::size_t c = 0; c < changes.size();) {
    const std::size_t begin = changes[c] > context ? changes[c] - context : 0;
    std::size_t last = changes[c];
    while (c + 1 < changes.size() && changes[c + 1] <= last + 2 * context + 1)
      last = changes[++c];
    ++c;
    const std::size_t end = std::min(edits.size(), last + context + 1);
    std::size_t a_count = 0;
    std::size_t b_count = 0;
    std::string body;
    for (std::size_t i = begin; i < end; ++i) {
      const DiffLine& e = edits[i];
      if (e.op != DiffOp::kInsert) ++a_count;
      if (e.op != DiffOp::kDelete) ++b_count;
      const char mark = e.op == DiffOp::kEqual ? ' ' : e.op == DiffOp::kDelete ? '-' : '+';
      body += mark;
      body += e.op == DiffOp::kInsert ? b[e.b] : a[e.a];
      body += '\n';
    }
    const std::size_t a_start = edits[begin].a + (a_count > 0 ? 1 : 0);
    const std::size_t b_start = edits[begin].b + (b_count > 0 ? 1 : 0);
    out += "@@ -" + std::to_string(a_start) + "," + std::to_string(a_count) + " +" +
           std::to_string(b_start) + "," + std::to_string(b_count) + " @@\n" + body;
  }
  return out;
}

}  // namespace forkline::tools
