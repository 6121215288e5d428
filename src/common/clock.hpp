#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace marquee {

/// The current UTC time as ISO 8601 with milliseconds ("2026-11-27T07:01:42.123Z").
std::string utc_now_iso8601();
/// A compact UTC stamp for names ("20261127T070142Z").
std::string utc_now_compact();
/// A timestamp in the one form that orders as text: "YYYY-MM-DDTHH:MM:SS.mmmZ" in UTC. Reads
/// "YYYY-MM-DD", "YYYY-MM-DDTHH:MM", with seconds and a fraction optional, 'T' or a space, and
/// "Z", "+HH:MM", "-HHMM" or nothing (UTC) at the end. nullopt for anything else or an invalid
/// date ("2025-02-30").
std::optional<std::string> normalize_utc_timestamp(std::string_view text);
/// Seconds since the epoch of a time normalize_utc_timestamp reads; 0 when it reads none.
double utc_epoch_seconds(std::string_view iso8601);
/// The wall time since `started`, in seconds: what the logs and the run summary give for a step.
inline double seconds_since(std::chrono::steady_clock::time_point started) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
}

}  // namespace marquee
