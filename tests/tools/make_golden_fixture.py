#!/usr/bin/env python3
"""Builds tests/fixtures/golden/movies_metadata.csv: the first 250 real records of the shared
sample plus hand-made records that hit every rule of SPEC 3.2-3.4 and 5 (see the README beside
the fixture). Run once; the output is checked in.

    make_golden_fixture.py SHARED_MOVIES_CSV OUT_CSV
"""
import sys

HEADER = ("adult,belongs_to_collection,budget,genres,homepage,id,imdb_id,original_language,original_title,"
          "overview,popularity,poster_path,production_companies,production_countries,release_date,revenue,"
          "runtime,spoken_languages,status,tagline,title,video,vote_average,vote_count")
COLS = HEADER.split(",")


def q(v):
    if any(c in v for c in ',"\n'):
        return '"' + v.replace('"', '""') + '"'
    return v  # a bare CR stays unquoted on purpose, as in the real file


def rec(**kw):
    base = dict(adult="False", belongs_to_collection="", budget="0", genres="[]", homepage="", id="",
                imdb_id="tt9999999", original_language="en", original_title="Golden", overview="A test movie.",
                popularity="1.0", poster_path="", production_companies="[]", production_countries="[]",
                release_date="2001-05-01", revenue="0", runtime="90.0", spoken_languages="[]",
                status="Released", tagline="", title="Golden", video="False", vote_average="5.0",
                vote_count="10")
    base.update(kw)
    return ",".join(q(base[c]) for c in COLS) + "\n"


ACTION, COMEDY, DRAMA, WESTERN, WAR, HORROR = ("{'id': 28, 'name': 'Action'}", "{'id': 35, 'name': 'Comedy'}",
                                               "{'id': 18, 'name': 'Drama'}", "{'id': 37, 'name': 'Western'}",
                                               "{'id': 10752, 'name': 'War'}", "{'id': 27, 'name': 'Horror'}")


def co(cid, name):
    quote = '"' if "'" in name else "'"
    return "{'name': " + quote + name + quote + ", 'id': " + str(cid) + "}"


def main():
    src, out = sys.argv[1], sys.argv[2]
    data = open(src, "rb").read()
    # Cut after the 250th record: count LF outside quotes.
    in_q, records, cut = False, -1, None
    for i, b in enumerate(data):
        if b == 0x22:
            in_q = not in_q
        elif b == 0x0A and not in_q:
            records += 1
            if records == 250:
                cut = i + 1
                break
    real = data[:cut].decode("utf-8")
    toy_story = real.split("\n")[1] + "\n"
    hand = [
        # multi-genre, multi-company, both money values, pandas-style float money
        rec(id="900001", genres=f"[{ACTION}, {COMEDY}]",
            production_companies=f"[{co(990001, 'Golden Test Studio')}, {co(990002, 'Po' + chr(39) + ' Boy Productions')}]",
            budget="1000000", revenue="373554033.0", popularity="10.5"),
        rec(id="900002", genres=f"[{ACTION}]", production_companies=f"[{co(990001, 'Golden Test Studio')}]",
            budget="0", revenue="5000000", popularity="1.7e-05"),
        rec(id="900003", genres=f"[{COMEDY}]", production_companies=f"[{co(990001, 'Golden Test Studio')}]",
            budget="100", revenue="0", popularity="0.0000005"),
        rec(id="900004", genres=f"[{DRAMA}]", production_companies=f"[{co(990001, 'Golden Test Studio')}]",
            release_date="", budget="5", revenue="6"),
        rec(id="900005", genres=f"[{DRAMA}]", production_companies=f"[{co(990001, 'Golden Test Studio')}]",
            release_date="2001-02-30", budget="5", revenue="6"),
        # the latest surviving record names a company
        rec(id="900007", genres=f"[{DRAMA}]", production_companies=f"[{co(990004, 'Alpha Name')}]",
            release_date="1999-01-01"),
        rec(id="900008", genres=f"[{DRAMA}]", production_companies=f"[{co(990004, 'Beta Name')}]",
            release_date="1999-01-01"),
        rec(id="900007", genres=f"[{DRAMA}]", production_companies=f"[{co(990004, 'Gamma Name')}]",
            release_date="1999-06-01", budget="10", revenue="25"),
        # a superseded record's name does not count
        rec(id="900010", genres=f"[{WAR}]", production_companies=f"[{co(990005, 'Eta Pictures')}]",
            release_date="1998-01-01"),
        rec(id="900009", genres=f"[{WAR}]", production_companies=f"[{co(990005, 'Zeta Late Name')}]",
            release_date="1998-01-01"),
        rec(id="900009", genres=f"[{WAR}]", production_companies="[]", release_date="1998-01-01"),
        # an identical copy of a real record
        toy_story,
        # unquoted overview holding a bare CR; quoted overview with LF and doubled quotes
        rec(id="900011", overview="First line\rsecond line", genres=f"[{DRAMA}]", release_date="1997-03-03"),
        rec(id="900012", overview='She said "go"\nand left, quickly.', genres=f"[{DRAMA}]",
            release_date="1997-03-03"),
        # rejects, one per reason; the bad_id one reuses an accepted id and must not supersede it
        rec(id="abc"),
        rec(id="900013", adult="Yes"),
        rec(id="900014", budget="1.5e7"),
        rec(id="900015", popularity="n/a"),
        rec(id="900016", genres="[{'id': 1,"),
        "False,,0,[],,900017,tt1,en\n",
        rec(id="900001", video="sometimes"),
        # warnings: invalid UTF-8, a genre item without id, popularity with too many decimals
        rec(id="900018", title="Caf\udce9", genres="[{'name': 'Nameless'}, " + COMEDY + "]",
            popularity="2.1234565"),
        # rank ties: equal average and movies -> genre_id; no popularity -> last
        rec(id="900020", genres=f"[{WAR}, {WESTERN}]", release_date="1888-01-01", popularity="3.0"),
        rec(id="900021", genres=f"[{HORROR}]", release_date="1888-06-01", popularity=""),
        # group means rounded half to even: 1.5 -> 2, 2.5 -> 2 (millionths)
        rec(id="900022", genres=f"[{HORROR}]", production_companies=f"[{co(990006, 'Half Even Films')}]",
            release_date="1950-01-01", popularity="0.000001"),
        rec(id="900023", genres=f"[{HORROR}]", production_companies=f"[{co(990006, 'Half Even Films')}]",
            release_date="1950-01-01", popularity="0.000002"),
        rec(id="900024", genres=f"[{WESTERN}]", production_companies=f"[{co(990006, 'Half Even Films')}]",
            release_date="1951-01-01", popularity="0.000001"),
        rec(id="900025", genres=f"[{WESTERN}]", production_companies=f"[{co(990006, 'Half Even Films')}]",
            release_date="1951-01-01", popularity="0.000004", budget="2787965087", revenue="100"),
    ]
    with open(out, "wb") as f:
        f.write(real.encode("utf-8"))
        for h in hand:
            f.write(h.encode("utf-8", "surrogateescape"))


if __name__ == "__main__":
    main()
