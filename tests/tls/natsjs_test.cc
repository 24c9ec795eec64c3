// nats.js (the npm "nats" client, installed by tools/deps into tests/js)
// over TLS against stock nats-server and ringnats with one config: logins to
// two accounts, a stream and a service import between them, a permissions
// violation, a wrong password. tests/js/secure_client.mjs prints what the
// client sees; both servers must make it print the same lines.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <sys/stat.h>

#include "tests/integration/harness.h"

namespace itest {
namespace {

const std::string kJsDir = RINGNATS_JS_DIR;

std::string config(const TestCerts& c) {
  return "tls { cert_file: \"" + c.server_cert() + "\", key_file: \"" + c.server_key() + "\", ca_file: \"" +
         c.ca() + "\" }\n" + R"(
accounts {
  A: {
    users: [ {user: a, password: pa}, {user: limited, password: pl, permissions: {publish: "pub.>"}} ]
    exports: [ {stream: "pub.>"}, {service: "svc.>"} ]
  }
  B: {
    users: [ {user: b, password: pb} ]
    imports: [ {stream: {account: A, subject: "pub.>"}, prefix: "fromA"},
               {service: {account: A, subject: "svc.echo"}, to: "echo"} ]
  }
}
)";
}

// Runs the client against `bin`; its stdout.
std::string run_client(const std::string& bin, const TestCerts& certs) {
  TempConfig conf(config(certs));
  ServerProcess srv;
  std::string err;
  EXPECT_TRUE(srv.start(bin, 2, {"-c", conf.path()}, &err)) << err;
  const std::string cmd = "timeout 30 node " + kJsDir + "/secure_client.mjs " + std::to_string(srv.port()) + " " +
                          certs.ca() + " " + certs.client_cert() + " " + certs.client_key() + " 2>&1";
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    pclose(p);
  }
  return out;
}

TEST(NatsJs, TlsAccountsAndPermissionsAsNatsServer) {
  struct stat st;
  ASSERT_EQ(stat((kJsDir + "/node_modules/nats/package.json").c_str(), &st), 0)
      << "nats.js is not installed in " << kJsDir << " (tools/deps installs it)";
  TestCerts certs;
  ASSERT_TRUE(certs.ok());
  const std::string stock = run_client(stock_bin(), certs);
  const std::string ours = run_client(ringnats_bin(), certs);
  EXPECT_EQ(stock,
            "connected tls_required=true auth_required=true\n"
            "B request echo -> echo:ping\n"
            "B got _INBOX.* echo:ping\n"
            "B got echo ping\n"
            "B got fromA.pub.news hello\n"
            "limited errors: PERMISSIONS_VIOLATION\n"
            "wrong password: AUTHORIZATION_VIOLATION\n"
            "done\n");
  EXPECT_EQ(ours, stock);
}

}  // namespace
}  // namespace itest
