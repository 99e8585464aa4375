// ZeroMQ command decoding and argument validation on arbitrary bytes: ParseWireRequest
// never throws and either gives a request with a `cmd` or a bad_request; the argument
// readers the engine uses give a value or a bad_request; every reply encodes to JSON.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <boost/json/parse.hpp>

#include "daemon/engine/args.h"
#include "daemon/zmq/wire.h"
#include "tests/fuzz/fuzz_check.h"

using namespace forkline;

namespace {

void CheckArgs(const boost::json::object& a) {
  for (const Status& s :
       {args::OnlyKnown(a, {"run_id", "at", "title", "limit", "enabled", "after", "abort_step"}),
        args::RequiredString(a, "run_id").status(), args::OptionalString(a, "title").status(),
        args::OptionalUint(a, "limit", 1000).status(), args::OptionalUint(a, "at", UINT64_MAX).status(),
        args::OptionalBool(a, "enabled").status()}) {
    FUZZ_CHECK(s.ok() || s.code() == Code::kBadRequest);
    FUZZ_CHECK(s.ok() || !s.message().empty());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  boost::json::value id;
  auto request = ParseWireRequest(body, &id);
  CommandReply reply = Status::BadRequest("x");
  if (request.ok()) {
    FUZZ_CHECK(!request->cmd.empty());
    CheckArgs(request->args);
    reply = boost::json::object{{"cmd", request->cmd}, {"args", request->args}};
  } else {
    FUZZ_CHECK(request.status().code() == Code::kBadRequest);
    reply = request.status();
  }
  const std::string encoded = EncodeWireReply(id, reply);
  std::error_code ec;
  const boost::json::value back = boost::json::parse(encoded, ec);
  FUZZ_CHECK(!ec && back.is_object());
  IdForHandler(id);
  return 0;
}
