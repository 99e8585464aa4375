#include "daemon/executors/prompt_template.h"

#include <charconv>
#include <optional>
#include <vector>

#include <boost/json/serialize.hpp>

namespace forkline {
namespace {

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// Splits "a.b[0].c" into {"a", "b", "0", "c"}; nullopt when it is not a path.
std::optional<std::vector<std::string_view>> SplitPath(std::string_view path) {
  std::vector<std::string_view> names;
  std::size_t i = 0;
  while (true) {
    const std::size_t start = i;
    while (i < path.size() && IsNameChar(path[i])) {
      ++i;
    }
    if (i == start) return std::nullopt;
    names.push_back(path.substr(start, i - start));
    while (i < path.size() && path[i] == '[') {  // a[0][1]
      const std::size_t digits = ++i;
      while (i < path.size() && path[i] >= '0' && path[i] <= '9') {
        ++i;
      }
      if (i == digits || i == path.size() || path[i] != ']') return std::nullopt;
      names.push_back(path.substr(digits, i - digits));
      ++i;
    }
    if (i == path.size()) return names;
    if (path[i] != '.') return std::nullopt;
    ++i;
  }
}

const boost::json::value* Step(const boost::json::value& at, std::string_view name) {
  if (const auto* object = at.if_object()) {
    auto it = object->find(name);
    return it == object->end() ? nullptr : &it->value();
  }
  if (const auto* array = at.if_array()) {
    std::size_t index = 0;
    auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), index);
    if (ec != std::errc() || end != name.data() + name.size()) return nullptr;
    return index < array->size() ? &(*array)[index] : nullptr;
  }
  return nullptr;
}

const boost::json::value* Lookup(const boost::json::object& root,
                                 const std::vector<std::string_view>& names) {
  auto it = root.find(names.front());
  if (it == root.end()) return nullptr;
  const boost::json::value* at = &it->value();
  for (std::size_t i = 1; i < names.size() && at != nullptr; ++i) {
    at = Step(*at, names[i]);
  }
  return at;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

const boost::json::value* LookupPath(const boost::json::object& root, std::string_view path) {
  auto names = SplitPath(path);
  return names ? Lookup(root, *names) : nullptr;
}

Result<std::string> RenderPrompt(std::string_view tmpl, const boost::json::object& context) {
  std::string out;
  out.reserve(tmpl.size());
  std::size_t pos = 0;
  while (pos < tmpl.size()) {
    const std::size_t open = tmpl.find("{{", pos);
    if (open == std::string_view::npos) break;
    const std::size_t close = tmpl.find("}}", open + 2);
    if (close == std::string_view::npos) break;
    const std::string_view path = Trim(tmpl.substr(open + 2, close - open - 2));
    const auto names = SplitPath(path);
    if (!names) {  // not a placeholder: keep the first "{" and look again after it
      out.append(tmpl.substr(pos, open + 1 - pos));
      pos = open + 1;
      continue;
    }
    const boost::json::value* value = Lookup(context, *names);
    if (value == nullptr) {
      return Status::BadRequest("prompt placeholder {{" + std::string(path) +
                                "}} names nothing in the step's context");
    }
    out.append(tmpl.substr(pos, open - pos));
    if (const auto* s = value->if_string()) {
      out.append(s->data(), s->size());
    } else {
      out.append(boost::json::serialize(*value));
    }
    pos = close + 2;
  }
  out.append(tmpl.substr(pos));
  return out;
}

}  // namespace forkline
