// Lame-duck mode (SIGUSR2 / --signal ldm), as nats-server: stop accepting
// clients, tell the connected ones and every route with an INFO carrying
// "ldm":true (peers then stop offering our client URLs), wait
// the grace period, close the clients spread over the rest of
// lame_duck_duration, then stop. Runs on the control thread.
#pragma once

namespace ringnats {
class Server;
}

namespace ringnats::ops {

// Returns when every client is closed (or the duration is over); the
// caller then stops the server as for SIGTERM.
void lame_duck(Server& srv);

}  // namespace ringnats::ops
