#!/usr/bin/env python3
"""Self-test of reference_rating_reports.py on hand-made datasets: python3 THIS_FILE.

Each test writes a tiny dataset, runs the reference as a command (as the integration driver
does) and compares its reports with the exact expected text, worked out by hand from SPEC 3.5
and 5 rather than from the code under test.
"""
import json
import subprocess
import sys
import tempfile
import unittest
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REFERENCE = HERE / "reference_rating_reports.py"
sys.path.insert(0, str(HERE))
import reference_rating_reports as rr  # noqa: E402
import reference_reports  # noqa: E402

MOVIE_COLUMNS = ("adult,belongs_to_collection,budget,genres,homepage,id,imdb_id,original_language,"
                 "original_title,overview,popularity,poster_path,production_companies,"
                 "production_countries,release_date,revenue,runtime,spoken_languages,status,"
                 "tagline,title,video,vote_average,vote_count").split(",")
GENRE_HEADER = "year,genre_id,genre_name,rated_movies,ratings,avg_rating\n"
COMPANY_HEADER = "company_id,company_name,year,rated_movies,ratings,avg_rating\n"
LINKS_HEADER = "movieId,imdbId,tmdbId\n"
RATINGS_HEADER = "userId,movieId,rating,timestamp\n"

DRAMA = (18, "Drama")
COMEDY = (35, "Comedy")
ACME = (7, "Acme")


def csv_field(v):
    return '"' + v.replace('"', '""') + '"' if any(c in v for c in ',"\r\n') else v


def movie(mid, date="2000-05-01", genres=(DRAMA,), companies=(ACME,), **fields):
    """A movies_metadata.csv record as text (no line end); fields overrides any column."""
    values = {c: "" for c in MOVIE_COLUMNS}
    values.update(id=str(mid), release_date=date, title=f"Movie {mid}",
                  genres=repr([{"id": i, "name": n} for i, n in genres]),
                  production_companies=repr([{"name": n, "id": i} for i, n in companies]))
    values.update(fields)
    return ",".join(csv_field(values[c]) for c in MOVIE_COLUMNS)


def movies_csv(*records):
    return ",".join(MOVIE_COLUMNS) + "\n" + "".join(r + "\n" for r in records)


def links_csv(*rows):
    """rows: (movieId, tmdbId) pairs, or raw text lines."""
    lines = [r if isinstance(r, str) else f"{r[0]},{r[0]:07d},{r[1]}" for r in rows]
    return LINKS_HEADER + "".join(line + "\n" for line in lines)


def ratings_csv(*rows):
    """rows: (userId, movieId, rating) triples, or raw text lines."""
    lines = [r if isinstance(r, str) else f"{r[0]},{r[1]},{r[2]},964982703" for r in rows]
    return RATINGS_HEADER + "".join(line + "\n" for line in lines)


class ReferenceCase(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.tmp = Path(self._tmp.name)

    def tearDown(self):
        self._tmp.cleanup()

    def run_reference(self, movies, links=None, ratings=None, as_zip=False):
        """Runs the reference on the dataset; returns (genre report, company report, accounting)."""
        files = {"movies_metadata.csv": movies, "links.csv": links, "ratings.csv": ratings}
        files = {k: v.encode() if isinstance(v, str) else v for k, v in files.items() if v is not None}
        if as_zip:
            dataset = self.tmp / "dataset.zip"
            with zipfile.ZipFile(dataset, "w", zipfile.ZIP_DEFLATED) as z:
                for name, data in files.items():
                    z.writestr("the-movies-dataset/" + name, data)
        else:
            dataset = self.tmp / "dataset"
            dataset.mkdir()
            for name, data in files.items():
                (dataset / name).write_bytes(data)
        out = self.tmp / "out"
        r = subprocess.run([sys.executable, str(REFERENCE), str(dataset), str(out)],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        return ((out / "genre_rating_yearly.csv").read_bytes().decode(),
                (out / "company_rating_yearly.csv").read_bytes().decode(),
                json.loads((out / "accounting.json").read_text()))


class RatingReports(ReferenceCase):
    def test_one_movie_two_genres_counts_in_each(self):
        genre, company, acct = self.run_reference(
            movies_csv(movie(100, genres=(DRAMA, COMEDY))),
            links_csv((1, 100)),
            ratings_csv((1, 1, "4.0"), (2, 1, "3"), (3, 1, "4.5")))
        # (8 + 6 + 9) half stars over 3 ratings = 23/6 = 3.8333...
        self.assertEqual(genre, GENRE_HEADER + "2000,18,Drama,1,3,3.8333\n2000,35,Comedy,1,3,3.8333\n")
        self.assertEqual(company, COMPANY_HEADER + "7,Acme,2000,1,3,3.8333\n")
        self.assertEqual(acct["ratings.csv"], {"rows_read": 3, "rows_loaded": 3, "rows_rejected": 0,
                                               "rejected": {}, "duplicate_superseded": 0})

    def test_groups_hold_several_movies_and_are_ordered_numerically(self):
        genre, company, _ = self.run_reference(
            movies_csv(movie(100, "1999-01-01", genres=((10, "Ten"),), companies=((12, "Twelve"),)),
                       movie(200, "2000-01-01", genres=((9, "Nine"), (10, "Ten")),
                             companies=((12, "Twelve"), (3, "Three"))),
                       movie(300, "2000-06-01", genres=((10, "Ten"),), companies=((12, "Twelve"),)),
                       movie(400, "2000-06-01", genres=((10, "Ten"),))),
            links_csv((1, 100), (2, 200), (3, 300), (4, 400)),
            ratings_csv((1, 1, "5"), (1, 2, "1"), (1, 3, "2"), (2, 3, "3")))
        # Movie 400 has no rating: it is no rated movie of its group.
        self.assertEqual(genre, GENRE_HEADER + "1999,10,Ten,1,1,5.0000\n"
                                               "2000,9,Nine,1,1,1.0000\n"
                                               "2000,10,Ten,2,3,2.0000\n")
        self.assertEqual(company, COMPANY_HEADER + "3,Three,2000,1,1,1.0000\n"
                                                   "12,Twelve,1999,1,1,5.0000\n"
                                                   "12,Twelve,2000,2,3,2.0000\n")

    def test_mean_exactly_half_way_at_the_fifth_decimal_rounds_to_even(self):
        # 16 ratings: a sum of 17 half stars is 17/32 = 0.53125 -> 0.5312 (2 is even); a sum of
        # 19 is 19/32 = 0.59375 -> 0.5938. Half-up would give 0.5313, float rounding may too.
        low = [(u, 1, "0.5") for u in range(1, 16)] + [(16, 1, "1.0")]
        high = [(u, 2, "0.5") for u in range(1, 14)] + [(u, 2, "1") for u in range(14, 17)]
        genre, _, _ = self.run_reference(
            movies_csv(movie(100, genres=((1, "Low"),)), movie(200, genres=((2, "High"),))),
            links_csv((1, 100), (2, 200)),
            ratings_csv(*low, *high))
        self.assertEqual(genre, GENRE_HEADER + "2000,1,Low,1,16,0.5312\n2000,2,High,1,16,0.5938\n")

    def test_a_later_rating_of_the_same_user_and_movie_wins(self):
        genre, _, acct = self.run_reference(
            movies_csv(movie(100)),
            links_csv((1, 100)),
            ratings_csv((1, 1, "1.0"), (2, 1, "2.0"), (1, 1, "5.0")))
        self.assertEqual(genre, GENRE_HEADER + "2000,18,Drama,1,2,3.5000\n")
        self.assertEqual(acct["ratings.csv"]["rows_loaded"], 2)
        self.assertEqual(acct["ratings.csv"]["duplicate_superseded"], 1)

    def test_a_later_link_of_the_same_movie_id_wins(self):
        genre, _, acct = self.run_reference(
            movies_csv(movie(100, genres=((1, "First"),)), movie(200, genres=((2, "Second"),))),
            links_csv((1, 100), (1, 200)),
            ratings_csv((1, 1, "4")))
        self.assertEqual(genre, GENRE_HEADER + "2000,2,Second,1,1,4.0000\n")
        self.assertEqual(acct["links.csv"]["duplicate_superseded"], 1)
        self.assertEqual(acct["links.csv"]["rows_loaded"], 1)

    def test_a_later_movie_record_wins_its_year_and_genres(self):
        genre, _, acct = self.run_reference(
            movies_csv(movie(100, "1990-01-01", genres=((1, "Old"),)),
                       movie(100, "2001-01-01", genres=((2, "New"),))),
            links_csv((1, 100)),
            ratings_csv((1, 1, "4")))
        self.assertEqual(genre, GENRE_HEADER + "2001,2,New,1,1,4.0000\n")
        self.assertEqual(acct["movies_metadata.csv"]["duplicate_superseded"], 1)

    def test_the_last_loaded_record_names_a_genre_and_a_company(self):
        genre, company, _ = self.run_reference(
            movies_csv(movie(100, genres=((1, "Early"),), companies=((5, "Early Co"),)),
                       movie(200, genres=((1, "Late"),), companies=((5, "Late Co"),)),
                       # Superseded and rejected records name nothing.
                       movie(300, genres=((1, "Superseded"),), companies=((5, "Superseded Co"),)),
                       movie(300, genres=((9, "Other"),), companies=()),
                       movie(400, genres=((1, "Rejected"),), companies=((5, "Rejected Co"),),
                             budget="12x")),
            links_csv((1, 100), (2, 200)),
            ratings_csv((1, 1, "4"), (1, 2, "2")))
        self.assertEqual(genre, GENRE_HEADER + "2000,1,Late,2,2,3.0000\n")
        self.assertEqual(company, COMPANY_HEADER + "5,Late Co,2000,2,2,3.0000\n")

    def test_names_with_commas_and_quotes_are_quoted(self):
        genre, company, _ = self.run_reference(
            movies_csv(movie(100, genres=((1, "Sci-Fi, Fantasy"),),
                             companies=((5, 'Po\' Boy "Big", Inc.'),))),
            links_csv((1, 100)),
            ratings_csv((1, 1, "4")))
        self.assertEqual(genre, GENRE_HEADER + '2000,1,"Sci-Fi, Fantasy",1,1,4.0000\n')
        self.assertEqual(company, COMPANY_HEADER + '5,"Po\' Boy ""Big"", Inc.",2000,1,1,4.0000\n')

    def test_a_movie_without_a_year_is_in_no_report(self):
        genre, company, acct = self.run_reference(
            movies_csv(movie(100, date=""), movie(200, date="2001-02-30"), movie(300)),
            links_csv((1, 100), (2, 200), (3, 300)),
            ratings_csv((1, 1, "1"), (1, 2, "2"), (1, 3, "3")))
        self.assertEqual(genre, GENRE_HEADER + "2000,18,Drama,1,1,3.0000\n")
        self.assertEqual(company, COMPANY_HEADER + "7,Acme,2000,1,1,3.0000\n")
        self.assertEqual(acct["movies_metadata.csv"]["movies_without_year"], 2)
        self.assertEqual(acct["rating_reports"]["ratings"]["movie_without_year"], 2)

    def test_ratings_of_no_link_an_empty_tmdb_id_or_an_unknown_movie_are_in_no_report(self):
        genre, _, acct = self.run_reference(
            movies_csv(movie(100)),
            links_csv((1, 100), (2, ""), (3, 999)),
            ratings_csv((1, 1, "5"), (1, 2, "1"), (1, 3, "1"), (1, 4, "1")))
        self.assertEqual(genre, GENRE_HEADER + "2000,18,Drama,1,1,5.0000\n")
        self.assertEqual(acct["links.csv"]["rows_loaded"], 3)  # the empty tmdbId is kept
        self.assertEqual(acct["ratings.csv"]["rows_loaded"], 4)
        self.assertEqual(acct["rating_reports"]["ratings"],
                         {"empty_tmdb_id": 1, "no_link": 1, "of_dated_movie": 1,
                          "tmdb_id_not_a_movie": 1})

    def test_a_movie_gets_the_ratings_of_every_link_naming_it(self):
        genre, _, _ = self.run_reference(
            movies_csv(movie(100)),
            links_csv((1, 100), (2, 100)),
            # User 1 rated both MovieLens ids: both ratings count.
            ratings_csv((1, 1, "5"), (1, 2, "4"), (2, 2, "3")))
        self.assertEqual(genre, GENRE_HEADER + "2000,18,Drama,1,3,4.0000\n")

    def test_no_rating_no_row(self):
        genre, company, _ = self.run_reference(movies_csv(movie(100)), links_csv((1, 100)),
                                               ratings_csv())
        self.assertEqual((genre, company), (GENRE_HEADER, COMPANY_HEADER))

    def test_missing_links_and_ratings_entries_give_empty_reports(self):
        genre, company, acct = self.run_reference(movies_csv(movie(100)))
        self.assertEqual((genre, company), (GENRE_HEADER, COMPANY_HEADER))
        self.assertNotIn("ratings.csv", acct)


class Rejects(ReferenceCase):
    def test_each_kind_of_bad_rating_is_rejected_with_its_reason(self):
        _, _, acct = self.run_reference(
            movies_csv(movie(100)),
            links_csv((1, 100)),
            ratings_csv("1,1,4.0,1",           # accepted
                        "1,1,4.0,1,extra",     # field_count
                        "1,1,4.0",             # field_count
                        "0,1,4.0,1",           # bad_id: userId 0
                        "1,-1,4.0,1",          # bad_id
                        "x,1,4.0,1",           # bad_id
                        "1,,4.0,1",            # bad_id: empty movieId
                        " 1,1,4.0,1",          # bad_id: not trimmed
                        "1,1.0,4.0,1",         # bad_id
                        "1,9223372036854775808,4,1",  # bad_id: past int64
                        "0,1,9,x",             # bad_id comes before bad_number
                        "2,1,4.25,1",          # bad_number
                        "2,1,6,1",             # bad_number
                        "2,1,0,1",             # bad_number
                        "2,1,0.0,1",           # bad_number
                        "2,1,5.5,1",           # bad_number
                        "2,1,4.50,1",          # bad_number: not written 4.5
                        "2,1,.5,1",            # bad_number
                        "2,1,,1",              # bad_number
                        "2,1,4,-1",            # bad_number: timestamp
                        "2,1,4,1.5",           # bad_number
                        "2,1,4,",              # bad_number
                        "2,1,4,1e9"))          # bad_number
        self.assertEqual(acct["ratings.csv"], {
            "rows_read": 23, "rows_loaded": 1, "rows_rejected": 22,
            "rejected": {"bad_id": 8, "bad_number": 12, "field_count": 2},
            "duplicate_superseded": 0})

    def test_each_kind_of_bad_link_is_rejected_with_its_reason(self):
        _, _, acct = self.run_reference(
            movies_csv(movie(100)),
            links_csv("1,0000001,100",
                      "2,0000002",           # field_count
                      "2,0000002,100,x",     # field_count
                      "0,0000002,100",       # bad_id: movieId
                      "x,0000002,100",       # bad_id
                      ",0000002,100",        # bad_id
                      "2,0000002,0",         # bad_id: tmdbId not positive
                      "2,0000002,abc",       # bad_id
                      "2,0000002,100.0",     # bad_id
                      "2,0000002, 100",      # bad_id
                      "3,,"),                # accepted: imdbId has no rule, tmdbId empty
            ratings_csv())
        self.assertEqual(acct["links.csv"], {
            "rows_read": 11, "rows_loaded": 2, "rows_rejected": 9,
            "rejected": {"bad_id": 7, "field_count": 2}, "duplicate_superseded": 0})

    def test_a_rejected_row_supersedes_nothing(self):
        genre, _, acct = self.run_reference(
            movies_csv(movie(100), movie(100, genres=((1, "Lost"),), budget="-5")),
            links_csv((1, 100), "1,0000001,zz"),
            ratings_csv((1, 1, "3"), (1, 1, "7")))
        self.assertEqual(genre, GENRE_HEADER + "2000,18,Drama,1,1,3.0000\n")
        for name in ("movies_metadata.csv", "links.csv", "ratings.csv"):
            self.assertEqual(acct[name]["duplicate_superseded"], 0, name)
            self.assertEqual(acct[name]["rows_rejected"], 1, name)

    def test_accounting_balances(self):
        _, _, acct = self.run_reference(
            movies_csv(movie(100), movie(100), movie(0)),
            links_csv((1, 100), (1, 100), "q,1,1"),
            ratings_csv((1, 1, "3"), (1, 1, "3"), "1,1,3"))
        for name in ("movies_metadata.csv", "links.csv", "ratings.csv"):
            a = acct[name]
            self.assertEqual(a["rows_read"], 3, name)
            self.assertEqual(a["rows_loaded"] + a["rows_rejected"] + a["duplicate_superseded"], 3, name)
            self.assertEqual(a["rows_rejected"], sum(a["rejected"].values()), name)


class Input(ReferenceCase):
    def test_zip_entries_are_matched_by_base_name_and_crlf_bom_empty_lines_are_read(self):
        ratings = ("\ufeff" + RATINGS_HEADER + "1,1,4.0,1\n\n2,1,5,2\r\n\r\n3,1,3,3").replace("\n", "\r\n")
        genre, _, acct = self.run_reference(
            movies_csv(movie(100)), links_csv((1, 100)), ratings.replace("\r\r", "\r"), as_zip=True)
        self.assertEqual(genre, GENRE_HEADER + "2000,18,Drama,1,3,4.0000\n")
        self.assertEqual(acct["ratings.csv"]["rows_read"], 3)

    def test_two_entries_with_one_base_name_fail(self):
        dataset = self.tmp / "twice.zip"
        with zipfile.ZipFile(dataset, "w") as z:
            z.writestr("a/movies_metadata.csv", movies_csv(movie(100)))
            z.writestr("b/movies_metadata.csv", movies_csv(movie(100)))
        r = subprocess.run([sys.executable, str(REFERENCE), str(dataset), str(self.tmp / "out")],
                           capture_output=True, text=True)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("two entries named movies_metadata.csv", r.stderr)

    def test_a_bare_cr_in_an_unquoted_overview_keeps_the_movie_whole(self):
        genre, _, acct = self.run_reference(
            movies_csv(movie(100, overview="half\rway"), movie(200, genres=((2, "Two"),))),
            links_csv((1, 100), (2, 200)),
            ratings_csv((1, 1, "4"), (1, 2, "2")))
        self.assertEqual(genre, GENRE_HEADER + "2000,2,Two,1,1,2.0000\n2000,18,Drama,1,1,4.0000\n")
        self.assertEqual(acct["movies_metadata.csv"]["rows_read"], 2)

    def test_an_open_quote_fails_naming_the_file_and_line(self):
        dataset = self.tmp / "open"
        dataset.mkdir()
        (dataset / "movies_metadata.csv").write_text(movies_csv(movie(100)))
        (dataset / "ratings.csv").write_text(RATINGS_HEADER + "1,1,4,1\n2,\"1,4,1\n3,1,4,1\n")
        r = subprocess.run([sys.executable, str(REFERENCE), str(dataset), str(self.tmp / "out")],
                           capture_output=True, text=True)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("ratings.csv: a quote opened at line 3 is never closed", r.stderr)


class Reader(unittest.TestCase):
    """The fast reader against reference_reports.read_records, the byte-at-a-time one."""

    CASES = [
        b"a,b,c\n1,2,3\n",
        b"a,b\r\n1,2\r\n",
        b"\xef\xbb\xbfa,b\n1,2",
        b"a,b\n1,x\ry\n2,z\r",
        b'a,b\n"q,1","multi\nline\r\nfield"\n3,4\n',
        b'a,b\n"say ""hi""",x"y\n"ab"cd,"e""f"g"\n',
        b'a,b\n\n1,2\n\r\n,\n"",""\n',
        b"a,b\n1,\xff\xfe\n\xe2\x82,\xe2\x82\xac\n",
        b'a\n"x"\r\n"y"\r',
        b'a,b\n1,2,\n,\n',
        b"a,b\r\r\n1,2\r\r\n",
    ]

    def test_both_readers_split_records_alike(self):
        for data in self.CASES:
            with self.subTest(data=data):
                fast = [(line, fields) for line, fields, empty in rr.read_records(data) if not empty]
                slow = [(line, fields) for line, fields, raw in reference_reports.read_records(data)
                        if raw != b""]
                self.assertEqual(fast, slow)

    def test_an_open_quote_names_the_line_where_it_opened(self):
        with self.assertRaisesRegex(rr.OpenQuote, "line 3"):
            list(rr.read_records(b'a,b\n1,2\n3,"4\n5,6\n'))


if __name__ == "__main__":
    unittest.main()
