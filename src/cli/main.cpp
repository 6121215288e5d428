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
#include "pipeline/interrupt.hpp"
#include "pipeline/job.hpp"
#include "pipeline/logging.hpp"
#include "store/postgres_store.hpp"

namespace {

using marquee::Error;
using marquee::ExitCode;
using marquee::pipeline::JobOptions;

struct CommonFlags {
  JobOptions job;
  double lock_timeout_seconds = 0;
  double alert_timeout_seconds = 10;
  bool verbose = false;
};

void add_common(CLI::App& cmd, CommonFlags& flags) {
  cmd.add_option("--workdir", flags.job.workdir,
                 "Work directory for staging, rejects, reports, logs")
      ->capture_default_str();
  cmd.add_option(
         "--db", flags.job.db_url,
         "Database: sqlite:PATH (default <workdir>/marquee.db) or postgresql://user@host:port/db")
      ->envname("MARQUEE_DB");
  cmd.add_option("--log-dir", flags.job.log_dir,
                 "Folder of the main and error logs (default <workdir>/log)");
  cmd.add_flag("-v,--verbose", flags.verbose, "Debug output on the terminal");
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
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, marquee::pipeline::CheckMode>{
              {"warn", marquee::pipeline::CheckMode::kWarn},
              {"error", marquee::pipeline::CheckMode::kError}},
          CLI::ignore_case));
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

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"marquee: ETL and analytics for The Movies Dataset (TMDB + MovieLens)"};
  app.set_version_flag("--version", MARQUEE_VERSION);
  app.require_subcommand(1);
  CommonFlags flags;

  std::string source;
  auto* run = app.add_subcommand("run", "Stage SOURCE, load it, write the reports");
  run->add_option("source", source,
                  "s3://bucket/key, https://..., file://..., a .zip, or a folder of CSVs")
      ->required();
  add_common(*run, flags);
  add_load_flags(*run, flags);
  add_stage_flags(*run, flags);
  add_alert_flags(*run, flags);

  auto* stage = app.add_subcommand("stage", "Download SOURCE into staging/incoming/ only");
  stage->add_option("source", source, "s3://bucket/key, https://..., file://... or a path")
      ->required();
  add_common(*stage, flags);
  add_stage_flags(*stage, flags);
  add_alert_flags(*stage, flags);

  auto* load =
      app.add_subcommand("load", "Load every complete archive waiting in staging/incoming/");
  add_common(*load, flags);
  add_load_flags(*load, flags);
  add_alert_flags(*load, flags);
  for (auto* cmd : {run, load}) {
    cmd->add_option("--backfill-batches", flags.job.backfill_batches,
                    "Archives taken from staging/backfill/ per load, after all of incoming/")
        ->capture_default_str();
  }

  std::vector<std::string> backfill_sources;
  auto* backfill = app.add_subcommand(
      "backfill",
      "Stage SOURCE... (archives, folders of .zip files, s3://bucket/prefix/) into "
      "staging/backfill/ for `load` to take a few at a time");
  backfill
      ->add_option("sources", backfill_sources,
                   "s3://bucket/key, s3://bucket/prefix/, https://..., a .zip or a folder of .zip")
      ->required();
  add_common(*backfill, flags);
  add_stage_flags(*backfill, flags);
  add_alert_flags(*backfill, flags);

  auto* report = app.add_subcommand("report", "Write the reports from what is loaded");
  add_common(*report, flags);

  auto* status = app.add_subcommand("status", "Show the loaded batches and what waits in staging");
  add_common(*status, flags);

  int keep_weeks = 0;
  auto* prune = app.add_subcommand(
      "prune", "PostgreSQL: detach and drop movie_version partitions older than --keep weeks");
  add_common(*prune, flags);
  prune->add_option("--keep", keep_weeks, "Whole weeks of history to keep before the current one")
      ->required()
      ->check(CLI::NonNegativeNumber);

  marquee::gen::GenerateOptions gen_options;
  auto* generate = app.add_subcommand("generate", "Write a synthetic the-movies-dataset.zip");
  generate->add_option("--scale", gen_options.scale, "1.0 = the real sizes (45,466 movies)")
      ->check(CLI::Range(0.0, 1000.0))
      ->capture_default_str();
  generate->add_option("--seed", gen_options.seed, "Same seed, same bytes")->capture_default_str();
  generate->add_option("--ratings-scale", gen_options.ratings_scale, "1.0 = 26 million ratings")
      ->check(CLI::Range(0.0, 1000.0))
      ->capture_default_str();
  generate->add_flag("--movies-only", gen_options.movies_only, "Only movies_metadata.csv");
  generate->add_option("--out", gen_options.out, "The .zip to write")->required();

  marquee::api::ServeOptions serve_options;
  auto* serve = app.add_subcommand("serve", "Serve the HTTP API and the dashboard (read-only)");
  add_common(*serve, flags);
  serve->add_option("--host", serve_options.host, "Address to listen on")->capture_default_str();
  serve->add_option("--port", serve_options.port, "Port to listen on (0: any free port)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  serve
      ->add_option("--threads", serve_options.threads,
                   "Worker threads, one database connection each")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : static_cast<int>(ExitCode::kUsage);
  }

  std::optional<marquee::pipeline::Job> job;
  // Runs that change something are alerted on and recorded for `recovered`.
  const bool notifies = run->parsed() || stage->parsed() || load->parsed() || backfill->parsed();
  try {
    flags.job.alerts.timeout =
        std::chrono::milliseconds(static_cast<long long>(flags.alert_timeout_seconds * 1000));
    flags.job.lock_timeout =
        std::chrono::milliseconds(static_cast<long long>(flags.lock_timeout_seconds * 1000));
    flags.job.stage.progress = true;
    if (generate->parsed()) {
      marquee::pipeline::setup_logging({}, false);
      auto manifest = marquee::gen::generate(gen_options);
      spdlog::info("generate: wrote {} and {}.manifest.json", gen_options.out.string(),
                   gen_options.out.string());
      return 0;
    }
    marquee::pipeline::setup_logging(flags.job.effective_log_dir(), flags.verbose);
    if (serve->parsed()) {
      serve_options.db_url = flags.job.effective_db_url();
      marquee::api::serve(serve_options);  // until SIGTERM or SIGINT
      return 0;
    }
    if (prune->parsed()) {
      auto store = marquee::store::open_store(flags.job.effective_db_url());
      auto dropped = marquee::store::prune_movie_versions(*store, keep_weeks);
      spdlog::info("prune: {} movie_version partitions dropped{}{}", dropped.size(),
                   dropped.empty() ? "" : ": ", fmt::join(dropped, ", "));
      return 0;
    }
    if (notifies) marquee::pipeline::install_stop_handlers();
    for (auto* cmd : {run, stage, load, backfill}) {
      if (cmd->parsed()) flags.job.command = cmd->get_name();
    }
    job.emplace(flags.job);
    if (run->parsed()) job->run(source);
    if (stage->parsed()) job->stage(source);
    if (load->parsed()) job->load();
    if (backfill->parsed()) job->backfill(backfill_sources);
    if (report->parsed()) job->report();
    if (status->parsed()) job->status(std::cout);
    if (notifies) job->notify_success();
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
