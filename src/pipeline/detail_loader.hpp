#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dataset/detail_rows.hpp"
#include "format/byte_source.hpp"
#include "pipeline/movie_loader.hpp"
#include "store/store.hpp"

namespace marquee::pipeline {

/// Streams one of the other files of the archive (SPEC 3.5: links, keywords, credits, ratings)
/// through its record rules into the batch, after the batch's movies are finished. Rejects go to
/// `rejects` as for movies, and the counts balance: read = loaded + rejected + superseded.
/// Keywords and credits of an id outside `movie_ids` (sorted) are counted as loaded with the
/// warning unknown_movie and write nothing. Throws Error(kBadData) for a header the rules
/// refuse, and for a snapshot without an accepted record (it would empty the file's tables).
FileStats load_detail_file(dataset::DetailFile file, format::ByteSource& source,
                           const std::string& file_label, store::BatchWriter& writer,
                           RejectSink& rejects, const MovieLoadOptions& options,
                           const BatchGuards& guards, const std::vector<std::int64_t>& movie_ids);

}  // namespace marquee::pipeline
