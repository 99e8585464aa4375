// ScanStepPayload reads a payload exactly as the DOM does, or declines: for every
// payload below (well-formed, odd, malformed), either the scanner returns false or its
// fields equal those the fold reads from a DOM parse; and it never accepts what the DOM
// parse rejects.
#include "projections/step_scan.h"

#include <random>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "projections/run_json.h"

namespace forkline {
namespace {

namespace json = boost::json;

std::uint64_t U64(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v) return 0;
  if (v->is_uint64()) return v->get_uint64();
  if (v->is_int64() && v->get_int64() >= 0) return static_cast<std::uint64_t>(v->get_int64());
  return 0;
}
std::string Str(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

// What the fold reads from the DOM; false when the DOM parse fails.
bool FromDom(std::string_view text, StepPayload* p, std::string* code, std::string* message,
             std::string* executor) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec, {}, StoredJsonOptions());
  if (ec || !v.is_object()) return false;
  const json::object& d = v.get_object();
  p->index = U64(d, "index");
  p->attempt = U64(d, "attempt");
  *executor = Str(d, "executor");
  const json::value* r = d.if_contains("retryable");
  p->retryable = r && r->is_bool() && r->get_bool();
  code->clear();
  message->clear();
  if (auto* err = d.if_contains("error"); err && err->is_object()) {
    *code = Str(err->get_object(), "code");
    *message = Str(err->get_object(), "message");
  }
  return true;
}

// Returns whether the scanner accepted `text` (and checks it agreed with the DOM).
bool Check(const std::string& text) {
  StepPayload scanned;
  const bool ok = ScanStepPayload(text, &scanned);
  StepPayload dom;
  std::string code, message, executor;
  const bool dom_ok = FromDom(text, &dom, &code, &message, &executor);
  if (!ok) return false;
  EXPECT_TRUE(dom_ok) << "accepted what the DOM rejects: " << text;
  if (!dom_ok) return true;
  EXPECT_EQ(scanned.index, dom.index) << text;
  EXPECT_EQ(scanned.attempt, dom.attempt) << text;
  EXPECT_EQ(scanned.retryable, dom.retryable) << text;
  EXPECT_EQ(scanned.executor, executor) << text;
  EXPECT_EQ(scanned.error_code, code) << text;
  EXPECT_EQ(scanned.error_message, message) << text;
  return true;
}

TEST(StepScan, ReadsWhatTheDaemonWritesWithoutADom) {
  EXPECT_TRUE(Check(R"({"attempt":3,"executor":"exec","index":2,"name":"s"})"));
  EXPECT_TRUE(Check(R"({"attempt":1,"error":{"code":"exit","message":"it failed"},"index":0,)"
                    R"("name":"s","retryable":true})"));
  EXPECT_TRUE(Check(
      " { \"index\" : 7 ,\n\"error\":{\"message\":\"m\",\"code\":\"c\",\"x\":[1,{\"y\":null}]},"
      "\"retryable\":false,\"extra\":[-1.5e3,true,\"s\",{}],\"attempt\":12345678901234567} "));
  EXPECT_TRUE(Check("{}"));
  EXPECT_TRUE(Check(R"({"index":0,"error":{}})"));
}

TEST(StepScan, DeclinesWhatItDoesNotReadExactly) {
  for (const char* text : {
           R"({"index":1,"error":{"code":"exit","message":"line\nbreak"}})",  // escape
           R"({"index":1,"executor":"caf\u00e9"})",                           // escape
           "{\"index\":1,\"executor\":\"caf\xc3\xa9\"}",                      // non-ASCII
           R"({"index":-1})",
           R"({"index":1.0})",
           R"({"index":"1"})",                     // other types
           R"({"attempt":99999999999999999999})",  // 20 digits
           R"({"index":1,"index":2})",             // duplicate
           R"({"error":"text"})",
           R"({"retryable":1})",
           R"({"executor":null})",
           R"({"index":01})",
           R"({"index":1,})",
           R"({"index":1)",
           R"({"index":1} x)",
           R"([1,2])",
           "",
           R"({"a":tru})",
           R"({"a":1.})",
           R"({"a":-})",
           R"({"a":"x)",
       }) {
    EXPECT_FALSE(Check(text)) << text;
  }
}

// Random payloads built from pieces, some of them malformed: the scanner agrees with the
// DOM wherever it accepts one, and accepts the plain ones.
TEST(StepScan, AgreesWithTheDomOnRandomPayloads) {
  const std::vector<std::string> keys = {"\"index\"",     "\"attempt\"", "\"executor\"",
                                         "\"retryable\"", "\"error\"",   "\"name\"",
                                         "\"x\""};
  const std::vector<std::string> values = {"0",
                                           "7",
                                           "123456",
                                           "-3",
                                           "2.5",
                                           "1e3",
                                           "true",
                                           "false",
                                           "null",
                                           "\"exec\"",
                                           "\"\"",
                                           "\"a\\\"b\"",
                                           "[]",
                                           "[1,[2,{\"a\":3}]]",
                                           "{}",
                                           "{\"code\":\"c\",\"message\":\"m\"}",
                                           "{\"code\":1}",
                                           "{\"message\":\"m\",\"more\":{\"deep\":[true]}}",
                                           "tru",
                                           "01",
                                           "\"x"};
  std::mt19937 rng(42);
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string text = "{";
    const int n = static_cast<int>(rng() % 6);
    for (int k = 0; k < n; ++k) {
      if (k > 0) text += rng() % 40 == 0 ? " " : ",";
      text += keys[rng() % keys.size()] + (rng() % 3 == 0 ? " : " : ":") +
              values[rng() % values.size()];
    }
    text += rng() % 50 == 0 ? "" : "}";
    accepted += Check(text) ? 1 : 0;
  }
  EXPECT_GT(accepted, 1000);
}

}  // namespace
}  // namespace forkline
