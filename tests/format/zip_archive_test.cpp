#include "format/zip_archive.hpp"

#include <unistd.h>
#include <zip.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.hpp"

namespace marquee::format {
namespace {

using ::testing::HasSubstr;

struct TestEntry {
  std::string name;
  std::string data;
  std::int32_t method = ZIP_CM_DEFLATE;
};

class ZipArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           (std::string("marquee_zip_test_") + info->name() + "_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path write_zip(const std::string& file, const std::vector<TestEntry>& entries) {
    auto path = dir_ / file;
    int error = 0;
    zip_t* archive = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
    EXPECT_NE(archive, nullptr);
    for (const auto& entry : entries) {
      if (entry.name.ends_with('/')) {
        EXPECT_GE(zip_dir_add(archive, entry.name.c_str(), ZIP_FL_ENC_UTF_8), 0);
        continue;
      }
      zip_source_t* source = zip_source_buffer(archive, entry.data.data(), entry.data.size(), 0);
      zip_int64_t index = zip_file_add(archive, entry.name.c_str(), source, ZIP_FL_ENC_UTF_8);
      EXPECT_GE(index, 0);
      EXPECT_EQ(
          zip_set_file_compression(archive, static_cast<zip_uint64_t>(index), entry.method, 0), 0);
    }
    EXPECT_EQ(zip_close(archive), 0);
    return path;
  }

  std::filesystem::path write_file(const std::string& file, const std::string& bytes) {
    auto path = dir_ / file;
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }

  static std::string slurp(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  /// Reads a whole entry through small buffers, as a streaming reader would.
  static std::string read_all(const ZipArchive& archive, const std::string& name) {
    for (const auto& entry : archive.entries()) {
      if (entry.name == name) {
        auto source = archive.open(entry);
        std::string out;
        char buf[4096];
        while (std::size_t n = source->read(buf)) {
          out.append(buf, n);
        }
        EXPECT_EQ(source->read(buf), 0u);
        return out;
      }
    }
    ADD_FAILURE() << "no entry " << name;
    return {};
  }

  /// Text that compresses but not to nothing, so a flipped byte lands in real deflate data.
  static std::string sample_csv(std::size_t rows) {
    std::string text = "id,title,popularity\n";
    std::uint64_t x = 88172645463325252ull;
    for (std::size_t i = 0; i < rows; ++i) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      text += std::to_string(i) + ",Movie " + std::to_string(x % 100000) + "," +
              std::to_string(x % 1000) + "." + std::to_string(x % 997) + "\n";
    }
    return text;
  }

  static ExitCode code_of_opening_and_reading(const std::filesystem::path& path,
                                              std::string* message) {
    try {
      ZipArchive archive(path);
      for (const auto& entry : archive.entries()) {
        auto source = archive.open(entry);
        char buf[1000];
        while (source->read(buf) > 0) {
        }
      }
    } catch (const Error& e) {
      *message = e.what();
      return e.code();
    }
    return ExitCode::kOk;
  }

  std::filesystem::path dir_;
};

TEST_F(ZipArchiveTest, ReadsStoredAndDeflatedEntries) {
  std::string csv = sample_csv(5000);
  auto path = write_zip("mixed.zip",
                        {{"stored.csv", csv, ZIP_CM_STORE}, {"deflated.csv", csv, ZIP_CM_DEFLATE}});
  ZipArchive archive(path);
  ASSERT_EQ(archive.entries().size(), 2u);
  EXPECT_EQ(archive.entries()[0].name, "stored.csv");
  EXPECT_EQ(archive.entries()[0].size, csv.size());
  EXPECT_EQ(archive.entries()[0].compressed_size, csv.size());
  EXPECT_LT(archive.entries()[1].compressed_size, csv.size());
  EXPECT_EQ(archive.entries()[0].crc, archive.entries()[1].crc);
  EXPECT_EQ(read_all(archive, "stored.csv"), csv);
  EXPECT_EQ(read_all(archive, "deflated.csv"), csv);
  EXPECT_EQ(archive.path(), path);
}

TEST_F(ZipArchiveTest, SourceIsNamedAfterEntryAndArchive) {
  auto path = write_zip("named.zip", {{"links.csv", "movieId\r\n1\r\n"}});
  ZipArchive archive(path);
  auto source = archive.open(archive.entries().at(0));
  EXPECT_EQ(source->name(), "links.csv in " + path.string());
}

TEST_F(ZipArchiveTest, EmptyEntryReadsAsEndOfInput) {
  auto path = write_zip("empty_entry.zip", {{"ratings.csv", ""}});
  ZipArchive archive(path);
  EXPECT_EQ(read_all(archive, "ratings.csv"), "");
}

TEST_F(ZipArchiveTest, DirectoryEntriesAreListed) {
  auto path = write_zip("dirs.zip", {{"data/", ""}, {"data/links.csv", "a\n"}});
  ZipArchive archive(path);
  ASSERT_EQ(archive.entries().size(), 2u);
  EXPECT_EQ(archive.entries()[0].name, "data/");
  EXPECT_EQ(archive.entries()[0].size, 0u);
  EXPECT_EQ(read_all(archive, "data/links.csv"), "a\n");
}

TEST_F(ZipArchiveTest, EntryNamedLikeAPathIsOnlyAName) {
  auto path = write_zip("evil.zip", {{"../../x.csv", "id\n1\n"}});
  ZipArchive archive(path);
  ASSERT_EQ(archive.entries().size(), 1u);
  EXPECT_EQ(archive.entries()[0].name, "../../x.csv");
  EXPECT_EQ(read_all(archive, "../../x.csv"), "id\n1\n");
  EXPECT_FALSE(std::filesystem::exists(dir_.parent_path().parent_path() / "x.csv"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "x.csv"));
}

TEST_F(ZipArchiveTest, ReadsZip64ArchiveWrittenByInfoZip) {
  if (std::system("command -v zip >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "Info-ZIP zip is not installed";
  }
  std::string csv = sample_csv(3000);
  write_file("movies_metadata.csv", csv);
  write_file("links.csv", "movieId,imdbId,tmdbId\r\n1,0114709,862\r\n");
  auto zip_path = dir_ / "zip64.zip";
  // -fz forces ZIP64 extra fields; -0 stores links.csv; the piped entry uses a data descriptor.
  std::string command = "cd '" + dir_.string() + "' && zip -q -fz zip64.zip movies_metadata.csv" +
                        " && zip -q -fz -0 zip64.zip links.csv" +
                        " && printf 'streamed\\n' | zip -q -fz zip64.zip -";
  ASSERT_EQ(std::system(command.c_str()), 0);

  std::string bytes = slurp(zip_path);
  ASSERT_NE(bytes.find(std::string("PK\x06\x06", 4)), std::string::npos)
      << "zip -fz wrote no ZIP64 end of central directory";

  ZipArchive archive(zip_path);
  ASSERT_EQ(archive.entries().size(), 3u);
  EXPECT_EQ(read_all(archive, "movies_metadata.csv"), csv);
  EXPECT_EQ(read_all(archive, "links.csv"), "movieId,imdbId,tmdbId\r\n1,0114709,862\r\n");
  EXPECT_EQ(read_all(archive, "-"), "streamed\n");
}

TEST_F(ZipArchiveTest, CorruptByteInDeflatedEntryFailsNamingTheEntry) {
  std::string csv = sample_csv(20000);
  auto path = write_zip("corrupt.zip", {{"movies_metadata.csv", csv, ZIP_CM_DEFLATE}});
  std::uint64_t compressed = 0;
  {
    ZipArchive archive(path);
    compressed = archive.entries().at(0).compressed_size;
  }
  std::string bytes = slurp(path);
  // Local header: 30 bytes + name + extra field; flip a byte in the middle of the data.
  std::size_t name_len =
      static_cast<unsigned char>(bytes[26]) | (static_cast<unsigned char>(bytes[27]) << 8);
  std::size_t extra_len =
      static_cast<unsigned char>(bytes[28]) | (static_cast<unsigned char>(bytes[29]) << 8);
  std::size_t data = 30 + name_len + extra_len;
  bytes[data + compressed / 2] ^= 0x55;
  write_file("corrupt.zip", bytes);

  std::string message;
  EXPECT_EQ(code_of_opening_and_reading(path, &message), ExitCode::kBadData);
  EXPECT_THAT(message, HasSubstr("entry movies_metadata.csv"));
  EXPECT_THAT(message, HasSubstr(path.string()));
  EXPECT_THAT(message, HasSubstr("download it again"));
}

TEST_F(ZipArchiveTest, CorruptByteInStoredEntryIsACrcMismatch) {
  std::string csv = sample_csv(100);
  auto path = write_zip("crc.zip", {{"links.csv", csv, ZIP_CM_STORE}});
  std::string bytes = slurp(path);
  std::size_t at = bytes.find("Movie");
  ASSERT_NE(at, std::string::npos);
  bytes[at] = 'N';
  write_file("crc.zip", bytes);

  std::string message;
  EXPECT_EQ(code_of_opening_and_reading(path, &message), ExitCode::kBadData);
  EXPECT_THAT(message, HasSubstr("entry links.csv: CRC mismatch"));
}

TEST_F(ZipArchiveTest, TruncatedArchiveFails) {
  auto path = write_zip("truncated.zip", {{"movies_metadata.csv", sample_csv(5000)}});
  std::string bytes = slurp(path);
  write_file("truncated.zip", bytes.substr(0, bytes.size() / 2));

  std::string message;
  EXPECT_EQ(code_of_opening_and_reading(path, &message), ExitCode::kBadData);
  EXPECT_THAT(message, HasSubstr(path.string()));
}

TEST_F(ZipArchiveTest, ArchiveWithBytesCutFromTheMiddleFails) {
  std::string csv = sample_csv(5000);
  auto path = write_zip("cut.zip", {{"a.csv", csv, ZIP_CM_STORE}, {"b.csv", csv, ZIP_CM_STORE}});
  std::string bytes = slurp(path);
  bytes.erase(1000, 500);
  write_file("cut.zip", bytes);

  std::string message;
  EXPECT_EQ(code_of_opening_and_reading(path, &message), ExitCode::kBadData);
  EXPECT_THAT(message, HasSubstr(path.string()));
}

TEST_F(ZipArchiveTest, NonZipFileFailsNamingTheFile) {
  auto path = write_file("movies.zip", "id,title\n1,Toy Story\n");
  try {
    ZipArchive archive(path);
    FAIL() << "opened a CSV file as a ZIP archive";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kBadData);
    EXPECT_THAT(e.what(), HasSubstr(path.string()));
    EXPECT_THAT(e.what(), HasSubstr("not a ZIP archive"));
  }
}

TEST_F(ZipArchiveTest, EmptyFileIsNotAnArchive) {
  auto path = write_file("empty.zip", "");
  try {
    ZipArchive archive(path);
    FAIL() << "opened an empty file as a ZIP archive";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kBadData);
    EXPECT_THAT(e.what(), HasSubstr(path.string()));
  }
}

TEST_F(ZipArchiveTest, MissingFileIsASourceError) {
  try {
    ZipArchive archive(dir_ / "missing.zip");
    FAIL() << "opened a missing file";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::kSource);
    EXPECT_THAT(e.what(), HasSubstr("missing.zip"));
  }
}

TEST_F(ZipArchiveTest, SourceOutlivesTheArchiveObject) {
  std::string csv = sample_csv(2000);
  auto path = write_zip("outlive.zip", {{"keywords.csv", csv}});
  std::unique_ptr<ByteSource> source;
  {
    ZipArchive archive(path);
    source = archive.open(archive.entries().at(0));
  }
  std::string out;
  char buf[777];
  while (std::size_t n = source->read(buf)) {
    out.append(buf, n);
  }
  EXPECT_EQ(out, csv);
}

}  // namespace
}  // namespace marquee::format
