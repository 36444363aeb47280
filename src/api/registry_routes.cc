// Registry routes: POST /images/create (pull), POST /images/{name}/push and
// berth's /berth/v1/registry extension.

#include "api/router.h"

namespace berth::api {

void AddRegistryRoutes(Router* r) {}

}  // namespace berth::api
