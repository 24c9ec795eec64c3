// Helpers for the config tests: a scratch directory that cleans itself up
// and small file writers, so each test builds the files it reads.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace ringnats::testing {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/ringnats-conf-XXXXXX";
    char* p = mkdtemp(tmpl);
    path_ = p ? p : "/tmp";
  }
  ~TempDir() {
    std::string cmd = "rm -rf '" + path_ + "'";
    if (path_.rfind("/tmp/ringnats-conf-", 0) == 0) (void)std::system(cmd.c_str());
  }
  const std::string& path() const { return path_; }
  // Writes `text` to dir/name (creating sub-directories) and returns the full path.
  std::string write(const std::string& name, const std::string& text) const {
    std::string full = path_ + "/" + name;
    size_t slash = full.rfind('/');
    std::string mk = "mkdir -p '" + full.substr(0, slash) + "'";
    (void)std::system(mk.c_str());
    std::ofstream f(full, std::ios::binary);
    f << text;
    return full;
  }

 private:
  std::string path_;
};

inline std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

struct Exit {
  int status = -1;  // exit code; -1 when killed or still running at the deadline
  std::string err;  // stderr
};

// Runs `bin args...` in `cwd` with stdout discarded and stderr collected.
// Past `limit` it is killed (status -1), or, with `stop`, sent SIGTERM and
// given 5 s more to exit normally.
inline Exit run_binary(const char* bin, const std::vector<std::string>& args, const std::string& cwd,
                       std::chrono::milliseconds limit, bool stop = false) {
  int pipefd[2];
  if (pipe(pipefd) != 0) return {};
  pid_t pid = fork();
  if (pid == 0) {
    dup2(pipefd[1], 2);
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    close(pipefd[0]);
    if (chdir(cwd.c_str()) != 0) _exit(127);
    std::vector<char*> argv{const_cast<char*>(bin)};
    for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(bin, argv.data());
    _exit(127);
  }
  close(pipefd[1]);
  fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
  Exit e;
  auto drain = [&] {
    char buf[4096];
    ssize_t n;
    while ((n = read(pipefd[0], buf, sizeof buf)) > 0) e.err.append(buf, static_cast<size_t>(n));
  };
  auto deadline = std::chrono::steady_clock::now() + limit;
  int st = 0;
  bool signalled = false;
  for (;;) {
    drain();
    if (waitpid(pid, &st, WNOHANG) == pid) break;
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
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // bounded poll for the exit
  }
  drain();
  close(pipefd[0]);
  if (WIFEXITED(st)) e.status = WEXITSTATUS(st);
  return e;
}

}  // namespace ringnats::testing
