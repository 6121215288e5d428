#include <malloc.h>
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <csignal>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "api/server.hpp"
#include "common/clock.hpp"
#include "common/error.hpp"
#include "gen/generator.hpp"
#include "pipeline/as_of_pattern.hpp"
#include "pipeline/data_checks.hpp"
#include "pipeline/interrupt.hpp"
#include "pipeline/job.hpp"
#include "pipeline/logging.hpp"
#include "report/movie_list.hpp"
#include "store/store.hpp"

namespace {

using marquee::Error;
using marquee::ExitCode;
using marquee::pipeline::JobOptions;

struct CommonFlags {
  JobOptions job;
  double lock_timeout_seconds = 0;
  double alert_timeout_seconds = 10;
  bool verbose = false;
  bool quiet = false;
  marquee::pipeline::LogFormat log_format = marquee::pipeline::LogFormat::kText;

  marquee::pipeline::LogOptions log_options(std::filesystem::path log_dir) const {
    using marquee::pipeline::Verbosity;
    return {std::move(log_dir),
            quiet     ? Verbosity::kQuiet
            : verbose ? Verbosity::kVerbose
                      : Verbosity::kNormal,
            log_format};
  }
};

/// A CLI11 transform taking one of `names` (any case) and handing on its index.
CLI::Validator one_of(std::vector<std::string> names, std::string what) {
  std::string description = fmt::format("{}", fmt::join(names, "|"));
  return CLI::Validator(
      [names = std::move(names), what = std::move(what)](std::string& value) -> std::string {
        std::string lower = value;
        for (char& ch : lower) ch = static_cast<char>(std::tolower(ch));
        for (std::size_t i = 0; i < names.size(); ++i) {
          if (lower == names[i]) {
            value = std::to_string(i);
            return "";
          }
        }
        return fmt::format("'{}' is not a {}; use {}", value, what, fmt::join(names, " or "));
      },
      description);
}

void add_common(CLI::App& cmd, CommonFlags& flags) {
  cmd.add_option("--workdir", flags.job.workdir,
                 "Work directory for staging, rejects, reports, logs")
      ->capture_default_str()
      ->envname("MARQUEE_WORKDIR");
  cmd.add_option(
         "--db", flags.job.db_url,
         "Database: sqlite:PATH (default <workdir>/marquee.db) or postgresql://user@host:port/db")
      ->envname("MARQUEE_DB");
  cmd.add_option("--log-dir", flags.job.log_dir,
                 "Folder of the main and error logs (default <workdir>/log)")
      ->envname("MARQUEE_LOG_DIR");
  auto* verbose = cmd.add_flag("-v,--verbose", flags.verbose,
                               "Debug lines on the terminal too (the main log always has them)");
  cmd.add_flag("-q,--quiet", flags.quiet,
               "Only warnings and errors on the terminal (the logs keep everything)")
      ->excludes(verbose);
  cmd.add_option("--log-format", flags.log_format,
                 "text, or json: one JSON object per line on the terminal and in the logs")
      ->transform(one_of({"text", "json"}, "log format"))
      ->envname("MARQUEE_LOG_FORMAT")
      ->default_str("text");
}

void add_load_flags(CLI::App& cmd, CommonFlags& flags) {
  cmd.add_flag("--snapshot", flags.job.snapshot,
               "The batch is a full snapshot: movies absent from it are removed");
  cmd.add_option("--max-reject-ratio", flags.job.max_reject_ratio,
                 "Fail the batch when more than this share of records is rejected")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd.add_option("--max-record-bytes", flags.job.max_record_bytes, "Longest CSV record accepted")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd.add_option("--checks", flags.job.checks,
                 "What failing data checks (sql/checks/) do: warn (default), or error (exit 3)")
      ->transform(one_of({"warn", "error"}, "check mode"));
  cmd.add_option("--lock-timeout", flags.lock_timeout_seconds,
                 "Seconds to wait for another run's lock before exiting 5")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
}

void add_alert_flags(CLI::App& cmd, CommonFlags& flags) {
  cmd.add_option("--on-failure", flags.job.alerts.on_failure,
                 "Shell command run on failure: the failure JSON on stdin, MARQUEE_RUN_ID, "
                 "MARQUEE_STEP, MARQUEE_EXIT_CODE, MARQUEE_MESSAGE, MARQUEE_SOURCE, "
                 "MARQUEE_BATCH in its environment");
  cmd.add_option("--alert-webhook", flags.job.alerts.webhook_url,
                 "URL POSTed the failure JSON (retried 3 times), and `recovered` once after");
  cmd.add_option("--metrics-textfile-dir", flags.job.metrics_textfile_dir,
                 "node_exporter textfile directory: marquee_<command>.prom written after each run "
                 "(last run and success times, exit code, rows, rejects, failed checks, steps)")
      ->envname("MARQUEE_METRICS_TEXTFILE_DIR");
  cmd.add_option("--alert-timeout", flags.alert_timeout_seconds,
                 "Seconds the --on-failure command and each webhook attempt may take")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
}

void add_stage_flags(CLI::App& cmd, CommonFlags& flags) {
  cmd.add_option("--retries", flags.job.stage.max_retries, "Download retries on transient errors")
      ->check(CLI::Range(0, 100))
      ->capture_default_str();
  cmd.add_flag("--no-sign-request", flags.job.stage.no_sign_request,
               "Do not sign S3 requests (public buckets)");
  cmd.add_option("--as-of", flags.job.stage.as_of,
                 "Data time of the archive(s), ISO 8601 (2025-03-01 or 2025-03-01T12:00:00Z), "
                 "instead of the source's Last-Modified: a movie is never replaced by a version "
                 "of an older data time")
      ->check(CLI::Validator(
          [](std::string& value) -> std::string {
            auto normalized = marquee::normalize_utc_timestamp(value);
            if (!normalized) {
              return "not an ISO 8601 date or time (use 2025-03-01 or 2025-03-01T12:00:00Z)";
            }
            value = *normalized;
            return {};
          },
          "TIME"));
}

/// backfill's --as-of-pattern, --as-of-manifest (each excluding --as-of and the other) and
/// --dry-run; after add_stage_flags, which defines --as-of.
void add_backfill_dating_flags(CLI::App& cmd, CommonFlags& flags) {
  auto* as_of = cmd.get_option("--as-of");
  auto& backfill = flags.job.backfill;
  auto* pattern =
      cmd.add_option("--as-of-pattern", backfill.as_of_pattern,
                     "Data time of each archive from its file name (an S3 key's last segment): "
                     "%Y (4 digits) %m %d %H %M %S (2 digits), %% a percent sign, * any text, "
                     "the rest as written, the whole name, UTC, fields left out the start of "
                     "their period: 'movies-%Y-%m-%d.zip'. An archive that does not match stages "
                     "nothing (exit 1)")
          ->check(CLI::Validator(
              [](std::string& value) -> std::string {
                try {
                  marquee::pipeline::AsOfPattern{value};
                  return {};
                } catch (const Error& e) {
                  return e.what();
                }
              },
              "PATTERN"));
  auto* manifest =
      cmd.add_option("--as-of-manifest", backfill.as_of_manifest,
                     "Data times from a CSV with the header file,as_of (file: a base name or the "
                     "source as listed; as_of: as --as-of takes it). Every archive needs a row, "
                     "or nothing is staged (exit 1); rows naming no archive are a warning")
          ->check(CLI::ExistingFile);
  pattern->excludes(as_of)->excludes(manifest);
  manifest->excludes(as_of);
  cmd.add_flag("--dry-run", backfill.dry_run,
               "List each archive with its size and the data time it would get, and from where; "
               "stage nothing");
}

/// What `marquee movies` was given: the report row whose movies to list.
struct MoviesFlags {
  std::optional<std::int64_t> company;
  std::string genre;  ///< a genre id or name; empty: none
  int year = 0;
  std::string format = "csv";
};

/// The subcommands and what they were given.
struct Commands {
  CLI::App app{"marquee: ETL and analytics for The Movies Dataset (TMDB + MovieLens)"};
  CLI::App* movies = nullptr;
  MoviesFlags movies_flags;
  CommonFlags flags;
  std::string source;
  std::vector<std::string> backfill_sources;
  int keep_weeks = 0;
  bool status_json = false;
  bool dry_run = false;
  marquee::gen::GenerateOptions gen_options;
  marquee::api::ServeOptions serve_options;
  CLI::App *run = nullptr, *stage = nullptr, *load = nullptr, *backfill = nullptr,
           *report = nullptr, *status = nullptr, *prune = nullptr, *generate = nullptr,
           *serve = nullptr, *validate = nullptr, *check = nullptr;

  /// Runs that change something are alerted on and recorded for `recovered`.
  bool notifies() const {
    return run->parsed() || stage->parsed() || (load->parsed() && !dry_run) || backfill->parsed();
  }
};

void define_loading_commands(Commands& c) {
  auto& flags = c.flags;
  c.run = c.app.add_subcommand("run", "Stage SOURCE, load it, write the reports");
  c.run
      ->add_option("source", c.source,
                   "s3://bucket/key, https://..., file://..., a .zip, or a folder of CSVs")
      ->required();
  add_common(*c.run, flags);
  add_load_flags(*c.run, flags);
  add_stage_flags(*c.run, flags);
  add_alert_flags(*c.run, flags);

  c.stage = c.app.add_subcommand("stage", "Download SOURCE into staging/incoming/ only");
  c.stage->add_option("source", c.source, "s3://bucket/key, https://..., file://... or a path")
      ->required();
  add_common(*c.stage, flags);
  add_stage_flags(*c.stage, flags);
  add_alert_flags(*c.stage, flags);

  c.load = c.app.add_subcommand("load", "Load every complete archive waiting in staging/incoming/");
  add_common(*c.load, flags);
  add_load_flags(*c.load, flags);
  add_alert_flags(*c.load, flags);
  c.load->add_flag("--dry-run", c.dry_run,
                   "Validate what waits, as `marquee validate` does: load, move and alert nothing");

  c.validate = c.app.add_subcommand(
      "validate",
      "Read SOURCE through the record rules and the reject limit, write its rejects to "
      "rejects/validate-<run id>/, and load nothing: exits as a load would");
  c.validate
      ->add_option("source", c.source,
                   "s3://bucket/key, https://..., file://..., a .zip, a .csv or a folder of CSVs")
      ->required();
  add_common(*c.validate, flags);
  add_load_flags(*c.validate, flags);
  add_stage_flags(*c.validate, flags);
  for (auto* cmd : {c.run, c.load}) {
    cmd->add_option("--backfill-batches", flags.job.backfill_batches,
                    "Archives taken from staging/backfill/ per load, after all of incoming/")
        ->capture_default_str();
  }

  c.backfill = c.app.add_subcommand(
      "backfill",
      "Stage SOURCE... (archives, folders of .zip files, s3://bucket/prefix/) into "
      "staging/backfill/ for `load` to take a few at a time");
  c.backfill
      ->add_option("sources", c.backfill_sources,
                   "s3://bucket/key, s3://bucket/prefix/, https://..., a .zip or a folder of .zip")
      ->required();
  add_common(*c.backfill, flags);
  add_stage_flags(*c.backfill, flags);
  add_backfill_dating_flags(*c.backfill, flags);
  add_alert_flags(*c.backfill, flags);
}

void define_reading_commands(Commands& c) {
  c.report = c.app.add_subcommand("report", "Write the reports from what is loaded");
  add_common(*c.report, c.flags);

  c.status = c.app.add_subcommand("status", "Show the loaded batches and what waits in staging");
  add_common(*c.status, c.flags);
  c.status->add_flag("--json", c.status_json,
                     "One JSON document on stdout: batches, what waits, movies loaded");

  c.check = c.app.add_subcommand(
      "check",
      "Prove the kept totals equal the model: report aggregates, rating totals, link rows (reads "
      "the whole database; exit 3 when one differs)");
  add_common(*c.check, c.flags);

  c.prune = c.app.add_subcommand(
      "prune", "PostgreSQL: detach and drop movie_version partitions older than --keep weeks");
  add_common(*c.prune, c.flags);
  c.prune
      ->add_option("--keep", c.keep_weeks, "Whole weeks of history to keep before the current one")
      ->required()
      ->check(CLI::NonNegativeNumber);
}

void define_serve_command(Commands& c) {
  auto& serve_options = c.serve_options;
  c.serve = c.app.add_subcommand("serve", "Serve the HTTP API and the dashboard (read-only)");
  add_common(*c.serve, c.flags);
  c.serve->add_option("--host", serve_options.host, "Address to listen on")->capture_default_str();
  c.serve->add_option("--port", serve_options.port, "Port to listen on (0: any free port)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  c.serve
      ->add_option("--threads", serve_options.threads,
                   "Worker threads, one database connection each: requests answered at once")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  c.serve
      ->add_option_function<double>(
          "--read-timeout",
          [&serve_options](const double& seconds) {
            serve_options.read_timeout = std::chrono::milliseconds(std::llround(seconds * 1000));
          },
          "Seconds a client may take to send a whole request; one still sending is answered "
          "408 and closed")
      ->check(CLI::Range(0.001, 3600.0))
      ->default_str(fmt::format("{:g}", serve_options.read_timeout.count() / 1000.0));
  c.serve
      ->add_option("--max-connections", serve_options.max_connections,
                   "Client connections held at once; past it the longest-waiting one is closed, "
                   "or the new one is answered 503")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
}

void define_generate_command(Commands& c) {
  auto& gen_options = c.gen_options;
  c.generate = c.app.add_subcommand("generate", "Write a synthetic the-movies-dataset.zip");
  c.generate->add_option("--scale", gen_options.scale, "1.0 = the real sizes (45,466 movies)")
      ->check(CLI::Range(0.0, 1000.0))
      ->capture_default_str();
  c.generate->add_option("--seed", gen_options.seed, "Same seed, same bytes")
      ->capture_default_str();
  c.generate->add_option("--ratings-scale", gen_options.ratings_scale, "1.0 = 26 million ratings")
      ->check(CLI::Range(0.0, 1000.0))
      ->capture_default_str();
  c.generate->add_flag("--movies-only", gen_options.movies_only, "Only movies_metadata.csv");
  c.generate->add_option("--out", gen_options.out, "The .zip to write")->required();
}

void define_movies_command(Commands& c) {
  auto& m = c.movies_flags;
  c.movies = c.app.add_subcommand(
      "movies",
      "List the movies behind a report row: --company ID --year Y [--genre G] (company_yearly, "
      "company_genre_yearly) or --genre G --year Y (genre_yearly)");
  add_common(*c.movies, c.flags);
  c.movies->add_option("--company", m.company, "Production company id")->check(CLI::PositiveNumber);
  c.movies->add_option("--genre", m.genre, "Genre id, or its name in any case (Drama, drama)");
  c.movies->add_option("--year", m.year, "Release year of the report row")
      ->required()
      ->check(CLI::Range(1, 9999));
  c.movies->add_option("--format", m.format, "csv (header row) or json, to stdout")
      ->check(CLI::IsMember({"csv", "json"}))
      ->capture_default_str();
}

/// `marquee movies`: reads the database (never creates one: a missing file exits 4) and prints
/// the movies of one report row. An id or genre that names nothing exits 1; a real company or
/// genre without movies that year prints an empty list.
void list_movies(const Commands& c) {
  const MoviesFlags& m = c.movies_flags;
  if (!m.company && m.genre.empty()) {
    throw Error(ExitCode::kUsage,
                "marquee movies needs --company ID, --genre G or both (with --year Y)");
  }
  auto store = marquee::store::open_store(c.flags.job.effective_db_url(),
                                          {.read_only = true, .must_exist = true});
  marquee::report::MovieListing listing;
  listing.year = m.year;
  if (m.company) {
    auto name = store->company_name(*m.company);
    if (!name) {
      throw Error(ExitCode::kUsage,
                  fmt::format("--company {}: no production company has this id in {}; find ids "
                              "in company_yearly.csv or at /api/companies",
                              *m.company, store->describe()));
    }
    listing.company = marquee::dataset::NamedItem{*m.company, *name};
  }
  if (!m.genre.empty()) {
    listing.genre = store->find_genre(m.genre);
    if (!listing.genre) {
      throw Error(ExitCode::kUsage,
                  fmt::format("--genre {}: no genre has this id or name in {}; find them in "
                              "genre_yearly.csv or at /api/genres",
                              m.genre, store->describe()));
    }
  }
  listing.movies = store->group_movies(
      {.company_id = m.company,
       .genre_id = listing.genre ? std::optional(listing.genre->id) : std::nullopt,
       .year = m.year});
  std::cout << (m.format == "json" ? marquee::report::movie_list_json(listing) + "\n"
                                   : marquee::report::movie_list_csv(listing.movies))
            << std::flush;
  spdlog::debug("movies: {} movies listed from {}", listing.movies.size(), store->describe());
}

/// `marquee check`: the whole-database checks; exit 3 naming those that failed.
void check_database(Commands& c) {
  marquee::store::OpenOptions options;
  options.must_exist = true;  // an older schema is migrated first, as `report` does
  auto store = marquee::store::open_store(c.flags.job.effective_db_url(), options);
  std::vector<std::string> failed;
  for (const auto& result : marquee::pipeline::run_whole_database_checks(*store)) {
    if (result.failing > 0) failed.push_back(fmt::format("{} ({})", result.name, result.failing));
  }
  if (!failed.empty()) {
    throw Error(ExitCode::kBadData,
                fmt::format("check {}: {} failed; the failing keys are in the log — a report "
                            "aggregate that differs is a bug in marquee (report it); load the "
                            "data into a new database to rebuild",
                            store->describe(), fmt::join(failed, ", ")));
  }
  spdlog::info("check {}: every whole-database check passed", store->describe());
}

/// The commands that need no Job: generate, serve, check, prune and movies. False when none was
/// given.
bool run_without_job(Commands& c) {
  if (c.generate->parsed()) {
    marquee::pipeline::setup_logging(c.flags.log_options({}));
    marquee::gen::generate(c.gen_options);
    spdlog::info("generate: wrote {} and {}.manifest.json", c.gen_options.out.string(),
                 c.gen_options.out.string());
    return true;
  }
  marquee::pipeline::setup_logging(c.flags.log_options(c.flags.job.effective_log_dir()));
  if (c.serve->parsed()) {
    c.serve_options.db_url = c.flags.job.effective_db_url();
    marquee::api::serve(c.serve_options);  // until SIGTERM or SIGINT
    return true;
  }
  if (c.movies->parsed()) {
    list_movies(c);
    return true;
  }
  if (c.check->parsed()) {
    check_database(c);
    return true;
  }
  if (c.prune->parsed()) {
    auto store = marquee::store::open_store(c.flags.job.effective_db_url());
    auto dropped = store->prune_history(c.keep_weeks);
    spdlog::info("prune: {} movie_version partitions dropped{}{}", dropped.size(),
                 dropped.empty() ? "" : ": ", fmt::join(dropped, ", "));
    return true;
  }
  return false;
}

void run_job(Commands& c, marquee::pipeline::Job& job) {
  if (c.run->parsed()) job.run(c.source);
  if (c.stage->parsed()) job.stage(c.source);
  if (c.load->parsed()) c.dry_run ? job.validate_staged() : job.load();
  if (c.validate->parsed()) job.validate(c.source);
  if (c.backfill->parsed()) job.backfill(c.backfill_sources);
  if (c.report->parsed()) job.report();
  if (c.status->parsed()) job.status(std::cout, c.status_json);
  if (c.notifies()) job.notify_success();
}

/// The allocator of a job (run, load, stage, backfill, report, …; not the API server, whose
/// request threads keep glibc's arena per thread). A load allocates and frees a few kB per
/// record on two threads (the parser's rows, freed by the writer) and large buffers (the
/// aggregates' groups, SQLite's sorter); with glibc's defaults the second thread's arena and
/// each buffer past the mmap threshold went back to the kernel and were faulted in again:
/// 22,000 to 23,800 page faults in a SQLite run of scale 1, 12,500 with one arena and freed
/// memory kept up to 256 MiB, at the same peak RSS (62-69 MB against 64-66 MB). Page faults are
/// dear on this kind of VM: the run's median went from 2.03 s to 2.00 s in a slow hour (8
/// alternating pairs), 1.38 s to 1.37 s in a fast one (6 pairs). Called before the job starts a
/// thread.
void tune_allocator_for_a_job() {
  mallopt(M_ARENA_MAX, 1);
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
}

/// Runs the parsed command; every failure is logged once here and mapped to its exit code.
int execute(Commands& c) {
  auto& flags = c.flags;
  std::optional<marquee::pipeline::Job> job;
  const bool notifies = c.notifies();
  try {
    flags.job.alerts.timeout =
        std::chrono::milliseconds(static_cast<long long>(flags.alert_timeout_seconds * 1000));
    flags.job.lock_timeout =
        std::chrono::milliseconds(static_cast<long long>(flags.lock_timeout_seconds * 1000));
    flags.job.stage.progress = true;
    // A --db that names no database fails now, not after minutes of staging.
    if (!flags.job.db_url.empty()) marquee::store::parse_db_url(flags.job.db_url);
    if (run_without_job(c)) return 0;
    if (notifies) marquee::pipeline::install_stop_handlers();
    for (auto* cmd : {c.run, c.stage, c.load, c.backfill}) {
      if (cmd->parsed()) flags.job.command = cmd->get_name();
    }
    tune_allocator_for_a_job();
    job.emplace(flags.job);
    run_job(c, *job);
    return 0;
  } catch (const marquee::pipeline::Interrupted& e) {
    spdlog::error("{}", e.what());
    int code = marquee::pipeline::interrupted_exit_code(e.signal_number());
    if (job && notifies) job->notify_failure(code, e.what());
    return code;
  } catch (const Error& e) {
    spdlog::error("{}", e.what());
    if (job && notifies) job->notify_failure(static_cast<int>(e.code()), e.what());
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    spdlog::error("unexpected failure: {}; please report it with the log", e.what());
    if (job && notifies) job->notify_failure(static_cast<int>(ExitCode::kDatabase), e.what());
    return static_cast<int>(ExitCode::kDatabase);
  }
}

}  // namespace

/// Edit distance, for "did you mean".
std::size_t distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1] ? 1 : 0)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

/// `version`, `-V`, `help [COMMAND]` and an unknown command, before CLI11 sees them (it would
/// answer each with "A subcommand is required"); nullopt when CLI11 should parse.
std::optional<int> answer_before_parsing(Commands& commands, int argc, char** argv) {
  if (argc < 2) return std::nullopt;
  const std::string first = argv[1];
  if (first == "version" || first == "-V") {
    fmt::print("{}\n", MARQUEE_VERSION);
    return 0;
  }
  if (first == "help") {
    CLI::App* target = &commands.app;
    if (argc > 2) {
      try {
        target = commands.app.get_subcommand(argv[2]);
      } catch (const CLI::OptionNotFound&) {
        fmt::print(stderr, "unknown command '{}'; `marquee help` lists the commands\n", argv[2]);
        return static_cast<int>(ExitCode::kUsage);
      }
    }
    fmt::print("{}", target->help());
    return 0;
  }
  if (first.empty() || first[0] == '-') return std::nullopt;
  std::vector<std::string> names;
  for (const auto* sub : commands.app.get_subcommands({})) names.push_back(sub->get_name());
  if (std::find(names.begin(), names.end(), first) != names.end()) return std::nullopt;
  std::string nearest;
  std::size_t best = 3;  // more edits than 2 is no longer a typo
  for (const auto& name : names) {
    if (std::size_t d = distance(first, name); d < best) {
      best = d;
      nearest = name;
    }
  }
  fmt::print(stderr, "unknown command '{}'{}; the commands are {} (marquee help COMMAND)\n", first,
             nearest.empty() ? "" : fmt::format("; did you mean '{}'?", nearest),
             fmt::join(names, ", "));
  return static_cast<int>(ExitCode::kUsage);
}

int main(int argc, char** argv) {
  // A closed stdout (`marquee run … | head`) must not stop a load: writes fail with EPIPE, which
  // the terminal sink ignores, and the log file still gets every line.
  std::signal(SIGPIPE, SIG_IGN);
  Commands commands;
  commands.app.set_version_flag("--version", MARQUEE_VERSION);
  commands.app.require_subcommand(1);
  define_loading_commands(commands);
  define_reading_commands(commands);
  define_generate_command(commands);
  define_serve_command(commands);
  define_movies_command(commands);
  if (auto answered = answer_before_parsing(commands, argc, argv)) return *answered;
  try {
    commands.app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = commands.app.exit(e);
    return code == 0 ? 0 : static_cast<int>(ExitCode::kUsage);
  }
  return execute(commands);
}
