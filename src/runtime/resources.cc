// OCI linux.resources for the cgroup limits of a container (the spec's and
// `runc update --resources`'s shape).
#include <boost/json.hpp>

#include "berth/runtime.h"

namespace berth {

std::string LinuxResourcesJson(const LinuxResourceLimits& r) {
  namespace json = boost::json;
  json::object out;
  json::object memory;
  if (r.memory_limit) memory["limit"] = *r.memory_limit;
  if (r.memory_reservation) memory["reservation"] = *r.memory_reservation;
  if (r.memory_swap) memory["swap"] = *r.memory_swap;
  if (r.memory_swappiness) memory["swappiness"] = *r.memory_swappiness;
  if (r.disable_oom_killer) memory["disableOOMKiller"] = true;
  if (!memory.empty()) out["memory"] = std::move(memory);
  json::object cpu;
  if (r.cpu_shares) cpu["shares"] = *r.cpu_shares;
  if (r.cpu_quota) cpu["quota"] = *r.cpu_quota;
  if (r.cpu_period) cpu["period"] = *r.cpu_period;
  if (!r.cpuset_cpus.empty()) cpu["cpus"] = r.cpuset_cpus;
  if (!r.cpuset_mems.empty()) cpu["mems"] = r.cpuset_mems;
  if (!cpu.empty()) out["cpu"] = std::move(cpu);
  if (r.pids_limit) out["pids"] = json::object{{"limit", *r.pids_limit}};
  if (r.blkio_weight) out["blockIO"] = json::object{{"weight", *r.blkio_weight}};
  return json::serialize(out);
}

}  // namespace berth
