#include "daemon/config/config.h"

#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/testutil/status_matchers.h"
#include "tests/testutil/temp_dir.h"

namespace forkline {
namespace {

using ::testing::HasSubstr;

class ConfigTest : public ::testing::Test {
 protected:
  // Writes `text` to a file in the temp folder and returns its path.
  std::string Write(const std::string& text, const std::string& name = "forkline.toml") {
    const std::string path = dir_.Sub(name);
    std::ofstream(path) << text;
    return path;
  }
  // Loads `text` and returns the error message (fails if it loads).
  std::string ErrorOf(const std::string& text, const std::map<std::string, std::string>& env = {}) {
    auto config = LoadConfig(Write(text), env);
    EXPECT_FALSE(config.ok()) << "loaded:\n" << text;
    if (config.ok()) return "";
    EXPECT_EQ(config.status().code(), Code::kBadRequest);
    return config.status().message();
  }

  testing::TempDir dir_;
};

TEST_F(ConfigTest, DefaultsWithoutFile) {
  auto config = LoadConfig("", {});
  ASSERT_OK(config);
  EXPECT_EQ(config->store.backend, "rocksdb");
  EXPECT_EQ(config->store.path, "data");
  EXPECT_EQ(config->zmq.bind, "tcp://127.0.0.1:7710");
  EXPECT_EQ(config->zmq.max_message_bytes, 16u << 20);
  EXPECT_TRUE(config->zmq.curve_server_secret_key.empty());
  EXPECT_EQ(config->http.bind, "127.0.0.1:7711");
  EXPECT_EQ(config->http.sse_keepalive_s, 15u);
  EXPECT_EQ(config->http.max_body_bytes, 16u << 20);
  EXPECT_EQ(config->http.idle_timeout_s, 60u);
  EXPECT_EQ(config->http.sse_queue_limit, 1024u);
  EXPECT_EQ(config->http.header_timeout_s, 10u);
  EXPECT_TRUE(config->http.allowed_hosts.empty());
  EXPECT_EQ(config->http.web_dir, "web");
  EXPECT_TRUE(config->auth.token.empty());
  EXPECT_EQ(config->engine.max_concurrent_steps, 4u);
  EXPECT_EQ(config->engine.step_timeout_s, 300u);
  EXPECT_EQ(config->engine.max_output_bytes, 8u << 20);
  EXPECT_EQ(config->engine.shutdown_grace_s, 10u);
  EXPECT_EQ(config->engine.idempotency_retention_h, 24u);
  EXPECT_EQ(config->log.level, "info");
  EXPECT_EQ(config->log.format, "text");
  EXPECT_EQ(config->workflows_dir, "config/workflows");
  EXPECT_EQ(*config, Config{});
}

TEST_F(ConfigTest, FileValues) {
  auto config = LoadConfig(Write(R"(
workflows_dir = "flows"
[store]
path = "/var/lib/forkline"
[zmq]
bind = "tcp://0.0.0.0:9000"
curve_server_secret_key = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6"
curve_server_public_key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
curve_allowed_client_keys = ["Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID"]
[http]
bind = "0.0.0.0:8080"
sse_keepalive_s = 5
sse_queue_limit = 64
[auth]
token = "s3cret"
[engine]
max_concurrent_steps = 2
max_output_bytes = 4096
[llm]
model = "llama3"
[log]
level = "debug"
format = "json"
)"),
                           {});
  ASSERT_OK(config);
  EXPECT_EQ(config->workflows_dir, "flows");
  EXPECT_EQ(config->store.path, "/var/lib/forkline");
  EXPECT_EQ(config->zmq.bind, "tcp://0.0.0.0:9000");
  EXPECT_EQ(config->zmq.curve_allowed_client_keys.size(), 1u);
  EXPECT_EQ(config->http.bind, "0.0.0.0:8080");
  EXPECT_EQ(config->http.sse_keepalive_s, 5u);
  EXPECT_EQ(config->http.sse_queue_limit, 64u);
  EXPECT_EQ(config->auth.token, "s3cret");
  EXPECT_EQ(config->engine.max_concurrent_steps, 2u);
  EXPECT_EQ(config->engine.max_output_bytes, 4096u);
  EXPECT_EQ(config->engine.step_timeout_s, 300u);  // untouched keys keep defaults
  EXPECT_EQ(config->llm.model, "llama3");
  EXPECT_EQ(config->log.level, "debug");
  EXPECT_EQ(config->log.format, "json");
}

TEST_F(ConfigTest, EnvironmentOverridesFile) {
  const std::string path = Write("[http]\nbind = \"127.0.0.1:1\"\n[store]\npath = \"a\"\n");
  auto config = LoadConfig(path, {{"FORKLINE_HTTP_BIND", "127.0.0.1:2"},
                                  {"FORKLINE_STORE_PATH", "b"},
                                  {"FORKLINE_WORKFLOWS_DIR", "wf"},
                                  {"FORKLINE_ENGINE_MAX_CONCURRENT_STEPS", "8"},
                                  {"FORKLINE_LOG_FORMAT", "json"},
                                  {"FORKLINE_CONNECT", "tcp://x:1"},  // the CLI's: ignored
                                  {"UNRELATED", "x"}});
  ASSERT_OK(config);
  EXPECT_EQ(config->http.bind, "127.0.0.1:2");
  EXPECT_EQ(config->store.path, "b");
  EXPECT_EQ(config->workflows_dir, "wf");
  EXPECT_EQ(config->engine.max_concurrent_steps, 8u);
  EXPECT_EQ(config->log.format, "json");
}

TEST_F(ConfigTest, EnvironmentListIsCommaSeparated) {
  const std::string a = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID";
  const std::string b = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
  auto config = LoadConfig(
      "", {{"FORKLINE_ZMQ_CURVE_SERVER_SECRET_KEY", "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6"},
           {"FORKLINE_ZMQ_CURVE_SERVER_PUBLIC_KEY", b},
           {"FORKLINE_ZMQ_CURVE_ALLOWED_CLIENT_KEYS", a + ", " + b}});
  ASSERT_OK(config);
  EXPECT_EQ(config->zmq.curve_allowed_client_keys, (std::vector<std::string>{a, b}));
}

TEST_F(ConfigTest, BadEnvironmentValueNamesTheVariable) {
  auto config = LoadConfig("", {{"FORKLINE_HTTP_SSE_KEEPALIVE_S", "15s"}});
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr("FORKLINE_HTTP_SSE_KEEPALIVE_S"));
  config = LoadConfig("", {{"FORKLINE_ENGINE_MAX_CONCURRENT_STEPS", "0"}});
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr("out of range"));
  config = LoadConfig("", {{"FORKLINE_HTTP_BIND", "nowhere"}});
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr("FORKLINE_HTTP_BIND: http.bind"));
  config = LoadConfig("", {{"FORKLINE_STORE_BACKEND", "mysql"}});
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr("store.backend"));
}

TEST_F(ConfigTest, UnknownKeyNamesKeyAndLine) {
  const std::string message = ErrorOf("[http]\nbind = \"127.0.0.1:1\"\nbogus = 1\n");
  EXPECT_THAT(message, HasSubstr("forkline.toml:3:"));
  EXPECT_THAT(message, HasSubstr("http.bogus"));
}

TEST_F(ConfigTest, UnknownSectionAndTopLevelKey) {
  EXPECT_THAT(ErrorOf("\n[nope]\nx = 1\n"), HasSubstr(":2: unknown key \"nope\""));
  EXPECT_THAT(ErrorOf("workflow_dir = \"x\"\n"), HasSubstr(":1: unknown key \"workflow_dir\""));
  EXPECT_THAT(ErrorOf("http = 3\n"), HasSubstr("must be a table"));
}

TEST_F(ConfigTest, WrongTypeNamesKeyAndLine) {
  std::string message = ErrorOf("[http]\n\nsse_keepalive_s = \"fifteen\"\n");
  EXPECT_THAT(message, HasSubstr("forkline.toml:3: http.sse_keepalive_s: expected an integer"));
  message = ErrorOf("[store]\npath = 7\n");
  EXPECT_THAT(message, HasSubstr(":2: store.path: expected a string"));
  message = ErrorOf("[zmq]\ncurve_allowed_client_keys = [\n  \"a\",\n  3,\n]\n");
  EXPECT_THAT(message, HasSubstr(":4: zmq.curve_allowed_client_keys"));
  message = ErrorOf("[engine]\nstep_timeout_s = 1.5\n");
  EXPECT_THAT(message, HasSubstr(":2: engine.step_timeout_s: expected an integer"));
}

TEST_F(ConfigTest, OutOfRangeAndBadChoice) {
  EXPECT_THAT(ErrorOf("[engine]\nmax_concurrent_steps = 0\n"),
              HasSubstr(":2: engine.max_concurrent_steps: 0 is out of range 1..1024"));
  EXPECT_THAT(ErrorOf("[store]\nbackend = \"mysql\"\n"), HasSubstr(":2: store.backend"));
  EXPECT_THAT(ErrorOf("[log]\nlevel = \"loud\"\n"), HasSubstr(":2: log.level"));
  EXPECT_THAT(ErrorOf("[http]\nbind = \"localhost\"\n"),
              HasSubstr(":2: http.bind: \"localhost\" is not host:port"));
  EXPECT_THAT(ErrorOf("[zmq]\nbind = \"127.0.0.1:7710\"\n"), HasSubstr(":2: zmq.bind"));
  EXPECT_THAT(ErrorOf("\n[zmq]\ncurve_allowed_client_keys = [\"nope\"]\n"),
              HasSubstr(":3: zmq.curve_allowed_client_keys: \"nope\" is not a 40-character Z85"));
}

TEST_F(ConfigTest, SyntaxErrorNamesLine) {
  EXPECT_THAT(ErrorOf("[http]\nbind = \n"), HasSubstr("forkline.toml:2:"));
}

TEST_F(ConfigTest, MissingFileIsAnError) {
  auto config = LoadConfig(dir_.Sub("absent.toml"), {});
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr("absent.toml"));
}

TEST_F(ConfigTest, TokenFromEnvironmentVariable) {
  const std::string path = Write("[auth]\ntoken_env = \"MY_TOKEN\"\n");
  auto config = LoadConfig(path, {{"MY_TOKEN", "abc"}});
  ASSERT_OK(config);
  EXPECT_EQ(config->auth.token, "abc");
  config = LoadConfig(path, {});
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr("MY_TOKEN"));
  EXPECT_THAT(ErrorOf("[auth]\ntoken = \"a\"\ntoken_env = \"B\"\n", {{"B", "b"}}),
              HasSubstr("both set"));
}

TEST_F(ConfigTest, PostgresSchemaIsANameOfAtMost63Bytes) {
  const std::string path = Write("[store]\npostgres_schema = \"staging \\\"2\\\"\"\n");
  auto config = LoadConfig(path, {});
  ASSERT_OK(config);
  EXPECT_EQ(config->store.postgres_schema, "staging \"2\"");
  EXPECT_THAT(ErrorOf("[store]\npostgres_schema = \"\"\n"), HasSubstr("store.postgres_schema"));
  EXPECT_THAT(ErrorOf("[store]\npostgres_schema = \"" + std::string(64, 'a') + "\"\n"),
              HasSubstr("1..63 bytes"));
}

TEST_F(ConfigTest, LeaseKeys) {
  auto defaults = LoadConfig("", {});
  ASSERT_OK(defaults);
  EXPECT_EQ(defaults->store.lease_ttl_s, 10u);
  EXPECT_EQ(defaults->store.node_id, "");
  const std::string path = Write("[store]\nnode_id = \"n1\"\nlease_ttl_s = 3\n");
  auto config = LoadConfig(path, {{"FORKLINE_STORE_LEASE_TTL_S", "4"}});
  ASSERT_OK(config);
  EXPECT_EQ(config->store.node_id, "n1");
  EXPECT_EQ(config->store.lease_ttl_s, 4u);
  EXPECT_THAT(ErrorOf("[store]\nlease_ttl_s = 1\n"), HasSubstr("store.lease_ttl_s"));
  EXPECT_THAT(ErrorOf("[store]\nnode_id = \"a\\tb\"\n"), HasSubstr("control characters"));
  EXPECT_THAT(ErrorOf("[store]\nnode_id = \"" + std::string(129, 'n') + "\"\n"),
              HasSubstr("128 bytes"));
}

TEST_F(ConfigTest, InconsistentKeys) {
  EXPECT_THAT(ErrorOf("[store]\nbackend = \"postgres\"\n"), HasSubstr("store.postgres_url"));
  EXPECT_THAT(
      ErrorOf("[zmq]\ncurve_server_public_key = \"rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7\"\n"),
      HasSubstr("set together"));
  EXPECT_THAT(ErrorOf("[zmq]\ncurve_server_secret_key = \"short\"\ncurve_server_public_key = "
                      "\"short\"\n"),
              HasSubstr("Z85"));
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Exposure (issue 8): out of the box both listeners are on loopback, in the compiled-in
// defaults and in the shipped file alike.
TEST_F(ConfigTest, DefaultsListenOnLoopbackOnly) {
  for (const std::string& path :
       {std::string(), std::string(FORKLINE_SOURCE_DIR) + "/config/forkline.toml"}) {
    auto config = LoadConfig(path, {});
    ASSERT_OK(config);
    EXPECT_EQ(config->zmq.bind.rfind("tcp://127.0.0.1:", 0), 0u) << path << config->zmq.bind;
    EXPECT_EQ(config->http.bind.rfind("127.0.0.1:", 0), 0u) << path << config->http.bind;
    EXPECT_TRUE(config->zmq.curve_allowed_client_keys.empty());
  }
}

TEST_F(ConfigTest, HttpHeaderTimeoutAndAllowedHosts) {
  const std::string path = Write(
      "[http]\nheader_timeout_s = 3\nallowed_hosts = [\"forkline.example\", \"[::1]:7711\"]\n");
  auto config = LoadConfig(path, {});
  ASSERT_OK(config);
  EXPECT_EQ(config->http.header_timeout_s, 3u);
  EXPECT_EQ(config->http.allowed_hosts,
            (std::vector<std::string>{"forkline.example", "[::1]:7711"}));
  config = LoadConfig(path, {{"FORKLINE_HTTP_ALLOWED_HOSTS", "a.example, b.example:1"}});
  ASSERT_OK(config);
  EXPECT_EQ(config->http.allowed_hosts, (std::vector<std::string>{"a.example", "b.example:1"}));
  EXPECT_THAT(ErrorOf("[http]\nheader_timeout_s = 0\n"), HasSubstr("http.header_timeout_s"));
  EXPECT_THAT(ErrorOf("[http]\nallowed_hosts = [\"a b\"]\n"), HasSubstr("http.allowed_hosts"));
  EXPECT_THAT(ErrorOf("[http]\nallowed_hosts = \"a.example\"\n"),
              HasSubstr("http.allowed_hosts"));
}

TEST_F(ConfigTest, DefaultConfigFileIsTheDefaults) {
  const std::string path = std::string(FORKLINE_SOURCE_DIR) + "/config/forkline.toml";
  auto config = LoadConfig(path, {});
  ASSERT_OK(config);
  EXPECT_EQ(*config, Config{});
}

// Every "#key = value" line of the default file names a real key with its real default.
TEST_F(ConfigTest, DefaultConfigFileDocumentsRealKeysAndDefaults) {
  const std::string text = ReadFile(std::string(FORKLINE_SOURCE_DIR) + "/config/forkline.toml");
  const std::string uncommented =
      std::regex_replace(text, std::regex("^#([a-z_]+ = )", std::regex::multiline), "$1");
  ASSERT_NE(uncommented, text);
  auto config = LoadConfig(Write(uncommented, "uncommented.toml"), {});
  ASSERT_OK(config);
  EXPECT_EQ(*config, Config{});
  // And every key of Config is documented there.
  for (const char* key : {"workflows_dir",
                          "backend",
                          "path",
                          "postgres_url",
                          "postgres_schema",
                          "bind",
                          "max_message_bytes",
                          "curve_server_secret_key",
                          "curve_server_public_key",
                          "curve_allowed_client_keys",
                          "sse_keepalive_s",
                          "max_body_bytes",
                          "idle_timeout_s",
                          "sse_queue_limit",
                          "header_timeout_s",
                          "allowed_hosts",
                          "web_dir",
                          "token",
                          "token_env",
                          "max_concurrent_steps",
                          "step_timeout_s",
                          "max_output_bytes",
                          "shutdown_grace_s",
                          "idempotency_retention_h",
                          "base_url",
                          "model",
                          "api_key_env",
                          "timeout_s",
                          "level",
                          "format"}) {
    EXPECT_THAT(uncommented, HasSubstr(std::string("\n") + key + " = ")) << key;
  }
}

}  // namespace
}  // namespace forkline
