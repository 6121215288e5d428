"""marquee_hourly: stage -> load -> report, every hour, with the marquee CLI.

The three tasks call the steps that ``marquee run`` chains (docs/operations.md). They must run on
workers that share the work directory (``MARQUEE_WORKDIR``): ``stage`` writes the archive into
``staging/incoming/`` and ``load`` reads it from there. Pin the tasks to one worker queue, or put
the work directory on storage every worker mounts; the database should be PostgreSQL
(``MARQUEE_DB``), since a SQLite file on shared storage is neither safe nor fast.

Exit codes (SPEC section 7) and what this DAG does with them:

* 0: success, also "nothing new" (an unchanged source costs one HEAD request; an archive whose
  sha256 is already loaded is a no-op).
* 2, source unreachable, not found or denied (also a staging folder that cannot be written):
  retried. Transient network errors were already retried inside marquee (``--retries``), and an
  interrupted download resumes from its ``.part`` file, so a retry costs little.
* 4, database error: retried. The batch was rolled back and its archive is still in
  ``staging/incoming/``; the retry loads it again from the start.
* 5, another run holds the lock (a backfill load, a manual run, a run on another host): retried.
  ``load`` first waits ``--lock-timeout`` seconds itself.
* 130 / 143, stopped by SIGINT / SIGTERM at a safe point: retried.
* 3, bad data: **not retried**; the task fails at once. A retry would not see the problem again:
  ``load`` has already moved the bad archive to ``staging/failed/`` with a ``.reason`` file beside
  it (and loaded the good archives after it), so a second attempt finds nothing to load, exits 0
  and turns the task green while the bad data sits in ``failed/``. Under ``--checks=error`` the
  batches are committed and the failing keys are in the log: retrying changes nothing. In
  ``stage``, exit 3 means the object is not a complete ZIP (truncated, or not the dataset); the
  next hourly run downloads it again anyway. Someone has to look: read the ``.reason`` file and
  ``rejects/<batch_id>/``, fix the source and stage a corrected archive; or, to accept the
  archive as it is, move it and its ``.meta.json`` back to ``staging/incoming/`` and run
  ``marquee load --max-reject-ratio R`` by hand (docs/operations.md, "Alerts and what to do").
* 1, usage or configuration error (a flag, an unwritable folder): not retried either.

Alerting: Airflow's own (``on_failure_callback``, e-mail) sees every failed task. marquee's
``--alert-webhook`` (set ``MARQUEE_ALERT_WEBHOOK``) also reports ``stage`` and ``load`` failures
with the step, exit code, source and batch, and a ``recovered`` event, kept per command
(``state/last_stage.json``, ``state/last_load.json``), so a ``stage`` that succeeds after a
failed ``load`` recovers nothing. ``marquee report`` takes no alert flags. ``run_summary.json`` is
written by ``marquee run`` only: with the steps split, the per-batch accounting is in the
``ingest_batch`` table (``marquee status``, ``GET /api/batches``).

Needs Airflow 2.4 or later (``schedule=``); Airflow 3 works through the imports below.
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timedelta

try:  # Airflow 3
    from airflow.providers.standard.operators.bash import BashOperator
    from airflow.sdk import DAG
except ImportError:  # Airflow 2
    from airflow import DAG
    from airflow.operators.bash import BashOperator
from airflow.exceptions import AirflowException, AirflowFailException, AirflowSkipException

MARQUEE = os.environ.get("MARQUEE_BIN", "/usr/local/bin/marquee")
WORKDIR = os.environ.get("MARQUEE_WORKDIR", "/var/lib/marquee")
SOURCE = os.environ.get(
    "MARQUEE_SOURCE_URL",
    "s3://com.guild.us-west-2.public-data/project-data/the-movies-dataset.zip",
)
# The worker's environment must carry MARQUEE_DB (read by marquee as the default of --db),
# PGPASSWORD and the AWS_* variables: a BashOperator without env= passes its own on.

# Exit codes that mean "a person must look" (see the docstring): fail without retrying.
NO_RETRY_EXIT_CODES = {1, 3}


class MarqueeOperator(BashOperator):
    """A BashOperator that fails for good, without its retries, on exit codes 1 and 3."""

    def execute(self, context):
        try:
            return super().execute(context)
        except (AirflowFailException, AirflowSkipException):
            raise
        except AirflowException as error:
            code = self._exit_code(error)
            if code in NO_RETRY_EXIT_CODES:
                raise AirflowFailException(
                    f"marquee exited {code}: "
                    + ("bad data; see staging/failed/*.reason, rejects/ and log/error.log"
                       if code == 3 else "usage or configuration error")
                    + " (not retried)"
                ) from error
            raise

    def _exit_code(self, error):
        process = getattr(getattr(self, "subprocess_hook", None), "sub_process", None)
        code = getattr(process, "returncode", None)
        if isinstance(code, int):
            return code
        found = re.search(r"exit code (\d+)", str(error))
        return int(found.group(1)) if found else None


COMMON = f"--workdir {WORKDIR}"  # logs: <workdir>/log/data-engineer-project.log, error.log
# An empty MARQUEE_ALERT_WEBHOOK leaves the flag out (${VAR:+...}: no Jinja, no "{#").
ALERTS = '${MARQUEE_ALERT_WEBHOOK:+--alert-webhook "$MARQUEE_ALERT_WEBHOOK"}'

with DAG(
    dag_id="marquee_hourly",
    description="The Movies Dataset: stage, load, report with marquee",
    doc_md=__doc__,
    schedule="@hourly",
    start_date=datetime(2025, 1, 1),
    catchup=False,  # each run takes whatever is new at the source: past hours add nothing
    max_active_runs=1,  # and the run lock would turn a second one into exit 5 anyway
    dagrun_timeout=timedelta(hours=2),
    default_args={
        "owner": "data-engineering",
        "retries": 3,
        "retry_delay": timedelta(minutes=5),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=20),
        "execution_timeout": timedelta(minutes=50),  # then SIGTERM: marquee stops safely (143)
        "cwd": WORKDIR,
    },
    tags=["marquee", "etl"],
) as dag:
    stage = MarqueeOperator(
        task_id="stage",
        bash_command=f'{MARQUEE} stage "{SOURCE}" {COMMON} {ALERTS}',
    )
    load = MarqueeOperator(
        task_id="load",
        # incoming/ first, then one archive of the backfill lane (oldest data first).
        bash_command=(
            f"{MARQUEE} load {COMMON} --lock-timeout 600 --backfill-batches 1 {ALERTS}"
        ),
    )
    report = MarqueeOperator(
        task_id="report",
        # Reads the database only; writes movie_results/ through a temporary folder and renames.
        bash_command=f"{MARQUEE} report {COMMON}",
    )

    stage >> load >> report
