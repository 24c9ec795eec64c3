// Prometheus text checked by the reference parser: python3's prometheus_client
// (Debian's python3-prometheus-client), run as a subprocess. Each sample
// comes back as one line "<type> <name> <k=v,...> <value>".
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "tests/integration/harness.h"

namespace promtest {

// Debian's interpreter, where python3-prometheus-client installs (a python3
// earlier on PATH, e.g. pyenv's, may not see it).
inline std::string python() {
  return access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
}

inline bool parser_available() {
  return itest::run_shell(python() + " -c 'import prometheus_client' 2>&1; echo rc=$?").find("rc=0") !=
         std::string::npos;
}

// False when the parser rejects `text`; `out` then holds its error.
inline bool parse(const std::string& text, std::string& out) {
  char path[] = "/tmp/ringnats_metrics_XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) return false;
  close(fd);
  { std::ofstream(path) << text; }
  std::string script = std::string(path) + ".py";
  {
    std::ofstream(script) << "import sys\n"
                             "from prometheus_client.parser import text_string_to_metric_families as p\n"
                             "for f in p(open(sys.argv[1]).read()):\n"
                             "  for s in f.samples:\n"
                             "    print(f.type, s.name, ','.join('%s=%s' % kv for kv in sorted(s.labels.items())), "
                             "repr(s.value))\n";
  }
  out = itest::run_shell("timeout 60 " + python() + " " + script + " " + path + " 2>&1; echo rc=$?");
  unlink(path);
  unlink(script.c_str());
  return out.find("rc=0") != std::string::npos;
}

}  // namespace promtest
