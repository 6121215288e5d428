#include "api/metrics.hpp"

#include <ctime>

#include <fmt/format.h>

#include "common/clock.hpp"
#include "common/prometheus.hpp"

namespace marquee::api {

void RequestMetrics::observe(const std::string& route, int status, double seconds) {
  std::lock_guard lock(mutex_);
  ++requests_[{route, status}];
  Latency& latency = latency_[route];
  ++latency.count;
  latency.sum += seconds;
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) {
      ++latency.buckets[i];
      break;
    }
  }
}

std::string RequestMetrics::render() const {
  std::lock_guard lock(mutex_);
  std::string out =
      "# HELP marquee_http_requests_total HTTP requests answered, by route template and status.\n"
      "# TYPE marquee_http_requests_total counter\n";
  for (const auto& [key, count] : requests_) {
    out += fmt::format("marquee_http_requests_total{{route=\"{}\",code=\"{}\"}} {}\n",
                       prometheus_label(key.first), key.second, count);
  }
  out +=
      "# HELP marquee_http_request_duration_seconds Time from the request's first byte to its "
      "answer.\n"
      "# TYPE marquee_http_request_duration_seconds histogram\n";
  for (const auto& [route, latency] : latency_) {
    std::string label = prometheus_label(route);
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
      cumulative += latency.buckets[i];
      out +=
          fmt::format("marquee_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n",
                      label, kBuckets[i], cumulative);
    }
    out +=
        fmt::format("marquee_http_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n",
                    label, latency.count);
    out += fmt::format("marquee_http_request_duration_seconds_sum{{route=\"{}\"}} {:.6f}\n", label,
                       latency.sum);
    out += fmt::format("marquee_http_request_duration_seconds_count{{route=\"{}\"}} {}\n", label,
                       latency.count);
  }
  return out;
}

std::string database_metrics(store::Store& store) {
  std::map<std::string, std::uint64_t> batches = {{"loaded", 0}, {"failed", 0}, {"started", 0}};
  std::string last_loaded, last_data_time;
  for (const auto& b : store.batches()) {
    ++batches[b.status];
    if (b.status == "loaded") {
      last_loaded = std::max(last_loaded, b.finished_at);
      last_data_time = std::max(last_data_time, b.source.data_time);
    }
  }
  std::uint64_t movies = 0;
  store.query("SELECT COUNT(*) FROM movie", {},
              [&](const std::vector<std::string>&, const std::vector<store::Cell>& row) {
                movies = row[0] ? std::stoull(*row[0]) : 0;
              });
  std::string out =
      "# HELP marquee_batches Batches in ingest_batch, by status.\n"
      "# TYPE marquee_batches gauge\n";
  for (const auto& [status, count] : batches) {
    out += fmt::format("marquee_batches{{status=\"{}\"}} {}\n", prometheus_label(status), count);
  }
  out += fmt::format(
      "# HELP marquee_movies Movies in the model.\n"
      "# TYPE marquee_movies gauge\n"
      "marquee_movies {}\n"
      "# HELP marquee_last_batch_loaded_timestamp_seconds When the last batch committed (0: "
      "none).\n"
      "# TYPE marquee_last_batch_loaded_timestamp_seconds gauge\n"
      "marquee_last_batch_loaded_timestamp_seconds {:.3f}\n"
      "# HELP marquee_last_batch_data_timestamp_seconds The newest data time loaded (0: none).\n"
      "# TYPE marquee_last_batch_data_timestamp_seconds gauge\n"
      "marquee_last_batch_data_timestamp_seconds {:.3f}\n",
      movies, utc_epoch_seconds(last_loaded), utc_epoch_seconds(last_data_time));
  return out;
}

}  // namespace marquee::api
