// Config reload (SIGHUP), as nats-server 2.9 does it: parse the command line
// and config file again, refuse the whole reload if anything that cannot
// change at run time changed, else apply the rest and log each change.
// Runs on the control thread; the options reach the shards through
// Server::replace_options.
#pragma once

#include <string>
#include <vector>

#include "config/options.h"

namespace ringnats {
class Server;
}

namespace ringnats::ops {

// What changed between `old` and `next`: the "Reloaded: ..." texts for what
// may change, or in `refused` nats' error for the first that may not.
std::vector<std::string> reload_changes(const Options& old, const Options& next, std::string& refused);

// Re-reads argv (flags and -c file) and applies it. False with `err` set to
// the text after "Failed to reload server configuration: ".
bool reload(Server& srv, int argc, char** argv, std::string& err);

}  // namespace ringnats::ops
