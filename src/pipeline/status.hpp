#pragma once

#include <cstddef>
#include <ostream>

#include "staging/staging.hpp"
#include "store/store.hpp"

namespace marquee::pipeline {

/// `marquee status`: the batches of the store, what waits in incoming/ and in the backfill lane
/// (in the order `load` takes it), and the movies loaded.
void print_status(store::Store& store, const staging::StagingDirs& dirs,
                  std::size_t backfill_batches, std::ostream& out);
/// The same as one JSON document (`marquee status --json`), for scripts and monitoring.
void print_status_json(store::Store& store, const staging::StagingDirs& dirs,
                       std::size_t backfill_batches, std::ostream& out);

}  // namespace marquee::pipeline
