#include "projections/step_scan.h"

namespace forkline {
namespace {

constexpr int kMaxDepth = 32;

class Scanner {
 public:
  explicit Scanner(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

  void SkipSpace() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r'))
      ++p_;
  }
  bool Eat(char c) {
    SkipSpace();
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }
  bool AtEnd() {
    SkipSpace();
    return p_ == end_;
  }
  char Peek() {
    SkipSpace();
    return p_ == end_ ? '\0' : *p_;
  }
  // A string of printable ASCII without escapes (anything else: false).
  bool String(std::string_view* out) {
    if (!Eat('"')) return false;
    const char* start = p_;
    while (p_ < end_ && *p_ != '"') {
      const auto c = static_cast<unsigned char>(*p_);
      if (c < 0x20 || c >= 0x80 || c == '\\') return false;
      ++p_;
    }
    if (p_ == end_) return false;
    *out = std::string_view(start, static_cast<std::size_t>(p_ - start));
    ++p_;
    return true;
  }
  // An unsigned integer as JSON writes it (no sign, fraction or exponent), ≤ 19 digits.
  bool Unsigned(std::uint64_t* out) {
    SkipSpace();
    const char* start = p_;
    std::uint64_t v = 0;
    while (p_ < end_ && *p_ >= '0' && *p_ <= '9')
      v = v * 10 + static_cast<std::uint64_t>(*p_++ - '0');
    const auto digits = p_ - start;
    if (digits == 0 || digits > 19 || (digits > 1 && *start == '0')) return false;
    if (p_ < end_ && (*p_ == '.' || *p_ == 'e' || *p_ == 'E')) return false;
    *out = v;
    return true;
  }
  bool Literal(std::string_view word) {
    SkipSpace();
    if (static_cast<std::size_t>(end_ - p_) < word.size() ||
        std::string_view(p_, word.size()) != word) {
      return false;
    }
    p_ += word.size();
    return true;
  }
  bool Bool(bool* out) {
    if (Literal("true")) return *out = true;
    if (Literal("false")) return !(*out = false);
    return false;
  }
  // Any JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
  bool Number() {
    SkipSpace();
    if (p_ < end_ && *p_ == '-') ++p_;
    if (p_ == end_ || *p_ < '0' || *p_ > '9') return false;
    if (*p_ == '0') {
      ++p_;
    } else {
      Digits();
    }
    if (p_ < end_ && *p_ == '.') {
      ++p_;
      if (!Digits()) return false;
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (!Digits()) return false;
    }
    return true;
  }
  bool Skip(int depth) {
    if (depth > kMaxDepth) return false;
    std::string_view ignored;
    switch (Peek()) {
      case '"':
        return String(&ignored);
      case '{':
        return Members(depth + 1, [this, depth](std::string_view) { return Skip(depth + 1); });
      case '[':
        return Elements(depth + 1);
      case 't':
        return Literal("true");
      case 'f':
        return Literal("false");
      case 'n':
        return Literal("null");
      default:
        return Number();
    }
  }
  // An object: calls member(key) with the scanner at each value; member reads it.
  template <typename Member>
  bool Members(int depth, Member member) {
    if (depth > kMaxDepth || !Eat('{')) return false;
    if (Eat('}')) return true;
    do {
      std::string_view key;
      if (!String(&key) || !Eat(':') || !member(key)) return false;
    } while (Eat(','));
    return Eat('}');
  }

 private:
  bool Digits() {
    const char* start = p_;
    while (p_ < end_ && *p_ >= '0' && *p_ <= '9')
      ++p_;
    return p_ > start;
  }
  bool Elements(int depth) {
    if (!Eat('[')) return false;
    if (Eat(']')) return true;
    do {
      if (!Skip(depth)) return false;
    } while (Eat(','));
    return Eat(']');
  }

  const char* p_;
  const char* end_;
};

// Each field read at most once: a duplicate key sends the payload to the DOM.
bool Once(unsigned& seen, unsigned bit) {
  if (seen & bit) return false;
  seen |= bit;
  return true;
}

}  // namespace

bool ScanStepPayload(std::string_view json, StepPayload* out) {
  Scanner s(json);
  StepPayload p;
  unsigned seen = 0;
  const bool ok = s.Members(1, [&](std::string_view key) {
    if (key == "index") return Once(seen, 1) && s.Unsigned(&p.index);
    if (key == "attempt") return Once(seen, 2) && s.Unsigned(&p.attempt);
    if (key == "executor") return Once(seen, 4) && s.String(&p.executor);
    if (key == "retryable") return Once(seen, 8) && s.Bool(&p.retryable);
    if (key == "error") {
      return Once(seen, 16) && s.Members(2, [&](std::string_view k) {
        if (k == "code") return Once(seen, 32) && s.String(&p.error_code);
        if (k == "message") return Once(seen, 64) && s.String(&p.error_message);
        return s.Skip(3);
      });
    }
    return s.Skip(2);
  });
  if (!ok || !s.AtEnd()) return false;
  *out = p;
  return true;
}

}  // namespace forkline
