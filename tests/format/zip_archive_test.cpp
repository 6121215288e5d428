#include "format/zip_archive.hpp"

#include <unistd.h>
#include <zip.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <span>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.hpp"

namespace marquee::format {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;

/// The ways a corrupt deflated entry is reported, whichever inflater reads it.
auto IsCorruptDataMessage() {
  return AnyOf(HasSubstr("invalid compressed data ("), HasSubstr("CRC mismatch"),
               HasSubstr("truncated data ("), HasSubstr("more data than the "));
}

struct TestEntry {
  std::string name;
  std::string data;
  std::int32_t method = ZIP_CM_DEFLATE;
  const char* password = nullptr;  ///< set: the entry is encrypted (traditional PKWARE)
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
      if (entry.password != nullptr) {
        EXPECT_EQ(zip_file_set_encryption(archive, static_cast<zip_uint64_t>(index),
                                          ZIP_EM_TRAD_PKWARE, entry.password),
                  0);
      }
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

  /// Reads a whole entry with read sizes taken in turn from `sizes`, so that every boundary of
  /// the inflater's buffers falls inside some read.
  static std::string read_all_in_sizes(const ZipArchive& archive, const std::string& name,
                                       const std::vector<std::size_t>& sizes) {
    auto source = archive.open(find_entry(archive, name));
    std::string out;
    std::vector<char> buf(*std::max_element(sizes.begin(), sizes.end()));
    for (std::size_t i = 0;; ++i) {
      std::size_t n = source->read(std::span<char>(buf.data(), sizes[i % sizes.size()]));
      if (n == 0) {
        break;
      }
      out.append(buf.data(), n);
    }
    EXPECT_EQ(source->read(buf), 0u);
    return out;
  }

  static ZipEntry find_entry(const ZipArchive& archive, const std::string& name) {
    for (const auto& entry : archive.entries()) {
      if (entry.name == name) {
        return entry;
      }
    }
    ADD_FAILURE() << "no entry " << name;
    return {};
  }

  /// A few MB that deflate emits as every kind of block: text with short matches (dynamic
  /// Huffman blocks), long runs (long matches at distance 1), and random bytes, which zlib keeps
  /// as stored blocks inside the deflate stream.
  static std::string varied_data(std::size_t bytes) {
    std::string data;
    std::uint64_t x = 0x9E3779B97F4A7C15ull;
    auto next = [&x] {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      return x;
    };
    while (data.size() < bytes) {
      switch (next() % 3) {
        case 0:
          data += sample_csv(1 + next() % 2000);
          break;
        case 1:
          data.append(1 + next() % 100000, static_cast<char>('a' + next() % 26));
          break;
        default:
          for (std::size_t i = 0, n = 1 + next() % 70000; i < n; ++i) {
            data += static_cast<char>(next() & 0xff);
          }
      }
    }
    data.resize(bytes);
    return data;
  }

  static std::uint32_t get_u32(const std::string& bytes, std::size_t at) {
    std::uint32_t value = 0;
    for (int i = 3; i >= 0; --i) {
      value = (value << 8) | static_cast<unsigned char>(bytes[at + static_cast<std::size_t>(i)]);
    }
    return value;
  }

  static void put_u32(std::string& bytes, std::size_t at, std::uint32_t value) {
    for (int i = 0; i < 4; ++i) {
      bytes[at + static_cast<std::size_t>(i)] = static_cast<char>((value >> (8 * i)) & 0xff);
    }
  }

  /// Where the data of the first entry starts: after its local header (30 bytes, name, extra).
  static std::size_t first_entry_data(const std::string& bytes) {
    std::size_t name_len =
        static_cast<unsigned char>(bytes[26]) | (static_cast<unsigned char>(bytes[27]) << 8);
    std::size_t extra_len =
        static_cast<unsigned char>(bytes[28]) | (static_cast<unsigned char>(bytes[29]) << 8);
    return 30 + name_len + extra_len;
  }

  /// Rewrites a field of the only entry of an archive in its local header and in its central
  /// directory record alike, so that the archive stays consistent and only the data disagrees.
  /// Field offsets are the local header's: CRC-32 14, compressed size 18, size 22.
  static void patch_only_entry(std::string& bytes, std::size_t local_offset, std::uint32_t value) {
    std::size_t central = bytes.find(std::string("PK\x01\x02", 4));
    ASSERT_NE(central, std::string::npos);
    ASSERT_EQ(bytes.find(std::string("PK\x01\x02", 4), central + 4), std::string::npos);
    put_u32(bytes, local_offset, value);
    put_u32(bytes, central + local_offset + 2, value);  // the central record has 2 more bytes
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
  const std::uint64_t compressed = ZipArchive(path).entries().at(0).compressed_size;
  std::string bytes = slurp(path);
  bytes[first_entry_data(bytes) + compressed / 2] ^= 0x55;
  write_file("corrupt.zip", bytes);

  std::string message;
  EXPECT_EQ(code_of_opening_and_reading(path, &message), ExitCode::kBadData);
  EXPECT_THAT(message, HasSubstr("entry movies_metadata.csv"));
  EXPECT_THAT(message, HasSubstr(path.string()));
  // Which check catches a flipped byte depends on what the rest decodes to (here, with zlib and
  // with ISA-L alike: more bytes than the directory declares).
  EXPECT_THAT(message, IsCorruptDataMessage());
  EXPECT_THAT(message, HasSubstr("download it again"));
}

TEST_F(ZipArchiveTest, DeflatedEntryReadsBackExactlyThroughAnyReadSize) {
  std::string data = varied_data(3 << 20);
  auto path =
      write_zip("varied.zip", {{"ratings.csv", data, ZIP_CM_DEFLATE},
                               {"ratings_small.csv", data.substr(0, 300000), ZIP_CM_STORE}});
  ZipArchive archive(path);
  const ZipEntry& deflated = archive.entries().at(0);
  ASSERT_EQ(deflated.size, data.size());
  ASSERT_LT(deflated.compressed_size, data.size());
  // Tiny reads land every inflater and input-buffer boundary inside a read; large ones take the
  // whole output at once.
  EXPECT_EQ(read_all_in_sizes(archive, "ratings.csv", {1, 2, 3, 4, 5, 6, 7}), data);
  EXPECT_EQ(read_all_in_sizes(archive, "ratings.csv", {65536}), data);
  EXPECT_EQ(read_all_in_sizes(archive, "ratings.csv", {7, 65536, 1, (1 << 20) + 3, 4096}), data);
  EXPECT_EQ(read_all_in_sizes(archive, "ratings.csv", {8 << 20}), data);
  EXPECT_EQ(read_all_in_sizes(archive, "ratings_small.csv", {1, 2, 3, 4, 5, 6, 7}),
            data.substr(0, 300000));
}

TEST_F(ZipArchiveTest, EveryFlippedByteOfADeflatedEntryIsBadDataNeverACrash) {
  std::string data = varied_data(400000);
  auto path = write_zip("flips.zip", {{"credits.csv", data, ZIP_CM_DEFLATE}});
  const std::uint64_t compressed = ZipArchive(path).entries().at(0).compressed_size;
  const std::string good = slurp(path);
  const std::size_t data_at = first_entry_data(good);
  for (std::uint64_t i = 0; i < 64; ++i) {
    std::string bytes = good;
    std::size_t at = data_at + static_cast<std::size_t>(i * compressed / 64);
    bytes[at] = static_cast<char>(~bytes[at]);
    write_file("flips.zip", bytes);

    std::string message;
    EXPECT_EQ(code_of_opening_and_reading(path, &message), ExitCode::kBadData)
        << "flipped byte " << at - data_at << " of " << compressed;
    EXPECT_THAT(message, HasSubstr("entry credits.csv: "));
    EXPECT_THAT(message, IsCorruptDataMessage());
    EXPECT_THAT(message, HasSubstr("download it again"));
  }
}

TEST_F(ZipArchiveTest, WrongCrcInDirectoryIsACrcMismatch) {
  std::string csv = sample_csv(20000);
  auto path = write_zip("wrong_crc.zip", {{"keywords.csv", csv, ZIP_CM_DEFLATE}});
  std::string bytes = slurp(path);
  patch_only_entry(bytes, 14, get_u32(bytes, 14) ^ 0x00010000);
  write_file("wrong_crc.zip", bytes);

  std::string message;
  EXPECT_EQ(code_of_opening_and_reading(path, &message), ExitCode::kBadData);
  EXPECT_THAT(message, HasSubstr("entry keywords.csv: CRC mismatch"));
  EXPECT_THAT(message, HasSubstr("download it again"));
}

TEST_F(ZipArchiveTest, TruncatedDeflateStreamFailsWithoutHanging) {
  std::string data = varied_data(1 << 20);
  auto path = write_zip("cut_stream.zip", {{"ratings.csv", data, ZIP_CM_DEFLATE}});
  const std::string good = slurp(path);
  const std::uint32_t compressed = get_u32(good, 18);
  // The directory declares fewer compressed bytes, so the deflate stream stops inside its data:
  // each cut, down to a single byte, must fail rather than wait for more input.
  for (std::uint32_t cut : {compressed - 5, compressed / 2, 1u}) {
    std::string bytes = good;
    patch_only_entry(bytes, 18, cut);
    write_file("cut_stream.zip", bytes);

    std::string message;
    EXPECT_EQ(code_of_opening_and_reading(path, &message), ExitCode::kBadData)
        << cut << " of " << compressed << " compressed bytes";
    EXPECT_THAT(message, HasSubstr("entry ratings.csv: "));
    EXPECT_THAT(message, IsCorruptDataMessage());
    EXPECT_THAT(message, HasSubstr("download it again"));
  }
}

TEST_F(ZipArchiveTest, DeflateStreamCutAfterItsLastByteOfOutputIsTruncated) {
#ifndef MARQUEE_HAVE_ISAL
  GTEST_SKIP() << "libzip takes the end of the compressed bytes for the end of the stream; the "
                  "CRC-32 and the size it checks are those of complete data";
#endif
  std::string data = varied_data(1 << 20);
  auto path = write_zip("cut_end.zip", {{"ratings.csv", data, ZIP_CM_DEFLATE}});
  std::string bytes = slurp(path);
  // The last byte holds the end of the final block, after every byte of output.
  patch_only_entry(bytes, 18, get_u32(bytes, 18) - 1);
  write_file("cut_end.zip", bytes);

  std::string message;
  EXPECT_EQ(code_of_opening_and_reading(path, &message), ExitCode::kBadData);
  EXPECT_THAT(message,
              HasSubstr("entry ratings.csv: truncated data (" + std::to_string(data.size()) +
                        " of " + std::to_string(data.size()) + " bytes"));
}

TEST_F(ZipArchiveTest, DeflatedEntryShorterThanItsDeclaredSizeFails) {
  std::string csv = sample_csv(20000);
  auto path = write_zip("short.zip", {{"links.csv", csv, ZIP_CM_DEFLATE}});
  std::string bytes = slurp(path);
  patch_only_entry(bytes, 22, static_cast<std::uint32_t>(csv.size() + 10));
  write_file("short.zip", bytes);

  std::string message;
  EXPECT_EQ(code_of_opening_and_reading(path, &message), ExitCode::kBadData);
  EXPECT_THAT(message, HasSubstr("entry links.csv: truncated data (" + std::to_string(csv.size()) +
                                 " of " + std::to_string(csv.size() + 10) + " bytes"));
}

TEST_F(ZipArchiveTest, DeflatedEntryLongerThanItsDeclaredSizeFails) {
  std::string csv = sample_csv(20000);
  auto path = write_zip("long.zip", {{"links.csv", csv, ZIP_CM_DEFLATE}});
  std::string bytes = slurp(path);
  patch_only_entry(bytes, 22, static_cast<std::uint32_t>(csv.size() - 10));
  write_file("long.zip", bytes);

  std::string message;
  EXPECT_EQ(code_of_opening_and_reading(path, &message), ExitCode::kBadData);
  EXPECT_THAT(message,
              HasSubstr("entry links.csv: more data than the " + std::to_string(csv.size() - 10) +
                        " bytes the directory declares"));
}

TEST_F(ZipArchiveTest, EncryptedEntryIsReportedAsEncrypted) {
  auto path = write_zip("secret.zip",
                        {{"movies_metadata.csv", sample_csv(1000), ZIP_CM_DEFLATE, "secret"}});
  std::string message;
  EXPECT_EQ(code_of_opening_and_reading(path, &message), ExitCode::kBadData);
  EXPECT_THAT(message, HasSubstr("entry movies_metadata.csv: the entry is encrypted"));
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
