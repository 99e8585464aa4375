#include "daemon/workflow/definition.h"

#include <limits>
#include <string_view>
#include <utility>

namespace forkline {
namespace {

// Reads an optional string member; a present non-string is an error.
Status ReadString(const boost::json::object& obj, std::string_view key, std::string* out) {
  const auto* v = obj.if_contains(key);
  if (v == nullptr) return Status::Ok();
  const auto* s = v->if_string();
  if (s == nullptr) {
    return Status::BadRequest("step definition: \"" + std::string(key) + "\" must be a string");
  }
  *out = std::string(s->data(), s->size());
  return Status::Ok();
}

// Reads an optional unsigned 32-bit member.
Status ReadUint32(const boost::json::object& obj, std::string_view key, std::uint32_t* out) {
  const auto* v = obj.if_contains(key);
  if (v == nullptr) return Status::Ok();
  std::uint64_t n = 0;
  if (const auto* i = v->if_int64(); i != nullptr && *i >= 0) {
    n = static_cast<std::uint64_t>(*i);
  } else if (const auto* u = v->if_uint64(); u != nullptr) {
    n = *u;
  } else {
    return Status::BadRequest("step definition: \"" + std::string(key) +
                              "\" must be a non-negative integer");
  }
  if (n > std::numeric_limits<std::uint32_t>::max()) {
    return Status::BadRequest("step definition: \"" + std::string(key) + "\" is too large");
  }
  *out = static_cast<std::uint32_t>(n);
  return Status::Ok();
}

// Reads an optional boolean member.
Status ReadBool(const boost::json::object& obj, std::string_view key, bool* out) {
  const auto* v = obj.if_contains(key);
  if (v == nullptr) return Status::Ok();
  const auto* b = v->if_bool();
  if (b == nullptr) {
    return Status::BadRequest("step definition: \"" + std::string(key) + "\" must be a boolean");
  }
  *out = *b;
  return Status::Ok();
}

Status ReadArgv(const boost::json::object& obj, std::vector<std::string>* out) {
  const auto* v = obj.if_contains("argv");
  if (v == nullptr) return Status::Ok();
  const auto* arr = v->if_array();
  if (arr == nullptr) return Status::BadRequest("step definition: \"argv\" must be an array");
  for (const auto& item : *arr) {
    const auto* s = item.if_string();
    if (s == nullptr) {
      return Status::BadRequest("step definition: \"argv\" must hold strings only");
    }
    out->emplace_back(s->data(), s->size());
  }
  return Status::Ok();
}

void PutIfNotEmpty(boost::json::object& obj, std::string_view key, const std::string& value) {
  if (!value.empty()) obj[key] = value;
}

}  // namespace

boost::json::object ToJson(const StepDefinition& step) {
  boost::json::object obj;
  obj["name"] = step.name;
  obj["executor"] = step.executor;
  PutIfNotEmpty(obj, "action", step.action);
  if (!step.argv.empty()) {
    boost::json::array argv;
    for (const auto& a : step.argv) {
      argv.emplace_back(a);
    }
    obj["argv"] = std::move(argv);
  }
  PutIfNotEmpty(obj, "workdir", step.workdir);
  PutIfNotEmpty(obj, "prompt", step.prompt);
  PutIfNotEmpty(obj, "model", step.model);
  PutIfNotEmpty(obj, "foreach", step.foreach);
  obj["max_attempts"] = step.max_attempts;
  obj["timeout_s"] = step.timeout_s;
  obj["params"] = step.params;
  if (!step.repeatable) obj["repeatable"] = false;
  return obj;
}

Result<StepDefinition> StepFromJson(const boost::json::value& json) {
  const auto* obj = json.if_object();
  if (obj == nullptr) return Status::BadRequest("step definition: expected an object");
  StepDefinition step;
  FL_RETURN_IF_ERROR(ReadString(*obj, "name", &step.name));
  FL_RETURN_IF_ERROR(ReadString(*obj, "executor", &step.executor));
  if (step.name.empty() || step.executor.empty()) {
    return Status::BadRequest("step definition: \"name\" and \"executor\" are required");
  }
  FL_RETURN_IF_ERROR(ReadString(*obj, "action", &step.action));
  FL_RETURN_IF_ERROR(ReadArgv(*obj, &step.argv));
  FL_RETURN_IF_ERROR(ReadString(*obj, "workdir", &step.workdir));
  FL_RETURN_IF_ERROR(ReadString(*obj, "prompt", &step.prompt));
  FL_RETURN_IF_ERROR(ReadString(*obj, "model", &step.model));
  FL_RETURN_IF_ERROR(ReadString(*obj, "foreach", &step.foreach));
  FL_RETURN_IF_ERROR(ReadUint32(*obj, "max_attempts", &step.max_attempts));
  FL_RETURN_IF_ERROR(ReadUint32(*obj, "timeout_s", &step.timeout_s));
  FL_RETURN_IF_ERROR(ReadBool(*obj, "repeatable", &step.repeatable));
  if (step.max_attempts == 0) {
    return Status::BadRequest("step definition: \"max_attempts\" must be at least 1");
  }
  if (const auto* params = obj->if_contains("params")) {
    const auto* p = params->if_object();
    if (p == nullptr) return Status::BadRequest("step definition: \"params\" must be an object");
    step.params = *p;
  }
  return step;
}

boost::json::array StepsToJson(const std::vector<StepDefinition>& steps) {
  boost::json::array arr;
  arr.reserve(steps.size());
  for (const auto& s : steps) {
    arr.emplace_back(ToJson(s));
  }
  return arr;
}

Result<std::vector<StepDefinition>> StepsFromJson(const boost::json::value& json) {
  const auto* arr = json.if_array();
  if (arr == nullptr) return Status::BadRequest("definition: expected an array of steps");
  std::vector<StepDefinition> steps;
  steps.reserve(arr->size());
  for (std::size_t i = 0; i < arr->size(); ++i) {
    auto step = StepFromJson((*arr)[i]);
    if (!step.ok()) {
      return Status::BadRequest("definition: step " + std::to_string(i) + ": " +
                                step.status().message());
    }
    steps.push_back(std::move(step).value());
  }
  return steps;
}

}  // namespace forkline
