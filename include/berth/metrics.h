// The daemon's metrics registry: counters and histograms of image actions,
// garbage collection and HTTP requests, exposed in Prometheus text format.
//
// Thread-safety: Metrics is thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace berth {

// Prometheus metrics (prometheus-cpp). Names:
//   berth_image_actions_seconds{action}        histogram (Docker's image_actions)
//   berth_image_actions_total{action}          counter
//   berth_gc_runs_total, berth_gc_blobs_freed_total, berth_gc_bytes_freed_total
//   berth_http_requests_total{endpoint,status}, berth_http_request_seconds{endpoint}
class Metrics {
 public:
  Metrics();
  ~Metrics();
  void ObserveImageAction(const std::string& action, double seconds);
  void ObserveGc(uint64_t blobs_freed, uint64_t bytes_freed);
  void ObserveRequest(const std::string& endpoint, int status, double seconds);
  // Prometheus text exposition of every metric.
  std::string Serialize() const;
  // For tests: current count of an image action.
  double ImageActionCount(const std::string& action) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth
