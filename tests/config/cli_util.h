// Helpers for tests of the command line: run parse_cli on an argument list
// and keep both the result and the Options it filled.
#pragma once

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <initializer_list>
#include <sstream>
#include <string>
#include <vector>

#include "config/flags.h"

namespace ringnats::testing {

struct CliRun {
  CliResult res;
  Options opts;
};

inline CliRun cli(std::initializer_list<std::string> args) {
  std::vector<std::string> store{"ringnats"};
  store.insert(store.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : store) argv.push_back(s.data());
  argv.push_back(nullptr);
  CliRun r;
  r.res = parse_cli(static_cast<int>(store.size()), argv.data(), r.opts);
  return r;
}

// Expects the server to start; returns the run for its Options.
inline CliRun ok(std::initializer_list<std::string> args) {
  CliRun r = cli(args);
  EXPECT_EQ(r.res.action, CliAction::Run) << r.res.err << r.res.out;
  return r;
}

// Expects exit status 1; returns what goes to stderr.
inline std::string error_of(std::initializer_list<std::string> args) {
  CliRun r = cli(args);
  EXPECT_EQ(r.res.action, CliAction::Error);
  EXPECT_EQ(r.res.exit_code, 1);
  return r.res.err;
}

// nats reports map keys in random order: an error output's lines as a
// sorted list, the program-name prefix of the first noted apart.
inline std::vector<std::string> error_lines(std::string s) {
  std::vector<std::string> out;
  if (s.rfind("ringnats: ", 0) == 0) {
    out.push_back("(prefixed)");
    s.erase(0, 10);
  }
  std::stringstream ss(s);
  std::string l;
  while (std::getline(ss, l)) out.push_back(l);
  std::sort(out.begin(), out.end());
  return out;
}

// Checks config file `name` in `dir` with `-c name -t`, from inside `dir`
// as nats-server was run (relative includes resolve there), and expects
// nats' verdict and lines (its program name read as ours).
inline void expect_check_like_nats(const std::string& dir, const std::string& name, const std::string& text,
                                   int nats_status, std::string nats_err) {
  std::string cwd_save(4096, '\0');
  ASSERT_NE(getcwd(cwd_save.data(), cwd_save.size()), nullptr);
  ASSERT_EQ(chdir(dir.c_str()), 0);
  CliRun got = cli({"-c", name, "-t"});
  ASSERT_EQ(chdir(cwd_save.c_str()), 0);
  for (size_t p; (p = nats_err.find("nats-server: ")) != std::string::npos;) nats_err.replace(p, 13, "ringnats: ");
  int got_status = got.res.action == CliAction::Error ? 1 : 0;
  EXPECT_EQ(got_status, nats_status) << text << "\nnats: " << nats_err << "\nours: " << got.res.err;
  EXPECT_EQ(error_lines(got.res.err), error_lines(nats_err))
      << text << "\nnats: " << nats_err << "\nours: " << got.res.err;
}

}  // namespace ringnats::testing
