// Metrics on top of prometheus-cpp. prometheus-cpp is internally locked, so
// no extra mutex is needed; its exceptions (invalid names) are caught here.

#include <memory>
#include <sstream>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "berth/metrics.h"

namespace berth {

namespace {

// Durations from a millisecond to a minute.
const prometheus::Histogram::BucketBoundaries& DurationBuckets() {
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  return kBuckets;
}

}  // namespace

struct Metrics::Impl {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();

  prometheus::Family<prometheus::Histogram>& image_seconds =
      prometheus::BuildHistogram()
          .Name("berth_image_actions_seconds")
          .Help("The number of seconds it takes to process each image action")
          .Register(*registry);
  prometheus::Family<prometheus::Counter>& image_total =
      prometheus::BuildCounter()
          .Name("berth_image_actions_total")
          .Help("The number of image actions performed")
          .Register(*registry);
  prometheus::Counter& gc_runs = prometheus::BuildCounter()
                                     .Name("berth_gc_runs_total")
                                     .Help("The number of garbage collection runs")
                                     .Register(*registry)
                                     .Add({});
  prometheus::Counter& gc_blobs = prometheus::BuildCounter()
                                      .Name("berth_gc_blobs_freed_total")
                                      .Help("The number of blobs removed by garbage collection")
                                      .Register(*registry)
                                      .Add({});
  prometheus::Counter& gc_bytes = prometheus::BuildCounter()
                                      .Name("berth_gc_bytes_freed_total")
                                      .Help("The number of bytes freed by garbage collection")
                                      .Register(*registry)
                                      .Add({});
  prometheus::Family<prometheus::Counter>& http_total =
      prometheus::BuildCounter()
          .Name("berth_http_requests_total")
          .Help("The number of HTTP requests served, by endpoint and status")
          .Register(*registry);
  prometheus::Family<prometheus::Histogram>& http_seconds =
      prometheus::BuildHistogram()
          .Name("berth_http_request_seconds")
          .Help("The number of seconds it takes to serve each HTTP request")
          .Register(*registry);
};

Metrics::Metrics() : impl_(std::make_unique<Impl>()) {}

Metrics::~Metrics() = default;

void Metrics::ObserveImageAction(const std::string& action, double seconds) {
  try {
    impl_->image_seconds.Add({{"action", action}}, DurationBuckets()).Observe(seconds);
    impl_->image_total.Add({{"action", action}}).Increment();
  } catch (const std::exception&) {
    // Label values are free-form; nothing reachable throws, but never leak.
  }
}

void Metrics::ObserveGc(uint64_t blobs_freed, uint64_t bytes_freed) {
  impl_->gc_runs.Increment();
  impl_->gc_blobs.Increment(static_cast<double>(blobs_freed));
  impl_->gc_bytes.Increment(static_cast<double>(bytes_freed));
}

void Metrics::ObserveRequest(const std::string& endpoint, int status, double seconds) {
  try {
    impl_->http_total.Add({{"endpoint", endpoint}, {"status", std::to_string(status)}})
        .Increment();
    impl_->http_seconds.Add({{"endpoint", endpoint}}, DurationBuckets()).Observe(seconds);
  } catch (const std::exception&) {
  }
}

std::string Metrics::Serialize() const {
  try {
    std::ostringstream out;
    prometheus::TextSerializer().Serialize(out, impl_->registry->Collect());
    return out.str();
  } catch (const std::exception&) {
    return std::string();
  }
}

double Metrics::ImageActionCount(const std::string& action) const {
  const prometheus::Labels labels = {{"action", action}};
  if (!impl_->image_total.Has(labels)) return 0;
  try {
    return impl_->image_total.Add(labels).Value();
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace berth
