#include "bench/bench_client.h"

#include <stdexcept>

namespace forkline::bench {

client::CommandClientOptions ClientOptions(const std::string& endpoint) {
  client::CommandClientOptions o;
  o.endpoint = endpoint;
  return o;
}

boost::json::object MustCall(client::CommandClient& c, std::string_view cmd, boost::json::object args) {
  auto r = c.Call(cmd, std::move(args));
  if (!r.ok()) throw std::runtime_error(std::string(cmd) + ": " + r.status().ToString());
  return std::move(r).value();
}

}  // namespace forkline::bench
