// Container routes (POST /containers/create, start, stop, ...): see
// AddContainerRoutes.

#include "api/router.h"

namespace berth::api {

void AddContainerRoutes(Router* r) {}

}  // namespace berth::api
