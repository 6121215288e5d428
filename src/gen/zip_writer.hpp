#pragma once

#include <filesystem>
#include <memory>
#include <vector>

#include "gen/csv_producer.hpp"

namespace marquee::gen {

/// Writes a ZIP archive of one deflated entry per producer, in order, into `file`: an existing
/// empty file that the caller syncs and renames into place (an AtomicFile's temporary). libzip
/// pulls each entry from its producer while deflating, so memory stays flat. Throws
/// Error(kUsage) naming `file` when the archive cannot be written, or what a producer threw.
void write_zip(const std::filesystem::path& file,
               const std::vector<std::unique_ptr<CsvProducer>>& producers);

}  // namespace marquee::gen
