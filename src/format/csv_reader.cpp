#include "format/csv_reader.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <memory>

#include <fmt/format.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define MARQUEE_CSV_X86 1
#endif

#include "common/error.hpp"

// Choices where RFC 4180 and SPEC 3.2 are silent:
// - Text after a closing quote is kept as ordinary characters of the same field: `"ab"c,` reads
//   as `abc`, and a quote in that text is ordinary too (`"ab"c"d"` reads as `abc"d"`). This is
//   what Python's csv module does, so fields that pandas saw are read the same way here.
// - A quote opens a quoted field only as the field's first byte; anywhere else it is ordinary.
// - An empty line is a record with one empty field; completely empty input (or only a BOM) is no
//   record at all. The record rules then reject an empty line for its field count.
// - A bare CR at the very end of the input is an ordinary character of the last field.
// - A buffer_size of 0 is read as 1.
//
// How it is fast: every byte read is classified once, right after the read, into two bitmaps
// (one bit a byte): the bytes that may end an unquoted field (`,` LF CR) and the bytes that
// matter inside quotes (`"` LF). The parser then jumps from one such byte to the next with bit
// arithmetic, and fields are views into the read buffer; only fields holding `""` are copied.

namespace marquee::format {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";
constexpr std::size_t kWord = 64;  // bytes per bitmap word

// Classifies the bytes [first_word * 64, last_word * 64 + 64) of `data` into the two bitmaps.
using ClassifyFn = void (*)(const char* data, std::size_t first_word, std::size_t last_word,
                            std::uint64_t* field_ends, std::uint64_t* quote_or_lf);

#if !defined(MARQUEE_CSV_X86)
void classify_portable(const char* data, std::size_t first_word, std::size_t last_word,
                       std::uint64_t* field_ends, std::uint64_t* quote_or_lf) {
  for (std::size_t w = first_word; w <= last_word; ++w) {
    const char* p = data + w * kWord;
    std::uint64_t ends = 0;
    std::uint64_t quotes = 0;
    for (std::size_t i = 0; i < kWord; ++i) {
      const char c = p[i];
      ends |= std::uint64_t{c == ',' || c == '\n' || c == '\r'} << i;
      quotes |= std::uint64_t{c == '"' || c == '\n'} << i;
    }
    field_ends[w] = ends;
    quote_or_lf[w] = quotes;
  }
}
#else
__attribute__((target("avx2"))) void classify_avx2(const char* data, std::size_t first_word,
                                                   std::size_t last_word, std::uint64_t* field_ends,
                                                   std::uint64_t* quote_or_lf) {
  const __m256i quote = _mm256_set1_epi8('"');
  const __m256i comma = _mm256_set1_epi8(',');
  const __m256i lf = _mm256_set1_epi8('\n');
  const __m256i cr = _mm256_set1_epi8('\r');
  for (std::size_t w = first_word; w <= last_word; ++w) {
    const char* p = data + w * kWord;
    const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    const __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32));
    const __m256i lo_lf = _mm256_cmpeq_epi8(lo, lf);
    const __m256i hi_lf = _mm256_cmpeq_epi8(hi, lf);
    const auto lo_ends = static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_or_si256(
        _mm256_or_si256(_mm256_cmpeq_epi8(lo, comma), lo_lf), _mm256_cmpeq_epi8(lo, cr))));
    const auto hi_ends = static_cast<std::uint32_t>(_mm256_movemask_epi8(_mm256_or_si256(
        _mm256_or_si256(_mm256_cmpeq_epi8(hi, comma), hi_lf), _mm256_cmpeq_epi8(hi, cr))));
    const auto lo_quotes = static_cast<std::uint32_t>(
        _mm256_movemask_epi8(_mm256_or_si256(_mm256_cmpeq_epi8(lo, quote), lo_lf)));
    const auto hi_quotes = static_cast<std::uint32_t>(
        _mm256_movemask_epi8(_mm256_or_si256(_mm256_cmpeq_epi8(hi, quote), hi_lf)));
    field_ends[w] = lo_ends | (std::uint64_t{hi_ends} << 32);
    quote_or_lf[w] = lo_quotes | (std::uint64_t{hi_quotes} << 32);
  }
}

void classify_sse2(const char* data, std::size_t first_word, std::size_t last_word,
                   std::uint64_t* field_ends, std::uint64_t* quote_or_lf) {
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i comma = _mm_set1_epi8(',');
  const __m128i lf = _mm_set1_epi8('\n');
  const __m128i cr = _mm_set1_epi8('\r');
  for (std::size_t w = first_word; w <= last_word; ++w) {
    const char* p = data + w * kWord;
    std::uint64_t ends = 0;
    std::uint64_t quotes = 0;
    for (int k = 0; k < 4; ++k) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
      const __m128i is_lf = _mm_cmpeq_epi8(v, lf);
      const auto e = static_cast<std::uint32_t>(_mm_movemask_epi8(
          _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, comma), is_lf), _mm_cmpeq_epi8(v, cr))));
      const auto q = static_cast<std::uint32_t>(
          _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, quote), is_lf)));
      ends |= std::uint64_t{e} << (16 * k);
      quotes |= std::uint64_t{q} << (16 * k);
    }
    field_ends[w] = ends;
    quote_or_lf[w] = quotes;
  }
}
#endif

ClassifyFn pick_classify() {
#if defined(MARQUEE_CSV_X86)
  return __builtin_cpu_supports("avx2") ? classify_avx2 : classify_sse2;
#else
  return classify_portable;
#endif
}

// The first offset at or after `from` (from < stop) whose bit is set, or `stop`. Bits at and
// past `stop` are always clear: the last word is masked after each read.
[[gnu::always_inline]] inline std::size_t find(const std::uint64_t* bits, std::size_t from,
                                               std::size_t stop) {
  std::size_t w = from / kWord;
  const std::uint64_t first = bits[w] >> (from % kWord);
  if (first != 0) {
    return from + static_cast<std::size_t>(std::countr_zero(first));
  }
  const std::size_t last = (stop - 1) / kWord;
  while (++w <= last) {
    if (bits[w] != 0) {
      return w * kWord + static_cast<std::size_t>(std::countr_zero(bits[w]));
    }
  }
  return stop;
}

// Unquotes a quoted field's raw bytes (starting at its opening quote): `""` is one quote, and
// whatever follows the closing quote is ordinary text.
void unquote_into(std::string_view raw, std::string& out) {
  std::size_t i = 1;
  for (;;) {
    const std::size_t quote = raw.find('"', i);
    if (quote == std::string_view::npos) {
      out.append(raw.substr(i));  // not reached: a field to unquote has its closing quote
      return;
    }
    out.append(raw.substr(i, quote - i));
    if (quote + 1 < raw.size() && raw[quote + 1] == '"') {
      out.push_back('"');
      i = quote + 2;
    } else {
      out.append(raw.substr(quote + 1));
      return;
    }
  }
}

}  // namespace

struct CsvReader::Impl {
  enum class Mode : std::uint8_t { kFieldStart, kUnquoted, kQuoted };

  // Where the parse of the current record stands, so that it can resume after a read. The scan
  // works on a local copy, which the compiler keeps in registers.
  struct Cursor {
    std::size_t pos = 0;           ///< next byte to look at
    std::size_t field_begin = 0;   ///< first raw byte of the current field
    std::size_t quote_close = 0;   ///< the closing quote of the current quoted field
    std::uint64_t quoted_lfs = 0;  ///< LFs inside quotes so far in this record
    std::uint64_t quote_line = 0;  ///< line where the open quote opened
    Mode mode = Mode::kFieldStart;
    bool field_quoted = false;
    bool field_escaped = false;  ///< the quoted field holds `""`
  };

  Impl(ByteSource& src, CsvOptions opts)
      : source(src), options(opts), chunk(std::max<std::size_t>(opts.buffer_size, 1)) {
    reserve(2 * chunk);
  }

  ByteSource& source;
  CsvOptions options;
  std::size_t chunk;
  ClassifyFn classify = pick_classify();

  // The bytes read and not yet consumed, with kWord bytes to spare past `capacity` so that the
  // last word can be classified whole; and their two bitmaps, a word for each kWord bytes.
  std::unique_ptr<char[]> buf;
  std::size_t capacity = 0;
  std::vector<std::uint64_t> field_ends;
  std::vector<std::uint64_t> quote_or_lf;

  std::size_t begin = 0;  ///< start of the current record in buf
  std::size_t end = 0;    ///< end of the bytes read so far
  bool eof = false;
  bool started = false;
  std::uint64_t line = 1;  ///< line where the current record starts
  Cursor cursor;
  // The fields of the current record as views into buf, moved along when buf moves while a
  // record straddles reads; handed to the caller by swapping vectors, so no copy.
  std::vector<std::string_view> fields;
  std::vector<std::size_t> to_unquote;    ///< fields holding `""`, or text after their quote
  std::string scratch;                    ///< the unquoted text of those fields
  std::vector<std::size_t> scratch_ends;  ///< where each of them ends in scratch

  bool next(CsvRecord& out);
  bool scan(CsvRecord& out);
  bool fill();
  void reserve(std::size_t bytes);
  void skip_bom();
  void move_fields(const char* old_base, std::size_t shift);
  void finish_field(Cursor& c, std::size_t field_end);
  void emit(std::size_t raw_end, std::size_t next_begin, CsvRecord& out);
  [[noreturn]] void throw_too_long() const;
  [[noreturn]] void throw_unclosed_quote() const;
};

void CsvReader::Impl::reserve(std::size_t bytes) {
  // Zeroed, so that the spare bytes past `end` that get classified were written at least once.
  auto bigger = std::make_unique<char[]>(bytes + kWord);
  if (end > 0) {
    std::memcpy(bigger.get(), buf.get(), end);
  }
  buf = std::move(bigger);
  capacity = bytes;
  field_ends.resize(bytes / kWord + 1);
  quote_or_lf.resize(bytes / kWord + 1);
}

// Reads one more chunk behind the bytes of the current record; false at the end of input.
bool CsvReader::Impl::fill() {
  if (eof) {
    return false;
  }
  std::size_t unclassified = end;
  if (capacity - end < chunk && begin > 0) {
    const std::size_t shift = begin;
    std::memmove(buf.get(), buf.get() + shift, end - shift);
    move_fields(buf.get(), shift);
    begin = 0;
    end -= shift;
    cursor.pos -= shift;
    cursor.field_begin -= shift;
    cursor.quote_close -= std::min(cursor.quote_close, shift);
    unclassified = 0;
  }
  if (capacity - end < chunk) {
    // Doubling, but not far past what the longest allowed record needs.
    const std::size_t longest = options.max_record_bytes < (std::size_t{1} << 40)
                                    ? options.max_record_bytes + 2 + chunk
                                    : capacity * 2;
    const char* const old_base = buf.get();
    reserve(std::max(end + chunk, std::min(capacity * 2, longest)));
    move_fields(old_base, 0);
  }
  const std::size_t n = source.read(std::span<char>(buf.get() + end, chunk));
  if (n == 0) {
    eof = true;
    return false;
  }
  end += n;
  const std::size_t last_word = (end - 1) / kWord;
  classify(buf.get(), unclassified / kWord, last_word, field_ends.data(), quote_or_lf.data());
  if (end % kWord != 0) {
    const std::uint64_t valid = (std::uint64_t{1} << (end % kWord)) - 1;
    field_ends[last_word] &= valid;
    quote_or_lf[last_word] &= valid;
  }
  return true;
}

void CsvReader::Impl::skip_bom() {
  while (end < kBom.size() && fill()) {
  }
  if (end >= kBom.size() && std::string_view(buf.get(), kBom.size()) == kBom) {
    begin = cursor.pos = cursor.field_begin = kBom.size();
  }
}

// The bytes that were at old_base + shift + k are now at buf + k.
void CsvReader::Impl::move_fields(const char* old_base, std::size_t shift) {
  for (std::string_view& field : fields) {
    const auto offset = static_cast<std::size_t>(field.data() - old_base) - shift;
    field = std::string_view(buf.get() + offset, field.size());
  }
}

[[gnu::always_inline]] inline void CsvReader::Impl::finish_field(Cursor& c, std::size_t field_end) {
  const char* const data = buf.get();
  if (!c.field_quoted) {
    fields.emplace_back(data + c.field_begin, field_end - c.field_begin);
  } else if (!c.field_escaped && c.quote_close + 1 == field_end) {
    fields.emplace_back(data + c.field_begin + 1, c.quote_close - c.field_begin - 1);
  } else {
    to_unquote.push_back(fields.size());
    fields.emplace_back(data + c.field_begin, field_end - c.field_begin);  // raw, for now
  }
  c.field_quoted = false;
  c.field_escaped = false;
}

// Scans on from the cursor; true with the record in `out` once its end is found, false when the
// next decision needs bytes not read yet. A state machine whose state is where the code is (the
// labels), which keeps the per-field work to a few instructions; the mode is stored only when
// the scan stops for more bytes.
bool CsvReader::Impl::scan(CsvRecord& out) {
  Cursor c = cursor;
  const char* const data = buf.get();
  const std::uint64_t* const ends = field_ends.data();
  const std::uint64_t* const quotes = quote_or_lf.data();
  const std::size_t stop = end;
  const std::size_t last_word = stop == 0 ? 0 : (stop - 1) / kWord;
  std::size_t word = 0;
  std::uint64_t bits = 0;
  std::size_t raw_end = 0;
  std::size_t next_begin = 0;

  switch (c.mode) {
    case Mode::kFieldStart:
      goto field_start;
    case Mode::kUnquoted:
      goto unquoted;
    case Mode::kQuoted:
      goto quoted;
  }

field_start:
  if (c.pos == stop) {
    c.mode = Mode::kFieldStart;
    goto need_more;
  }
  if (data[c.pos] == '"') {
    c.field_quoted = true;
    c.quote_line = line + c.quoted_lfs;
    ++c.pos;
    goto quoted;
  }

unquoted:
  if (c.pos == stop) {
    c.mode = Mode::kUnquoted;
    goto need_more;
  }
  word = c.pos / kWord;
  bits = ends[word] & (~std::uint64_t{0} << (c.pos % kWord));

unquoted_bits:
  // `bits`: the field ends in `word` at or after c.pos. Unquoted fields, the most frequent, go
  // from one comma to the next by clearing the lowest bit, without going back to memory.
  while (bits == 0) {
    if (++word > last_word) {
      c.pos = stop;
      c.mode = Mode::kUnquoted;
      goto need_more;
    }
    bits = ends[word];
  }
  c.pos = word * kWord + static_cast<std::size_t>(std::countr_zero(bits));
  bits &= bits - 1;
  if (data[c.pos] == ',') {
    finish_field(c, c.pos);
    c.field_begin = ++c.pos;
    if (c.pos == stop || data[c.pos] == '"') {
      goto field_start;
    }
    goto unquoted_bits;
  }
  raw_end = c.pos;
  if (data[c.pos] == '\n') {
    next_begin = c.pos + 1;
    goto record_end;
  }
  if (c.pos + 1 == stop) {
    c.mode = Mode::kUnquoted;  // a CR ending the bytes read: a CRLF, or a bare CR?
    goto need_more;
  }
  if (data[c.pos + 1] == '\n') {
    next_begin = c.pos + 2;
    goto record_end;
  }
  ++c.pos;  // a bare CR is an ordinary character
  goto unquoted_bits;

quoted:
  if (c.pos == stop || (c.pos = find(quotes, c.pos, stop)) == stop) {
    c.mode = Mode::kQuoted;
    goto need_more;
  }
  if (data[c.pos] == '\n') {
    ++c.quoted_lfs;
    ++c.pos;
    goto quoted;
  }
  if (c.pos + 1 == stop) {
    c.mode = Mode::kQuoted;  // a quote ending the bytes read: closing, or the first of `""`?
    goto need_more;
  }
  if (data[c.pos + 1] == '"') {
    c.field_escaped = true;
    c.pos += 2;
    goto quoted;
  }
  c.quote_close = c.pos++;
  goto unquoted;

record_end:
  finish_field(c, raw_end);
  cursor = c;
  emit(raw_end, next_begin, out);
  return true;

need_more:
  cursor = c;
  return false;
}

void CsvReader::Impl::emit(std::size_t raw_end, std::size_t next_begin, CsvRecord& out) {
  if (raw_end - begin > options.max_record_bytes) {
    throw_too_long();
  }
  if (!to_unquote.empty()) {
    // Unquote everything first: scratch must not grow once views into it exist.
    scratch.clear();
    scratch_ends.clear();
    for (const std::size_t i : to_unquote) {
      unquote_into(fields[i], scratch);
      scratch_ends.push_back(scratch.size());
    }
    std::size_t from = 0;
    for (std::size_t k = 0; k < to_unquote.size(); ++k) {
      fields[to_unquote[k]] = std::string_view(scratch.data() + from, scratch_ends[k] - from);
      from = scratch_ends[k];
    }
    to_unquote.clear();
  }
  out.fields.swap(fields);
  fields.clear();
  const char* const base = buf.get() + begin;
  out.line = line;
  out.raw = std::string_view(base, raw_end - begin);

  line += cursor.quoted_lfs + 1;
  begin = next_begin;
  cursor = {};
  cursor.pos = cursor.field_begin = next_begin;
}

void CsvReader::Impl::throw_too_long() const {
  // A file whose lines end with CR only reads as one record (a bare CR is no line end): say so
  // rather than suggest a larger limit. One bare CR is no sign of it: real overviews hold one.
  // Every caller holds more than max_record_bytes of the record; looking at exactly the first
  // max_record_bytes + 1 keeps the message the same whatever the buffer size.
  const std::string_view record(buf.get() + begin,
                                std::min(end - begin, options.max_record_bytes + 1));
  int bare_crs = 0;
  for (std::size_t at = record.find('\r'); at != std::string_view::npos && bare_crs < 2;
       at = record.find('\r', at + 1)) {
    if (at + 1 < record.size() && record[at + 1] != '\n') ++bare_crs;
  }
  const bool bare_cr = bare_crs >= 2;
  throw Error(ExitCode::kBadData,
              bare_cr ? fmt::format("{}: line {}: a record is longer than {} bytes "
                                    "(--max-record-bytes) and holds bare CRs: the file's lines "
                                    "seem to end with CR only (old Mac line ends), which are no "
                                    "line ends in this CSV dialect — convert them to LF (for "
                                    "example with tr '\\r' '\\n') and stage the file again",
                                    source.name(), line, options.max_record_bytes)
                      : fmt::format("{}: line {}: a record is longer than {} bytes "
                                    "(--max-record-bytes); check that the file is this CSV, or "
                                    "raise --max-record-bytes",
                                    source.name(), line, options.max_record_bytes));
}

void CsvReader::Impl::throw_unclosed_quote() const {
  throw Error(ExitCode::kBadData,
              fmt::format("{}: line {}: a quoted field opened here is never closed; every record "
                          "after it would vanish into one field — fix the quote in the file",
                          source.name(), cursor.quote_line));
}

bool CsvReader::Impl::next(CsvRecord& out) {
  if (!started) {
    started = true;
    skip_bom();
  }
  for (;;) {
    if (scan(out)) {
      return true;
    }
    if (end - begin > 1 && end - begin - 1 > options.max_record_bytes) {
      throw_too_long();  // even if the last byte is a CR of a CRLF, the record is too long
    }
    if (fill()) {
      continue;
    }
    // End of input: decide what waited for a next byte.
    if (end == begin) {
      return false;
    }
    if (end - begin > options.max_record_bytes) {
      throw_too_long();
    }
    if (cursor.mode == Mode::kQuoted) {
      if (cursor.pos == end) {
        throw_unclosed_quote();
      }
      cursor.quote_close = cursor.pos;  // the quote at the very end closes the field
    }
    finish_field(cursor, end);
    emit(end, end, out);
    return true;
  }
}

CsvReader::CsvReader(ByteSource& source, CsvOptions options)
    : impl_(std::make_unique<Impl>(source, options)) {}

CsvReader::~CsvReader() = default;

bool CsvReader::next(CsvRecord& out) {
  return impl_->next(out);
}

}  // namespace marquee::format
