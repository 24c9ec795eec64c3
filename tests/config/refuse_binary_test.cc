// The real ringnats binary with options it must refuse: it exits 1 before
// listening, with the location and reason on stderr; an option it may ignore
// starts it with a warning in the log.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/config/test_util.h"

using ringnats::testing::TempDir;

namespace {

const char* binary() {
  if (const char* e = std::getenv("RINGNATS_BIN"); e && *e) return e;
  return RINGNATS_BIN;
}

struct Exit {
  int status = -1;  // exit code; -1 when killed or still running at the deadline
  std::string err;  // stderr
};

// Runs the binary with args; kills it (status -1) after `limit`, or sends
// SIGTERM after `limit` when `stop` is set and collects the normal exit.
Exit run(const std::vector<std::string>& args, std::chrono::milliseconds limit, bool stop = false) {
  int pipefd[2];
  if (pipe(pipefd) != 0) return {};
  pid_t pid = fork();
  if (pid == 0) {
    dup2(pipefd[1], 2);
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    close(pipefd[0]);
    std::vector<char*> argv{const_cast<char*>(binary())};
    for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(binary(), argv.data());
    _exit(127);
  }
  close(pipefd[1]);
  fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
  Exit e;
  auto deadline = std::chrono::steady_clock::now() + limit;
  int st = 0;
  bool signalled = false;
  for (;;) {
    char buf[4096];
    ssize_t n;
    while ((n = read(pipefd[0], buf, sizeof buf)) > 0) e.err.append(buf, static_cast<size_t>(n));
    pid_t w = waitpid(pid, &st, WNOHANG);
    if (w == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      if (stop && !signalled) {
        kill(pid, SIGTERM);
        signalled = true;
        deadline += std::chrono::seconds(5);
        continue;
      }
      kill(pid, SIGKILL);
      waitpid(pid, &st, 0);
      close(pipefd[0]);
      return e;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  char buf[4096];
  ssize_t n;
  while ((n = read(pipefd[0], buf, sizeof buf)) > 0) e.err.append(buf, static_cast<size_t>(n));
  close(pipefd[0]);
  if (WIFEXITED(st)) e.status = WEXITSTATUS(st);
  return e;
}

TEST(RefuseBinary, AccountsBlockStopsTheServer) {
  TempDir dir;
  std::string f = dir.write("accounts.conf", "port: -1\naccounts {}\n");
  Exit e = run({"-c", f}, std::chrono::seconds(10));
  EXPECT_EQ(e.status, 1) << e.err;
  EXPECT_EQ(e.err, "ringnats: " + f +
                       ":2:1: \"accounts\" is not supported by ringnats: every client would share one account and "
                       "see every other account's subjects\n\n");
  EXPECT_EQ(e.err.find("Listening"), std::string::npos);
  // The same under -t.
  Exit t = run({"-c", f, "-t"}, std::chrono::seconds(10));
  EXPECT_EQ(t.status, 1);
  EXPECT_EQ(t.err, e.err);
}

TEST(RefuseBinary, OtherRefusalsStopTheServer) {
  TempDir dir;
  struct Case {
    std::vector<std::string> args;
    std::string expect;  // a part of stderr
  } cases[] = {
      {{"-c", dir.write("users.conf", "port: -1\nauthorization { users: [ {user: a, password: b} ] }\n")},
       ":2:17: \"authorization.users\" is not supported by ringnats"},
      {{"-c", dir.write("tls.conf", "port: -1\ntls { cert_file: c, key_file: k }\n")},
       ":2:1: \"tls\" is not supported by ringnats"},
      {{"-c", dir.write("leaf.conf", "port: -1\nleafnodes { port: -1, authorization { user: a, password: b } }\n")},
       ":2:23: \"leafnodes.authorization\" is not supported by ringnats"},
      {{"-c", dir.write("op.conf", "port: -1\noperator: /tmp/op.jwt\n")},
       ":2:1: \"operator\" is not supported by ringnats"},
      {{"-p", "-1", "--tlscert", "c.pem", "--tlskey", "k.pem"},
       "ringnats: --tlscert is not supported by ringnats"},
  };
  for (const Case& c : cases) {
    Exit e = run(c.args, std::chrono::seconds(10));
    EXPECT_EQ(e.status, 1) << c.expect << "\n" << e.err;
    EXPECT_NE(e.err.find(c.expect), std::string::npos) << e.err;
  }
}

TEST(RefuseBinary, IgnoredOptionStartsWithAWarning) {
  TempDir dir;
  std::string f = dir.write("js.conf", "port: -1\njetstream { store_dir: /tmp/x }\n");
  Exit e = run({"-c", f, "--shards", "1"}, std::chrono::milliseconds(1500), /*stop=*/true);
  EXPECT_EQ(e.status, 0) << e.err;
  EXPECT_NE(e.err.find("Option jetstream is not supported by ringnats, ignored"), std::string::npos) << e.err;
  EXPECT_NE(e.err.find("Server is ready"), std::string::npos) << e.err;
}

}  // namespace
