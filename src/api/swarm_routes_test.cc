// The swarm routes answer as a dockerd that is in no swarm.
#include <gtest/gtest.h>

#include "api/api_test_util.h"

namespace berth::api {
namespace {

class SwarmRoutesTest : public RouteTestBase {};

constexpr const char* kNotManager =
    "This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to connect this node to "
    "swarm and try again.";

TEST_F(SwarmRoutesTest, ManagerRequestsAre503WithDockersText) {
  for (const auto& [method, target] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/v1.50/swarm"},
           {"GET", "/v1.50/nodes"},
           {"GET", "/v1.50/nodes/abc"},
           {"DELETE", "/v1.50/nodes/abc"},
           {"GET", "/v1.50/services?filters=%7B%7D"},
           {"POST", "/v1.50/services/create"},
           {"GET", "/v1.50/services/web/logs"},
           {"GET", "/v1.50/tasks"},
           {"GET", "/v1.50/secrets"},
           {"POST", "/v1.50/secrets/create"},
           {"DELETE", "/v1.50/configs/x"},
           {"POST", "/v1.50/swarm/update?version=1"},
           {"POST", "/v1.50/swarm/unlock"},
           {"GET", "/v1.50/swarm/unlockkey"},
       }) {
    Response r = Do(method, target, method == "POST" ? "{}" : "");
    EXPECT_EQ(r.status, 503) << method << " " << target;
    EXPECT_EQ(Message(r), kNotManager) << method << " " << target;
  }
}

TEST_F(SwarmRoutesTest, LeaveSaysNotPartOfASwarm) {
  Response r = Do("POST", "/v1.50/swarm/leave?force=1");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(Message(r), "This node is not part of a swarm");
}

TEST_F(SwarmRoutesTest, InitAndJoinAreRefusedByName) {
  for (const char* target : {"/v1.50/swarm/init", "/v1.50/swarm/join"}) {
    Response r = Do("POST", target, R"({"ListenAddr":"0.0.0.0:2377"})");
    EXPECT_EQ(r.status, 501) << target;
    EXPECT_NE(Message(r).find("does not support swarm mode"), std::string::npos) << Message(r);
  }
}

TEST_F(SwarmRoutesTest, UnknownSwarmPathsStay404) { EXPECT_EQ(Do("GET", "/v1.50/swarm/bogus").status, 404); }

}  // namespace
}  // namespace berth::api
