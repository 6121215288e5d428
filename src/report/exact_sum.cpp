#include "report/exact_sum.hpp"

#include <algorithm>

namespace marquee::report {
namespace {

constexpr Wide kBillion = 1'000'000'000;

Wide magnitude(Wide v) {
  return v < 0 ? -v : v;
}

}  // namespace

std::optional<Wide> parse_wide(std::string_view text) {
  bool negative = false;
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  // 38 digits always fit in 127 bits; longer sums cannot come out of a database here.
  if (text.empty() || text.size() > 38) return std::nullopt;
  Wide value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return negative ? -value : value;
}

std::string to_decimal(Wide value) {
  if (value == 0) return "0";
  std::string out;
  Wide rest = magnitude(value);
  while (rest > 0) {
    out.push_back(static_cast<char>('0' + static_cast<int>(rest % 10)));
    rest /= 10;
  }
  if (value < 0) out.push_back('-');
  std::reverse(out.begin(), out.end());
  return out;
}

Wide combine_split_sum(Wide billions, Wide units) {
  return billions * kBillion + units;
}

Wide rounded_mean(Wide sum, Wide count) {
  Wide q = sum / count;  // truncates toward zero
  Wide r = sum % count;  // has the sign of sum
  Wide twice = 2 * magnitude(r);
  if (twice > count || (twice == count && q % 2 != 0)) q += sum < 0 ? -1 : 1;
  return q;
}

std::string fixed_point_to_decimal(Wide value, int decimals) {
  Wide unit = 1;
  for (int i = 0; i < decimals; ++i) unit *= 10;
  std::string out = to_decimal(value / unit);
  if (value < 0 && value > -unit) out.insert(out.begin(), '-');  // "-0.5…"
  std::string fraction = to_decimal(magnitude(value) % unit);
  out.push_back('.');
  out.append(static_cast<std::size_t>(decimals) - fraction.size(), '0');
  out.append(fraction);
  return out;
}

std::string micros_to_decimal(Wide micros) {
  return fixed_point_to_decimal(micros, 6);
}

}  // namespace marquee::report
