#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace marquee::report {

/// An exact integer wider than any 64-bit column: SPEC 5's totals of any size. 128 bits hold the
/// sum of 2^64 values of ±2^63, far beyond any table a database here can hold.
using Wide = __int128;

/// Parses an optionally signed decimal integer of any length that fits 128 bits; nullopt when it
/// is not one (empty, a fraction, or too long).
std::optional<Wide> parse_wide(std::string_view text);

/// `value` in plain decimal, as SPEC 5 writes integers.
std::string to_decimal(Wide value);

/// A sum split by the report SQL into a part of whole billions and a remainder (SUM(x / 10^9)
/// and SUM(x % 10^9)), so that neither part overflows 64 bits, combined exactly.
Wide combine_split_sum(Wide billions, Wide units);

/// The mean sum / count rounded half to even to a whole number (count > 0).
Wide rounded_mean(Wide sum, Wide count);

/// A value in millionths with exactly six digits after the point ("-0.500000").
std::string micros_to_decimal(Wide micros);

/// A value in units of 10^-decimals with exactly `decimals` digits after the point (1 to 18):
/// fixed_point_to_decimal(35000, 4) is "3.5000".
std::string fixed_point_to_decimal(Wide value, int decimals);

}  // namespace marquee::report
