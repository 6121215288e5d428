#!/usr/bin/env python3
"""An independent implementation of SPEC.md sections 3.2-3.4 and 5, for golden expectations.

It shares no code with marquee: its own CSV state machine (Python's csv module ends records at a
bare CR, which SPEC 3.2 forbids), ast.literal_eval for the Python literals, Decimal and Fraction
for exact popularity arithmetic. Usage:

    reference_reports.py MOVIES_CSV OUT_DIR

writes the four report CSVs and accounting.json (rows read/loaded/rejected/superseded).
"""
import ast
import datetime
import json
import re
import sys
from decimal import Decimal, ROUND_HALF_EVEN
from fractions import Fraction
from pathlib import Path


def read_records(data: bytes):
    """Yields (line, fields, raw) per SPEC 3.2."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    i, n, line = 0, len(data), 1
    while i < n:
        start_line, start = line, i
        fields, field, quoted_open = [], bytearray(), False
        in_quotes = False
        at_field_start = True
        while i < n:
            c = data[i:i + 1]
            if in_quotes:
                if c == b'"':
                    if data[i + 1:i + 2] == b'"':
                        field += b'"'
                        i += 2
                        continue
                    in_quotes = False
                    i += 1
                    continue
                if c == b"\n":
                    line += 1
                field += c
                i += 1
                continue
            if c == b'"' and at_field_start:
                in_quotes, quoted_open, at_field_start = True, line, False
                i += 1
                continue
            at_field_start = False
            if c == b",":
                fields.append(bytes(field))
                field, at_field_start = bytearray(), True
                i += 1
                continue
            if c == b"\n" or (c == b"\r" and data[i + 1:i + 2] == b"\n"):
                end = i
                i += 1 if c == b"\n" else 2
                line += 1
                break
            field += c
            i += 1
        else:
            end = i
            if in_quotes:
                raise SystemExit(f"open quote at line {quoted_open}")
        fields.append(bytes(field))
        yield start_line, [f.decode("utf-8", "replace") for f in fields], data[start:end]


MONEY = re.compile(r"[0-9]+(\.0+)?")
NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
LITERALS = ["belongs_to_collection", "genres", "production_companies", "production_countries",
            "spoken_languages"]


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def check(rec):
    """Returns (reason or None, parsed literals)."""
    rid = rec["id"]
    if not re.fullmatch(r"[0-9]+", rid) or int(rid) <= 0 or int(rid) >= 2**63:
        return "bad_id", None
    for c in ("adult", "video"):
        if rec.get(c, "") != "" and rec[c].lower() not in ("true", "false"):
            return "bad_bool", None
    for c in ("budget", "revenue"):
        v = rec.get(c, "")
        if v != "" and (not MONEY.fullmatch(v) or int(v.split(".")[0]) >= 2**63):
            return "bad_number", None
    for c in ("popularity", "vote_average", "vote_count", "runtime"):
        v = rec.get(c, "")
        if v != "" and not NUMBER.fullmatch(v):
            return "bad_number", None
    lits = {}
    for c in LITERALS:
        v = rec.get(c, "")
        if v == "":
            lits[c] = None
            continue
        try:
            val = ast.literal_eval(v)
        except Exception:
            return "bad_literal", None
        if c == "belongs_to_collection":
            if val is not None and not isinstance(val, dict):
                return "bad_literal", None
        elif not isinstance(val, (list, tuple)):
            return "bad_literal", None
        lits[c] = val
    return None, lits


def micros(text):
    return int(Decimal(text).quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN) * 1000000)


def year_of(text):
    if not DATE.fullmatch(text):
        return None
    try:
        return datetime.date.fromisoformat(text).year
    except ValueError:
        return None


def items(lst):
    out = {}
    for it in lst or []:
        if isinstance(it, dict) and is_int(it.get("id")) and isinstance(it.get("name"), str):
            out[it["id"]] = it["name"]
    return out


def fmt_avg(total, count):
    if count == 0:
        return ""
    q = round(Fraction(total, count))  # Python rounds a Fraction half to even
    sign = "-" if q < 0 else ""
    q = abs(q)
    return f"{sign}{q // 1000000}.{q % 1000000:06d}"


def csv_field(v):
    v = "" if v is None else str(v)
    if any(ch in v for ch in ',"\r\n'):
        return '"' + v.replace('"', '""') + '"'
    return v


def write(path, header, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(",".join(header) + "\n")
        for r in rows:
            f.write(",".join(csv_field(x) for x in r) + "\n")


def main():
    src, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    records = read_records(src.read_bytes())
    _, header, _ = next(records)
    movies, order = {}, 0
    acct = {"rows_read": 0, "rows_rejected": 0, "duplicate_superseded": 0, "rejected": {}}
    for line, fields, raw in records:
        if raw == b"":
            continue  # an empty line is no record
        acct["rows_read"] += 1
        if len(fields) != len(header):
            reason = "field_count"
        else:
            rec = dict(zip(header, fields))
            reason, lits = check(rec)
        if reason:
            acct["rows_rejected"] += 1
            acct["rejected"][reason] = acct["rejected"].get(reason, 0) + 1
            continue
        mid = int(rec["id"])
        if mid in movies:
            acct["duplicate_superseded"] += 1
        order += 1
        movies[mid] = {
            "order": order,
            "year": year_of(rec.get("release_date", "")),
            "budget": int(rec["budget"].split(".")[0]) if rec.get("budget") else 0,
            "revenue": int(rec["revenue"].split(".")[0]) if rec.get("revenue") else 0,
            "pop": micros(rec["popularity"]) if rec.get("popularity") else None,
            "genres": items(lits["genres"]),
            "companies": items(lits["production_companies"]),
        }
    acct["rows_loaded"] = len(movies)
    acct["movies_without_year"] = sum(1 for m in movies.values() if m["year"] is None)

    genre_names, company_names = {}, {}
    for m in sorted(movies.values(), key=lambda m: m["order"]):
        genre_names.update(m["genres"])
        company_names.update(m["companies"])

    def aggregate(group):
        b = [m["budget"] for m in group if m["budget"]]
        r = [m["revenue"] for m in group if m["revenue"]]
        p = [m["revenue"] - m["budget"] for m in group if m["budget"] and m["revenue"]]
        pops = [m["pop"] for m in group if m["pop"] is not None]
        return {
            "movies": len(group),
            "budget": (len(b), sum(b) if b else None),
            "revenue": (len(r), sum(r) if r else None),
            "profit": (len(p), sum(p) if p else None),
            "avg": fmt_avg(sum(pops), len(pops)),
            "avg_key": round(Fraction(sum(pops), len(pops))) if pops else None,
        }

    dated = [m for m in movies.values() if m["year"] is not None]
    by_company, by_genre, by_cgy = {}, {}, {}
    for m in dated:
        for c in m["companies"]:
            by_company.setdefault((c, m["year"]), []).append(m)
            for g in m["genres"]:
                by_cgy[(c, m["year"], g)] = by_cgy.get((c, m["year"], g), 0) + 1
        for g in m["genres"]:
            by_genre.setdefault((m["year"], g), []).append(m)

    rows = []
    for (c, y), group in sorted(by_company.items()):
        a = aggregate(group)
        rows.append([c, company_names[c], y, a["movies"], *a["budget"], *a["revenue"], *a["profit"], a["avg"]])
    write(out / "company_yearly.csv",
          ["company_id", "company_name", "year", "movies", "budget_movies", "total_budget", "revenue_movies",
           "total_revenue", "profit_movies", "total_profit", "avg_popularity"], rows)

    rows = [[c, company_names[c], y, g, genre_names[g], n] for (c, y, g), n in sorted(by_cgy.items())]
    write(out / "company_genre_yearly.csv",
          ["company_id", "company_name", "year", "genre_id", "genre_name", "releases"], rows)

    years = {}
    for (y, g), group in by_genre.items():
        years.setdefault(y, []).append((g, aggregate(group)))
    rows, top = [], []
    for y in sorted(years):
        ranked = sorted(years[y], key=lambda ga: (ga[1]["avg_key"] is None, -(ga[1]["avg_key"] or 0),
                                                  -ga[1]["movies"], ga[0]))
        for rank, (g, a) in enumerate(ranked, 1):
            rows.append([y, g, genre_names[g], a["movies"], a["avg"], rank, *a["budget"], *a["revenue"], *a["profit"]])
            if rank == 1:
                top.append([y, g, genre_names[g], a["movies"], a["avg"]])
    write(out / "genre_yearly.csv",
          ["year", "genre_id", "genre_name", "movies", "avg_popularity", "popularity_rank", "budget_movies",
           "total_budget", "revenue_movies", "total_revenue", "profit_movies", "total_profit"], rows)
    write(out / "most_popular_genre_by_year.csv",
          ["year", "genre_id", "genre_name", "movies", "avg_popularity"], top)
    (out / "accounting.json").write_text(json.dumps(acct, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
