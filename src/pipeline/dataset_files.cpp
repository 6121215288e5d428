#include "pipeline/dataset_files.hpp"

#include <fmt/format.h>

#include "common/error.hpp"
#include "common/sha256.hpp"

namespace marquee::pipeline {
namespace {

std::string base_name_of(std::string_view stored) {
  auto slash = stored.find_last_of("/\\");
  return std::string(slash == std::string_view::npos ? stored : stored.substr(slash + 1));
}

}  // namespace

void DatasetFiles::add(File file) {
  if (const File* other = find(file.base_name)) {
    throw Error(
        ExitCode::kBadData,
        fmt::format("{}: entries '{}' and '{}' have the same base name; marquee cannot tell "
                    "which one to load — remove one from the archive",
                    label_, other->stored_name, file.stored_name));
  }
  files_.push_back(std::move(file));
}

const DatasetFiles::File* DatasetFiles::find(std::string_view base_name) const {
  for (const auto& f : files_) {
    if (f.base_name == base_name) return &f;
  }
  return nullptr;
}

std::string DatasetFiles::content_sha256() const {
  Sha256 sha;
  std::vector<char> buffer(std::size_t{1} << 20);
  for (const auto& f : files_) {
    sha.update({f.base_name.data(), f.base_name.size() + 1});
    auto source = f.open();
    while (std::size_t n = source->read(buffer)) sha.update({buffer.data(), n});
  }
  return sha.hex_digest();
}

DatasetFiles DatasetFiles::from_zip(const std::filesystem::path& zip) {
  DatasetFiles d;
  d.label_ = zip.filename().string();
  d.zip_ = std::make_shared<format::ZipArchive>(zip);
  for (const auto& entry : d.zip_->entries()) {
    if (entry.name.empty() || entry.name.back() == '/') continue;  // folders
    std::string base = base_name_of(entry.name);
    if (base.empty() || base.starts_with("._") || entry.name.starts_with("__MACOSX/")) continue;
    auto archive = d.zip_;
    d.add(File{base, entry.name, entry.size, entry.crc,
               [archive, entry] { return archive->open(entry); }});
  }
  return d;
}

DatasetFiles DatasetFiles::from_directory(const std::filesystem::path& dir) {
  DatasetFiles d;
  d.label_ = dir.string();
  std::vector<std::filesystem::path> paths;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.is_regular_file()) paths.push_back(e.path());
  }
  std::sort(paths.begin(), paths.end());
  for (const auto& p : paths) {
    d.add(File{p.filename().string(), p.string(), std::filesystem::file_size(p), std::nullopt,
               [p] { return format::open_file_source(p); }});
  }
  return d;
}

DatasetFiles DatasetFiles::from_csv_file(const std::filesystem::path& csv) {
  DatasetFiles d;
  d.label_ = csv.string();
  d.add(File{csv.filename().string(), csv.string(), std::filesystem::file_size(csv), std::nullopt,
             [csv] { return format::open_file_source(csv); }});
  return d;
}

}  // namespace marquee::pipeline
