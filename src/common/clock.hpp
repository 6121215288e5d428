#pragma once

#include <string>

namespace marquee {

/// The current UTC time as ISO 8601 with milliseconds ("2026-11-27T07:01:42.123Z").
std::string utc_now_iso8601();
/// A compact UTC stamp for names ("20261127T070142Z").
std::string utc_now_compact();

}  // namespace marquee
