// Legacy links' environment and /etc/hosts entry, against what Docker's
// links package produces for the same child.
#include <gtest/gtest.h>

#include "container/internal.h"

namespace berth::container {
namespace {

LinkedChild Child() {
  LinkedChild c;
  c.link_name = "/app/my-db";
  c.alias = "my-db";
  c.name = "db-1";
  c.hostname = "0123456789ab";
  c.ip = "172.17.0.2";
  c.env = {"PATH=/usr/bin", "FOO=1", "HOME=/root", "EMPTY=", "BARE"};
  return c;
}

TEST(LegacyLinkEnvTest, PortsRunsNameAndEnvironmentInDockersOrder) {
  LinkedChild c = Child();
  c.ports = {{8001, "udp"}, {5432, "tcp"}, {8000, "udp"}, {8005, "udp"}};
  const std::vector<std::string> want = {
      "MY_DB_PORT=tcp://172.17.0.2:5432",
      "MY_DB_PORT_5432_TCP=tcp://172.17.0.2:5432",
      "MY_DB_PORT_5432_TCP_ADDR=172.17.0.2",
      "MY_DB_PORT_5432_TCP_PORT=5432",
      "MY_DB_PORT_5432_TCP_PROTO=tcp",
      "MY_DB_PORT_8000_UDP=udp://172.17.0.2:8000",
      "MY_DB_PORT_8000_UDP_ADDR=172.17.0.2",
      "MY_DB_PORT_8000_UDP_PORT=8000",
      "MY_DB_PORT_8000_UDP_PROTO=udp",
      "MY_DB_PORT_8001_UDP=udp://172.17.0.2:8001",
      "MY_DB_PORT_8001_UDP_ADDR=172.17.0.2",
      "MY_DB_PORT_8001_UDP_PORT=8001",
      "MY_DB_PORT_8001_UDP_PROTO=udp",
      // The run 8000-8001 ends at 8005: its variables come after 8005's four.
      "MY_DB_PORT_8005_UDP=udp://172.17.0.2:8005",
      "MY_DB_PORT_8005_UDP_ADDR=172.17.0.2",
      "MY_DB_PORT_8005_UDP_PORT=8005",
      "MY_DB_PORT_8005_UDP_PROTO=udp",
      "MY_DB_PORT_8000_UDP_START=udp://172.17.0.2:8000",
      "MY_DB_PORT_8000_UDP_PORT_START=8000",
      "MY_DB_PORT_8000_UDP_END=udp://172.17.0.2:8001",
      "MY_DB_PORT_8000_UDP_PORT_END=8001",
      "MY_DB_NAME=/app/my-db",
      "MY_DB_ENV_FOO=1",
      "MY_DB_ENV_EMPTY=",
  };
  EXPECT_EQ(LegacyLinkEnv(c), want);
}

TEST(LegacyLinkEnvTest, ARunAtTheEndAndNoPorts) {
  LinkedChild c = Child();
  c.ports = {{80, "tcp"}, {81, "tcp"}};
  std::vector<std::string> env = LegacyLinkEnv(c);
  ASSERT_GE(env.size(), 13u);
  EXPECT_EQ(env[0], "MY_DB_PORT=tcp://172.17.0.2:80");
  EXPECT_EQ(env[9], "MY_DB_PORT_80_TCP_START=tcp://172.17.0.2:80");
  EXPECT_EQ(env[12], "MY_DB_PORT_80_TCP_PORT_END=81");
  c.ports.clear();
  EXPECT_EQ(LegacyLinkEnv(c),
            (std::vector<std::string>{"MY_DB_NAME=/app/my-db", "MY_DB_ENV_FOO=1", "MY_DB_ENV_EMPTY="}));
}

TEST(LegacyLinkEnvTest, HostsEntryNamesTheAliasHostnameAndName) {
  LinkedChild c = Child();
  EXPECT_EQ(LegacyLinkHostsEntry(c), "my-db 0123456789ab db-1:172.17.0.2");
  c.alias = "db-1";
  EXPECT_EQ(LegacyLinkHostsEntry(c), "db-1 0123456789ab:172.17.0.2");
}

}  // namespace
}  // namespace berth::container
