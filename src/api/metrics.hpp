#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "store/store.hpp"

namespace marquee::api {

/// What `serve` has answered, for Prometheus (`GET /metrics`, text format 0.0.4): requests by
/// route template (never the raw path, so that the series stay few) and status code, and their
/// latency as a histogram per route.
class RequestMetrics {
 public:
  static constexpr std::array<double, 12> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,   0.25,   0.5,   1,    2.5,   10};

  void observe(const std::string& route, int status, double seconds);
  /// The request counters and histograms in the Prometheus text format.
  std::string render() const;

 private:
  struct Latency {
    std::array<std::uint64_t, kBuckets.size()> buckets{};  ///< not cumulative here
    std::uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, std::uint64_t> requests_;
  std::map<std::string, Latency> latency_;
};

/// The gauges read from the database at each scrape: batches by status, movies loaded, and the
/// time the last batch was loaded (the one to alert on when it grows stale).
std::string database_metrics(store::Store& store);

}  // namespace marquee::api
