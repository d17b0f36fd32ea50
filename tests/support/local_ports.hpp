// Ports on 127.0.0.1 for the servers the tests start (smbd, nats-server).
#pragma once

namespace nas_sync::test {

// A free TCP port on 127.0.0.1 (free when asked; taken by whoever binds it first).
int free_port();

// A socket connected to 127.0.0.1:port, or -1 when nothing listens there.
// The caller closes it.
int connect_local(int port);

}  // namespace nas_sync::test
