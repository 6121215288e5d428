#include "gen/csv_producer.hpp"

#include "format/csv_field.hpp"
#include "gen/names.hpp"
#include "gen/random.hpp"
#include "gen/text.hpp"
#include "gen/vocabulary.hpp"

namespace marquee::gen {
namespace {

/// credits.csv: cast, crew, id. The real file averages 17 cast and 22 crew entries a movie
/// (190 MB); here each movie has at most 8 of each, so that scale 1 is written in seconds while
/// every shape of the real entries (keys, None paths, quotes in names) is still there.
class CreditsProducer final : public CsvProducer {
 public:
  explicit CreditsProducer(const Dataset& data) : data_(data), copies_(data.credit_copies()) {}
  std::string_view entry_name() const override { return "credits.csv"; }
  void report(EntryManifest& entry, Manifest&) const override {
    entry.details["duplicate_copies"] = duplicates_;
    entry.details["conflicting_copies"] = conflicts_;
  }

 protected:
  std::string_view header() const override { return "cast,crew,id\n"; }
  void reset() override {
    movie_ = 0;
    duplicates_ = conflicts_ = 0;
    copies_.reset();
  }
  bool append_rows(std::string& out) override {
    if (movie_ >= data_.plan().movies) {
      return false;
    }
    append_row(out, false);
    count_row();
    auto [first, last] = copies_.events(movie_);
    const Plan& plan = data_.plan();
    for (std::uint64_t k = first; k < last; ++k) {
      // Exactly credit_conflicts of the copies differ, spread among them.
      bool conflicting = (k + 1) * plan.credit_conflicts / plan.credit_copies !=
                         k * plan.credit_conflicts / plan.credit_copies;
      append_row(out, conflicting);
      count_row();
      ++duplicates_;
      conflicts_ += conflicting ? 1 : 0;
    }
    ++movie_;
    return true;
  }

 private:
  void append_credit_id(std::string& out, std::uint64_t key) {
    static constexpr std::string_view kHex = "0123456789abcdef";
    out += "'52fe";
    std::uint64_t bits = mix(data_.seed(), key);
    for (int k = 0; k < 16; ++k) {
      out += kHex[(bits >> (4 * k)) & 15];
    }
    bits = fmix(bits);
    for (int k = 0; k < 4; ++k) {
      out += kHex[(bits >> (4 * k)) & 15];
    }
    out += '\'';
  }

  std::string character(Rng& rng) {
    std::uint64_t roll = rng.below(100);
    if (roll < 3) {
      return "";
    }
    if (roll < 5) {
      // Both quotes: Python keeps single quotes and escapes the apostrophe.
      return cat({rng.pick(kFirstNames), " \"The Kid\" O'Hara"});
    }
    if (roll < 30) {
      std::string_view role = rng.pick(kCharacterRoles);
      if (role == "Himself" || role == "Herself" || role == "Narrator (voice)") {
        return std::string(role);
      }
      return cat({role, " ", rng.pick(kLastNames)});
    }
    if (roll < 60) {
      return std::string(rng.pick(kFirstNames));
    }
    return cat({rng.pick(kFirstNames), " ", rng.pick(kLastNames)});
  }

  void append_row(std::string& out, bool conflicting) {
    Rng rng(mix(stream_key(data_.seed(), Stream::kCreditRow), movie_));
    const std::uint64_t key = mix(data_.seed(), 0x435245444954ULL, movie_);
    std::uint64_t cast = rng.chance(0.05) ? 0 : 1 + rng.below(8);
    std::uint64_t crew = rng.chance(0.02) ? 0 : 1 + rng.below(8);
    if (conflicting && cast > 0) {
      --cast;  // the conflicting copy lost its last cast member
    }
    append_cast(out, rng, key, cast);
    out += ',';
    append_crew(out, rng, key, crew);
    out += ',';
    append_uint(out, data_.tmdb_id(movie_));
    out += '\n';
  }

  /// [{'cast_id': .., 'character': .., 'credit_id': .., 'gender': .., 'id': .., 'name': ..,
  /// 'order': .., 'profile_path': ..}, ...]
  void append_cast(std::string& out, Rng& rng, std::uint64_t key, std::uint64_t cast) {
    std::uint64_t persons = data_.plan().persons;
    scratch_.assign(1, '[');
    std::uint64_t cast_id = 1 + rng.below(20);
    for (std::uint64_t k = 0; k < cast; ++k) {
      std::uint64_t id = data_.person_id(rng.skewed_rank(persons, 4));
      if (k > 0) {
        scratch_ += ", ";
      }
      scratch_ += "{'cast_id': ";
      append_uint(scratch_, cast_id);
      cast_id += 1 + rng.below(2);
      scratch_ += ", 'character': ";
      append_py_str(scratch_, character(rng));
      scratch_ += ", 'credit_id': ";
      append_credit_id(scratch_, mix(key, k));
      Person p = person(data_, id);
      scratch_ += ", 'gender': ";
      append_uint(scratch_, static_cast<std::uint64_t>(p.gender));
      scratch_ += ", 'id': ";
      append_uint(scratch_, id);
      scratch_ += ", 'name': ";
      append_py_str(scratch_, p.name);
      scratch_ += ", 'order': ";
      append_uint(scratch_, k);
      scratch_ += ", 'profile_path': ";
      append_py_image_path(scratch_, mix(data_.seed(), id), !p.has_profile);
      scratch_ += '}';
    }
    scratch_ += ']';
    format::append_csv_field(out, scratch_);
  }

  /// [{'credit_id': .., 'department': .., 'gender': .., 'id': .., 'job': .., 'name': ..,
  /// 'profile_path': ..}, ...], the director first.
  void append_crew(std::string& out, Rng& rng, std::uint64_t key, std::uint64_t crew) {
    std::uint64_t persons = data_.plan().persons;
    scratch_.assign(1, '[');
    for (std::uint64_t k = 0; k < crew; ++k) {
      std::uint64_t id = data_.person_id(rng.skewed_rank(persons, 4));
      const Job& job = k == 0 ? Job{"Directing", "Director"} : rng.pick(kJobs);
      if (k > 0) {
        scratch_ += ", ";
      }
      scratch_ += "{'credit_id': ";
      append_credit_id(scratch_, mix(key, 100 + k));
      scratch_ += ", 'department': ";
      append_py_str(scratch_, job.department);
      Person p = person(data_, id);
      scratch_ += ", 'gender': ";
      append_uint(scratch_, static_cast<std::uint64_t>(p.gender));
      scratch_ += ", 'id': ";
      append_uint(scratch_, id);
      scratch_ += ", 'job': ";
      append_py_str(scratch_, job.job);
      scratch_ += ", 'name': ";
      append_py_str(scratch_, p.name);
      scratch_ += ", 'profile_path': ";
      append_py_image_path(scratch_, mix(data_.seed(), id), !p.has_profile);
      scratch_ += '}';
    }
    scratch_ += ']';
    format::append_csv_field(out, scratch_);
  }

  const Dataset& data_;
  SpreadCursor copies_;
  std::uint64_t movie_ = 0;
  std::uint64_t duplicates_ = 0;
  std::uint64_t conflicts_ = 0;
  std::string scratch_;
};

}  // namespace

std::unique_ptr<CsvProducer> make_credits_producer(const Dataset& data) {
  return std::make_unique<CreditsProducer>(data);
}

}  // namespace marquee::gen
