// forklined: the Forkline daemon. Opens the event store, rebuilds the runs, and serves
// ZeroMQ commands and the HTTP API / SSE / web UI until SIGTERM or SIGINT.
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/program_options.hpp>
#include <pthread.h>
#include <sys/resource.h>
#include <cstdio>
#include <unistd.h>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <thread>

#include "daemon/config/config.h"
#include "daemon/engine/engine.h"
#include "daemon/executors/builtin_executor.h"
#include "daemon/executors/exec_executor.h"
#include "daemon/executors/llm_executor.h"
#include "daemon/executors/script_commit.h"
#include "daemon/executors/subprocess.h"
#include "daemon/http/host_check.h"
#include "daemon/http/http_server.h"
#include "daemon/log/command_log.h"
#include "daemon/log/log.h"
#include "daemon/log/sd_notify.h"
#include "daemon/log/sd_watchdog.h"
#include "daemon/metrics/metered_handler.h"
#include "daemon/metrics/metrics.h"
#include "daemon/workflow/workflow_catalog.h"
#include "daemon/zmq/zmq_server.h"
#include "eventstore/postgres_event_store.h"
#include "eventstore/postgres_leases.h"
#include "daemon/engine/postgres_ownership.h"
#include "eventstore/rocksdb_event_store.h"

namespace forkline {
namespace {

constexpr const char* kVersion = "0.1.0";

struct Args {
  std::string config;
  bool check_only = false;
  std::string log_level;   // --log-level, overrides [log] level
  std::string log_format;  // --log-format, overrides [log] format
};

// Parses the command line; returns an exit code when the process should stop now.
std::optional<int> ParseArgs(int argc, char** argv, Args& out) {
  namespace po = boost::program_options;
  po::options_description opts(
      "Usage: forklined [--config FILE] [--check-config [FILE]] [--log-level L] [--log-format F]\n\n"
      "The Forkline daemon: runs workflows step by step, on autorun, with pause, resume and\n"
      "fork; commands over ZeroMQ, HTTP API, SSE streams and web UI.\n"
      "Every config key may be overridden by FORKLINE_<SECTION>_<KEY> (e.g. FORKLINE_HTTP_BIND).\n\n"
      "Options");
  opts.add_options()("help,h", "print this help and exit")("version", "print the version and exit")(
      "config,c", po::value<std::string>(&out.config), "TOML config file (every key optional)")(
      "check-config", "validate the config (--config or the FILE argument) and the workflow files, then exit")(
      "log-level", po::value<std::string>(&out.log_level), "debug | info | warn | error (overrides [log] level)")(
      "log-format", po::value<std::string>(&out.log_format), "text | json (overrides [log] format)");
  po::options_description hidden;
  hidden.add_options()("config-file", po::value<std::string>(), "");
  po::options_description all;
  all.add(opts).add(hidden);
  po::positional_options_description positional;
  positional.add("config-file", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "forklined: %s\nTry 'forklined --help'.\n", e.what());
    return 2;
  }
  if (vm.count("help")) {
    std::cout << opts << "\n";
    return 0;
  }
  if (vm.count("version")) {
    std::printf("forklined %s\n", kVersion);
    return 0;
  }
  out.check_only = vm.count("check-config") > 0;
  if (vm.count("config-file")) {
    if (!out.config.empty()) {
      std::fprintf(stderr, "forklined: give the config file once (--config or as an argument)\n");
      return 2;
    }
    out.config = vm["config-file"].as<std::string>();
  }
  for (const auto& [value, allowed] : {std::pair{&out.log_level, "debug info warn error trace"},
                                       std::pair{&out.log_format, "text json"}}) {
    const std::string words = std::string(" ") + allowed + " ";
    if (!value->empty() && words.find(" " + *value + " ") == std::string::npos) {
      std::fprintf(stderr, "forklined: '%s' is not one of: %s\n", value->c_str(), allowed);
      return 2;
    }
  }
  return std::nullopt;
}

// The folder of the running binary (from /proc/self/exe), or "" when unknown.
std::filesystem::path BinaryFolder() {
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path() : exe.parent_path();
}

// An installed forklined (bin/ or sbin/ under a prefix) finds its web UI and workflow
// files in <prefix>/share/forkline/ when the config leaves `http.web_dir` and
// `workflows_dir` at their relative defaults and the working folder has no such folder
// (a source checkout has). Explicit config values are never changed.
void ResolveInstalledPaths(Config& c) {
  const Config defaults;
  const std::filesystem::path share = BinaryFolder() / ".." / "share" / "forkline";
  auto resolve = [&share](std::string& value, const std::string& default_value, const char* name) {
    std::error_code ec;
    if (value != default_value || std::filesystem::exists(value, ec)) return;
    const std::filesystem::path installed = (share / name).lexically_normal();
    if (std::filesystem::is_directory(installed, ec)) value = installed.string();
  };
  resolve(c.http.web_dir, defaults.http.web_dir, "web");
  resolve(c.workflows_dir, defaults.workflows_dir, "workflows");
}

HttpOptions ToHttpOptions(const Config& c) {
  HttpOptions o;
  o.bind = c.http.bind;
  o.token = c.auth.token;
  o.sse_keepalive_s = static_cast<int>(c.http.sse_keepalive_s);
  o.max_body_bytes = c.http.max_body_bytes;
  o.idle_timeout_s = static_cast<int>(c.http.idle_timeout_s);
  o.sse_queue_limit = c.http.sse_queue_limit;
  o.header_timeout_s = static_cast<int>(c.http.header_timeout_s);
  o.allowed_hosts =
      c.http.allowed_hosts.empty() ? DefaultAllowedHosts(c.http.bind) : c.http.allowed_hosts;
  o.web_dir = c.http.web_dir;
  o.log = [](std::string_view m) { log::Warn(m); };
  return o;
}

ZmqOptions ToZmqOptions(const Config& c) {
  ZmqOptions o;
  o.bind = c.zmq.bind;
  o.max_message_bytes = c.zmq.max_message_bytes;
  o.token = c.auth.token;
  o.curve_server_secret_key = c.zmq.curve_server_secret_key;
  o.curve_server_public_key = c.zmq.curve_server_public_key;
  o.curve_allowed_client_keys = c.zmq.curve_allowed_client_keys;
  o.log = [](std::string_view level, std::string_view m) {
    log::Write(level == "error" ? log::Level::kError : level == "warn" ? log::Level::kWarn : log::Level::kInfo, m);
  };
  return o;
}

EngineOptions ToEngineOptions(const Config& c) {
  EngineOptions o;
  o.max_concurrent_steps = c.engine.max_concurrent_steps;
  o.step_timeout = std::chrono::seconds(c.engine.step_timeout_s);
  o.max_output_bytes = c.engine.max_output_bytes;
  o.idempotency_retention = std::chrono::hours(c.engine.idempotency_retention_h);
  o.version = kVersion;
  o.on_step_ended = [](std::string_view outcome, double s) { GlobalMetrics().StepDone(outcome, s); };
  o.on_events_durable = [](std::size_t n) { GlobalMetrics().EventsAppended(n); };
  return o;
}

// Every client connection is a file descriptor: raise the soft RLIMIT_NOFILE towards
// the hard limit, at most 65536 (a thousand ZeroMQ clients or SSE subscribers need more
// than the usual 1024).
void RaiseFileLimit() {
  constexpr rlim_t kWanted = 65536;
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  const rlim_t target =
      limit.rlim_max == RLIM_INFINITY ? kWanted : std::min(kWanted, limit.rlim_max);
  if (limit.rlim_cur >= target) return;
  const rlim_t before = limit.rlim_cur;
  limit.rlim_cur = target;
  if (setrlimit(RLIMIT_NOFILE, &limit) == 0) {
    SetChildOpenFileLimit(before);  // step programs keep the limit we were started with
    log::Info("open file limit raised from " + std::to_string(before) + " to " +
              std::to_string(limit.rlim_cur));
  }
}

int Fail(const std::string& what, const Status& s) {
  log::Error(what + ": " + s.ToString());
  return 1;
}

// Opens the configured store; `where` says which (for logs: never the URL, which may
// hold a password). With postgres the engine sees every node's events (runs created on
// other nodes can be read and streamed here; OpenOwnership adds the leases).
Result<std::unique_ptr<EventStore>> OpenStore(const Config& config, std::string& where) {
  auto on_commit = [](double s) { GlobalMetrics().StoreSynced(s); };
  if (config.store.backend == "postgres") {
    PostgresStoreOptions o;
    o.url = config.store.postgres_url;
    o.schema = config.store.postgres_schema;
    o.deliver_all_nodes = true;
    o.on_commit = on_commit;
    where = "postgres (schema " + o.schema + ")";
    return OpenPostgresEventStore(o);
  }
  RocksDbStoreOptions store_options;
  store_options.path = config.store.path;
  store_options.on_commit = on_commit;
  where = "rocksdb at " + config.store.path;
  return OpenRocksDbEventStore(store_options);
}

// With postgres: run leases, so that one node drives each run (issue 9). Null with rocksdb.
Result<std::shared_ptr<Ownership>> OpenOwnership(const Config& config, EventStore& store) {
  if (config.store.backend != "postgres") return std::shared_ptr<Ownership>();
  PostgresStoreOptions o;
  o.url = config.store.postgres_url;
  o.schema = config.store.postgres_schema;
  auto leases = OpenPostgresLeases(o);
  if (!leases.ok()) return leases.status();
  PostgresOwnershipOptions options;
  options.node_id = config.store.node_id;
  if (options.node_id.empty()) {
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "node");
    options.node_id = std::string(host) + "-" + std::to_string(getpid());
  }
  options.ttl = std::chrono::seconds(config.store.lease_ttl_s);
  options.store_healthy = [&store] { return store.Health().ok(); };
  log::Info("node " + options.node_id + ": run leases of " +
            std::to_string(config.store.lease_ttl_s) + " s");
  return std::shared_ptr<Ownership>(
      std::make_shared<PostgresOwnership>(std::move(leases).value(), std::move(options)));
}

int Serve(const Config& config, const WorkflowCatalog& catalog) {
  RaiseFileLimit();
  std::string store_where;
  auto store = OpenStore(config, store_where);
  if (!store.ok()) return Fail("cannot open the store " + store_where, store.status());

  // Two pools: the engine's (commands, appends' continuations) and the HTTP/SSE
  // server's, so a thousand subscribers never queue ahead of a command.
  boost::asio::io_context io;
  boost::asio::io_context http_io;
  auto work = boost::asio::make_work_guard(io);
  auto http_work = boost::asio::make_work_guard(http_io);
  const unsigned threads = std::max(2u, std::min(4u, std::thread::hardware_concurrency()));
  std::vector<std::thread> pool;
  for (unsigned i = 0; i < threads; ++i) {
    pool.emplace_back([&io] {
      pthread_setname_np(pthread_self(), "fl-engine");
      io.run();
    });
    pool.emplace_back([&http_io] {
      pthread_setname_np(pthread_self(), "fl-http");
      http_io.run();
    });
  }
  auto join = [&] {
    // The store's writer posts the engine's continuations to `io`: it stops first, while
    // the pool still runs them, so that no callback reaches `io` once it is gone.
    (*store)->Close();
    work.reset();
    http_work.reset();
    io.stop();
    http_io.stop();
    for (auto& t : pool) t.join();
  };

  BuiltinExecutor builtin;
  ExecExecutor exec;
  LlmOptions llm_options;
  llm_options.base_url = config.llm.base_url;
  llm_options.model = config.llm.model;
  // NOLINTNEXTLINE(concurrency-mt-unsafe): read once at start, before other threads use the env
  if (const char* key = std::getenv(config.llm.api_key_env.c_str())) llm_options.api_key = key;
  llm_options.timeout = std::chrono::seconds(config.llm.timeout_s);
  LlmExecutor llm(std::move(llm_options));
  if (Status s = llm.CheckOptions(); !s.ok()) log::Warn("llm: " + s.message());
  auto ownership = OpenOwnership(config, **store);
  if (!ownership.ok()) {
    join();
    return Fail("cannot open the run leases", ownership.status());
  }
  EngineOptions engine_options = ToEngineOptions(config);
  engine_options.ownership = *ownership;
  Engine engine(**store, catalog.All(), {{"builtin", &builtin}, {"exec", &exec}, {"llm", &llm}},
                std::move(engine_options), io.get_executor());
  if (Status s = engine.Start(); !s.ok()) {
    join();
    return Fail("cannot recover the runs", s);
  }
  MeteredCommandHandler metered(engine);
  LoggingCommandHandler handler(metered);
  const std::uint64_t event_log = LogFeedEvents(engine);
  ZmqServer zmq(ToZmqOptions(config), handler);
  HttpOptions http_options = ToHttpOptions(config);
  EventStore& store_ref = **store;
  http_options.backup = [&store_ref](const std::string& dir) { return store_ref.Checkpoint(dir); };
  HttpServer http(std::move(http_options), handler, engine, http_io);
  if (Status s = zmq.Start(); !s.ok()) {
    engine.Shutdown(std::chrono::milliseconds(0));
    join();
    return Fail("zmq", s);
  }
  if (Status s = http.Start(); !s.ok()) {
    zmq.Stop();
    engine.Shutdown(std::chrono::milliseconds(0));
    join();
    return Fail("http", s);
  }
  log::Info(std::string("forklined ") + kVersion + " started: store " + store_where +
            ", zmq " + zmq.endpoint() + ", http http://" + config.http.bind.substr(0, config.http.bind.rfind(':')) +
            ":" + std::to_string(http.port()) + "/ (web UI and API)");
  // systemd (Type=notify): ready once the store is open and both sockets listen.
  SdNotify("READY=1\nSTATUS=serving zmq " + zmq.endpoint() + ", http port " + std::to_string(http.port()));
  std::optional<SdWatchdog> watchdog;
  if (auto interval = WatchdogPingInterval()) watchdog.emplace(*interval, io, http_io);

  boost::asio::io_context signals_io;
  boost::asio::signal_set signals(signals_io, SIGINT, SIGTERM);
  int signal_number = 0;
  signals.async_wait([&](const boost::system::error_code&, int n) { signal_number = n; });
  signals_io.run();
  SdNotify("STOPPING=1");
  watchdog.reset();

  log::Info("stopping on signal " + std::to_string(signal_number) + ": no new commands, " +
            std::to_string(config.engine.shutdown_grace_s) + " s for steps in flight");
  zmq.Stop();
  engine.Shutdown(std::chrono::seconds(config.engine.shutdown_grace_s));
  engine.Unsubscribe(event_log);
  http.Stop();
  join();
  log::Info("stopped");
  return 0;
}

}  // namespace
}  // namespace forkline

int main(int argc, char** argv) {
  using namespace forkline;
  Args args;
  if (auto exit_code = ParseArgs(argc, argv, args)) return *exit_code;
  auto config = LoadConfig(args.config, CurrentEnvironment());
  if (!config.ok()) {
    std::fprintf(stderr, "forklined: %s\n", config.status().message().c_str());
    return 2;
  }
  if (!args.log_level.empty()) config->log.level = args.log_level;
  if (!args.log_format.empty()) config->log.format = args.log_format;
  log::Configure(config->log.level, config->log.format);
  ResolveInstalledPaths(*config);
  auto catalog = BuildWorkflowCatalog(config->workflows_dir, IsKnownBuiltinAction);
  if (!catalog.ok()) {
    std::fprintf(stderr, "forklined: %s\n", catalog.status().message().c_str());
    return 2;
  }
  if (args.check_only) {
    std::printf("forklined: config ok (%zu workflow kinds)\n", catalog->All().size());
    return 0;
  }
  return Serve(*config, *catalog);
}
