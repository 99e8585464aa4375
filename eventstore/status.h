#pragma once
// Status and Result<T>: how errors travel across every Forkline boundary.
// Codes map one to one onto the contract's error codes (DESIGN §4).

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace forkline {

enum class Code {
  kOk,
  kBadRequest,
  kUnauthorized,
  kNotFound,
  kConflict,
  kTooLarge,
  kUnavailable,
  kInternal,
};

// The wire name of a code: "bad_request", "not_found", … ("ok" for kOk).
std::string_view CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }
  static Status BadRequest(std::string m) { return {Code::kBadRequest, std::move(m)}; }
  static Status Unauthorized(std::string m) { return {Code::kUnauthorized, std::move(m)}; }
  static Status NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
  static Status Conflict(std::string m) { return {Code::kConflict, std::move(m)}; }
  static Status TooLarge(std::string m) { return {Code::kTooLarge, std::move(m)}; }
  static Status Unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }
  static Status Internal(std::string m) { return {Code::kInternal, std::move(m)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "not_found: run r_1 does not exist"
  std::string ToString() const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

// Whether a Result<T> may be made from a value that converts to T implicitly (one
// conversion more than C++ allows on its own). Off unless a type opts in.
template <typename T>
struct ImplicitResultConversion : std::false_type {};

// A value or a non-ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  // From what converts to T implicitly, for the types that opt in (ImplicitResultConversion).
  template <typename U, typename = std::enable_if_t<ImplicitResultConversion<T>::value &&
                                                    !std::is_same_v<std::decay_t<U>, T> &&
                                                    !std::is_same_v<std::decay_t<U>, Status> &&
                                                    std::is_convertible_v<U&&, T>>>
  Result(U&& value) : value_(T(std::forward<U>(value))) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : status_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!status_.ok());
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { assert(ok()); return *value_; }
  const T& value() const& { assert(ok()); return *value_; }
  T&& value() && { assert(ok()); return std::move(*value_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace forkline

// Returns early with the status when it is not ok.
#define FL_RETURN_IF_ERROR(expr)               \
  do {                                         \
    ::forkline::Status fl_status_ = (expr);    \
    if (!fl_status_.ok()) return fl_status_;   \
  } while (0)
