// Helpers for tests of the command line: run parse_cli on an argument list
// and keep both the result and the Options it filled.
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
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

}  // namespace ringnats::testing
