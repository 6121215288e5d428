#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "api/report_cache.hpp"
#include "store/store.hpp"

namespace marquee::api {

enum class ParamIn { kPath, kQuery };
enum class ParamKind {
  kInteger,  ///< decimal digits within [min, max]
  kYear,     ///< an integer from 1 to 9999, the years a YYYY-MM-DD release date can have
  kText,     ///< any text up to max_length bytes
  kChoice,   ///< one of choices; the first is the default
};

/// One parameter of a route: how it is validated and how the OpenAPI document describes it.
struct ParamSpec {
  std::string name;
  ParamIn in = ParamIn::kQuery;
  ParamKind kind = ParamKind::kInteger;
  std::int64_t min = 0, max = 0;
  std::optional<std::int64_t> default_integer;
  std::vector<std::string> choices;
  std::size_t max_length = 0;
  std::string description;
  /// A query parameter the route cannot answer without (a path parameter always is).
  bool required = false;
};

/// A parameter that fails validation; answered 400 with a JSON error naming it.
class ParamError : public std::runtime_error {
 public:
  ParamError(std::string parameter, const std::string& message)
      : std::runtime_error(message), parameter_(std::move(parameter)) {}
  const std::string& parameter() const { return parameter_; }

 private:
  std::string parameter_;
};

/// A request's parameters once validated, defaults applied.
class Args {
 public:
  std::optional<std::int64_t> integer(const std::string& name) const;
  std::optional<std::string> text(const std::string& name) const;
  void set(const std::string& name, std::int64_t v) { integers_[name] = v; }
  void set(const std::string& name, std::string v) { texts_[name] = std::move(v); }

 private:
  std::map<std::string, std::int64_t, std::less<>> integers_;
  std::map<std::string, std::string, std::less<>> texts_;
};

struct Reply {
  int status = 200;
  std::string body;  ///< JSON
};

/// What a handler may use: the worker thread's own store connection and the shared reports.
struct RequestContext {
  store::Store& store;
  ReportCache& cache;
};

struct RouteSpec {
  std::string path;  ///< OpenAPI template: "/api/companies/{id}/yearly"
  std::string operation_id;
  std::string summary;
  std::string description;
  std::vector<ParamSpec> params;
  std::string response_schema;  ///< a name under components/schemas
  Reply (*handler)(RequestContext&, const Args&) = nullptr;
};

/// Every API route; the router and the OpenAPI document are both built from this table.
const std::vector<RouteSpec>& route_table();

/// The route's path as the regular expression httplib matches, one group per path parameter.
/// A group takes any segment, so that /api/companies/abc/yearly is a 400 naming `id`, not a 404.
std::string route_regex(const RouteSpec& route);

/// Validates path values (in order) and the query against the route's parameters: unknown,
/// repeated, malformed and out-of-range values are ParamErrors, and so is a required parameter
/// left out. An empty value counts as absent.
Args parse_args(const RouteSpec& route, const std::vector<std::string>& path_values,
                const std::multimap<std::string, std::string>& query);

/// {"error": message, "parameter": parameter} (parameter omitted when empty).
std::string error_body(std::string_view message, std::string_view parameter = {});

}  // namespace marquee::api
