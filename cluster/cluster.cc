// Cluster entry points called by main(): build the route manager from the
// options and hook it into the server. (Routes land in route_manager.cc.)
#include <string>

#include "core/log.h"
#include "core/server.h"

namespace ringnats::cluster {

bool start_cluster(Server& srv, std::string& err) {
  (void)srv;
  err = "clustering is not supported yet";
  return false;
}

void stop_cluster(Server& srv) { (void)srv; }

}  // namespace ringnats::cluster
