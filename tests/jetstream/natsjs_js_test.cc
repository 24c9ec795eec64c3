// nats.js v3 (@nats-io/jetstream and @nats-io/kv, installed by tools/deps
// into tests/js) against stock nats-server -js and ringnats:
// tests/js/jetstream_client.mjs prints what the client sees of streams,
// acked publishes, pull and ordered consumers and a KV bucket (watch, keys,
// history); both servers must make it print the same lines.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "tests/integration/harness.h"
#include "tests/jetstream/js_harness.h"

namespace itest {
namespace {

const std::string kJsDir = RINGNATS_JS_DIR;

std::string run_client(const std::string& bin) {
  StoreDir dir;
  ServerProcess srv;
  std::string err, out;
  EXPECT_TRUE(srv.start(bin, 2, {"-js", "-sd", dir.path}, &err)) << err;
  const std::string cmd =
      "cd " + kJsDir + " && timeout 60 node jetstream_client.mjs " + std::to_string(srv.port()) + " 2>&1";
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    pclose(p);
  }
  srv.stop();
  return out;
}

TEST(NatsJsJetStream, StreamsConsumersAndKvAsNatsServer) {
  struct stat st;
  ASSERT_EQ(stat((kJsDir + "/node_modules/@nats-io/jetstream/package.json").c_str(), &st), 0)
      << "@nats-io/jetstream is not installed in " << kJsDir << " (tools/deps installs it)";
  const std::string stock = run_client(stock_bin());
  ASSERT_NE(stock.find("kv after delete"), std::string::npos) << stock;
  ASSERT_EQ(stock.find("\nerror "), std::string::npos) << stock;
  EXPECT_EQ(run_client(ringnats_bin()), stock);
}

}  // namespace
}  // namespace itest
