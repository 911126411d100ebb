"""Make the SYNTHETIC example file of every built-in template (seeded, reproducible).

Run ``python -m saferplaces.partners._examples`` to rewrite ``templates/examples/``. Every
value is invented: no row describes a real incident, person, call or session. Shapes and
proportions are only plausible (see templates/examples/README.md).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

EXAMPLES = Path(__file__).with_name("templates") / "examples"
SEED = 20240611
_START = dt.date(2023, 1, 1)
_STREETS = [
    "Mill Lane", "Church Street", "King Street", "Victoria Street", "Station Road",
    "Preston New Road", "Bolton Road", "Whalley Range", "Accrington Road", "Shear Brow",
    "Infirmary Street", "Audley Range", "Queens Park Road", "Darwen Street", "Market Square",
]  # fmt: skip
_WARDS = [f"E0500{1621 + i}" for i in range(8)]
_HOTSPOTS = [(-2.4857, 53.7486), (-2.4700, 53.7560), (-2.5010, 53.7390)]


def _days(rng: np.random.Generator, n: int, span: int = 365) -> list[dt.date]:
    return [_START + dt.timedelta(days=int(d)) for d in rng.integers(0, span, n)]


def _point(rng: np.random.Generator, spread: float = 0.012) -> tuple[float, float]:
    lon, lat = _HOTSPOTS[int(rng.integers(0, len(_HOTSPOTS)))]
    return round(lon + rng.normal(0, spread * 1.6), 5), round(lat + rng.normal(0, spread), 5)


def _pick(rng: np.random.Generator, values: list[Any], p: list[float] | None = None) -> Any:
    return values[int(rng.choice(len(values), p=p))]


def council_asb(rng: np.random.Generator) -> tuple[list[str], list[list[Any]]]:
    types = {
        "personal": ["neighbour dispute", "harassment", "intimidation"],
        "nuisance": ["noise", "rowdy behaviour", "vehicle nuisance", "youth nuisance"],
        "environmental": ["fly-tipping", "graffiti", "litter"],
    }
    rows = []
    dates = sorted(_days(rng, 300))
    for i, d in enumerate(dates, start=1):
        cat = _pick(rng, list(types), [0.2, 0.6, 0.2])
        lon, lat = _point(rng)
        located = rng.random() > 0.05
        rows.append([
            f"ASB-23-{i:05d}", d.isoformat(), cat, _pick(rng, types[cat]),
            _pick(rng, _STREETS), lon if located else "", lat if located else "", "", "",
        ])  # fmt: skip
    # A near-repeat burst: five incidents within a few days and ~50 m of each other.
    for k in range(5):
        d = dt.date(2023, 7, 3) + dt.timedelta(days=k)
        rows.append([f"ASB-23-{400 + k:05d}", d.isoformat(), "nuisance", "rowdy behaviour",
                     "Market Square", round(-2.4830 + 0.0003 * k, 5), 53.7470, "", ""])  # fmt: skip
    header = ["incident_ref", "date", "category", "asb_type", "location", "longitude",
              "latitude", "lsoa_code", "ward_code"]  # fmt: skip
    return header, rows


def fire_deliberate(rng: np.random.Generator) -> tuple[list[str], list[list[Any]]]:
    rows = []
    for i in range(250):
        d = _days(rng, 1)[0]
        t = dt.time(int(_pick(rng, list(range(24)), _hour_weights())), int(rng.integers(0, 60)))
        primary = rng.random() < 0.3
        prop = (
            _pick(rng, ["dwelling", "other building", "road vehicle", "outdoor structure"])
            if primary
            else _pick(rng, ["grassland woodland and crops", "refuse and rubbish", "other outdoor"])
        )
        alarm = ("yes" if rng.random() < 0.7 else "no") if prop == "dwelling" else ""
        e = int(368_500 + rng.normal(0, 1800))
        n = int(428_300 + rng.normal(0, 1400))
        rows.append([f"IRS-{d.year}-{1000 + i}", f"{d.isoformat()} {t.isoformat()}",
                     "primary" if primary else "secondary", prop, alarm, e, n, ""])  # fmt: skip
    header = ["incident_id", "call_datetime", "fire_type", "property_type",
              "smoke_alarm_fitted", "easting", "northing", "ward_code"]  # fmt: skip
    return header, rows


def _hour_weights() -> list[float]:
    w = np.array([3, 3, 2, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 3, 4, 5, 6, 7, 8, 8, 7, 5, 4], float)
    return list(w / w.sum())


def ae_assaults(rng: np.random.Generator) -> tuple[list[str], list[list[Any]]]:
    methods = ["body part", "blunt object", "bottle or glass", "knife or blade",
               "other sharp object", "firearm", "other", "not known"]  # fmt: skip
    places = ["street or public place", "licensed premises", "home", "workplace",
              "school or college", "public transport", "other", "not known"]  # fmt: skip
    venues = ["outside The Red Lion", "taxi rank, King Street", "bus station",
              "Market Square", "Darwen Street car park", "near the station"]  # fmt: skip
    rows = []
    for _ in range(200):
        d = _days(rng, 1)[0]
        # Weekend nights: move most assaults to Friday/Saturday evening.
        if rng.random() < 0.6:
            d += dt.timedelta(days=(4 - d.weekday()) % 7 + int(rng.integers(0, 2)))
            if d.year > 2023:
                d -= dt.timedelta(days=7)
        when = dt.datetime.combine(d, dt.time(int(rng.choice([20, 21, 22, 23, 0, 1, 2])),
                                               int(rng.integers(0, 60))))  # fmt: skip
        arrival = when + dt.timedelta(minutes=int(rng.integers(20, 360)))
        method = _pick(rng, methods, [0.55, 0.08, 0.1, 0.07, 0.03, 0.005, 0.065, 0.1])
        place = _pick(rng, places, [0.45, 0.2, 0.18, 0.04, 0.02, 0.03, 0.04, 0.04])
        lon, lat = _point(rng, 0.006)
        located = rng.random() < 0.6
        rows.append([
            "RXR10", arrival.strftime("%Y-%m-%d %H:%M"), when.strftime("%Y-%m-%d %H:%M"),
            method, "kicked by a horse" if method == "other" and rng.random() < 0.2 else "",
            place, _pick(rng, venues) if place != "home" else "", lon if located else "",
            lat if located else "", int(rng.integers(1, 4)) if rng.random() < 0.8 else "",
            _pick(rng, ["stranger", "acquaintance", "partner or ex-partner", "family member",
                        "other", "not known"], [0.45, 0.2, 0.12, 0.08, 0.05, 0.1]),
        ])  # fmt: skip
    header = ["site_code", "arrival_datetime", "assault_datetime", "assault_method",
              "assault_method_other", "location_type", "location_description", "longitude",
              "latitude", "assailants", "relationship"]  # fmt: skip
    return header, rows


def marac(rng: np.random.Generator) -> tuple[list[str], list[list[Any]]]:
    sources = ["police", "idva", "health", "children's social care", "adult social care",
               "housing", "probation", "education", "mental health", "substance misuse",
               "voluntary sector", "other"]  # fmt: skip
    p = [0.64, 0.1, 0.06, 0.06, 0.02, 0.03, 0.02, 0.01, 0.02, 0.01, 0.02, 0.01]
    rows = []
    for i, d in enumerate(sorted(_days(rng, 180)), start=1):
        dash = int(rng.integers(8, 25))
        heard = d + dt.timedelta(days=int(rng.integers(5, 22)))
        rows.append([
            f"MC-{i:04d}", d.isoformat(), heard.isoformat(),
            "yes" if rng.random() < 0.32 else "no", _pick(rng, sources, p),
            "visible high risk" if dash >= 14 else _pick(rng, ["professional judgement",
                                                                "potential escalation", "repeat"]),
            dash, _pick(rng, ["female", "male", "not known"], [0.93, 0.065, 0.005]),
            _pick(rng, ["16-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+"],
                  [0.013, 0.2, 0.33, 0.24, 0.13, 0.06, 0.027]),
            _pick(rng, ["white", "mixed", "asian", "black", "other", "not known"],
                  [0.8, 0.03, 0.1, 0.03, 0.01, 0.03]),
            "yes" if rng.random() < 0.016 else "no", "yes" if rng.random() < 0.1 else "no",
            int(rng.integers(0, 4)), _pick(rng, _WARDS),
        ])  # fmt: skip
    header = ["case_id", "referral_date", "meeting_date", "repeat_case", "referral_source",
              "referral_criterion", "dash_score", "victim_sex", "victim_age_band",
              "victim_ethnicity_group", "victim_lgbt", "victim_disabled",
              "children_in_household", "ward_code"]  # fmt: skip
    return header, rows


def nrm(rng: np.random.Generator) -> tuple[list[str], list[list[Any]]]:
    types = ["labour", "sexual", "criminal", "labour and criminal", "domestic servitude",
             "organ harvesting", "not specified or unknown"]  # fmt: skip
    rows = []
    for _ in range(120):
        m = int(rng.integers(0, 18))
        child = rng.random() < 0.45
        rows.append([
            f"{2023 + m // 12}-{m % 12 + 1:02d}", "child" if child else "adult",
            _pick(rng, types, [0.08, 0.05, 0.75, 0.04, 0.02, 0.0, 0.06] if child
                  else [0.4, 0.2, 0.2, 0.05, 0.1, 0.01, 0.04]),
            _pick(rng, ["police", "local authority", "home office", "ngo", "health", "other"],
                  [0.35, 0.3, 0.2, 0.1, 0.03, 0.02]), "E06000008",
        ])  # fmt: skip
    rows.sort(key=lambda r: r[0])
    header = ["referral_month", "age_group", "exploitation_type", "first_responder",
              "local_authority_code"]  # fmt: skip
    return header, rows


def speed_watch(rng: np.random.Generator) -> tuple[list[str], list[list[Any]]]:
    sites = [(f"{_STREETS[i]}, site {i + 1}", *_point(rng, 0.02), _pick(rng, [20, 30, 40]))
             for i in range(10)]  # fmt: skip
    parishes = ["Darwen", "Livesey", "North Turton", "Yate and Pickup Bank"]
    rows = []
    for i, d in enumerate(sorted(_days(rng, 150)), start=1):
        site, lon, lat, limit = sites[int(rng.integers(0, len(sites)))]
        checked = int(rng.integers(80, 400))
        over = int(rng.binomial(checked, 0.09))
        letters = int(rng.binomial(over, 0.9))
        repeat = int(rng.binomial(letters, 0.1))
        rows.append([f"CSW-{i:04d}", site, _pick(rng, parishes), d.isoformat(), 60, limit,
                     checked, over, letters, repeat, lon, lat])  # fmt: skip
    header = ["session_id", "site", "parish", "session_date", "duration_minutes", "speed_limit",
              "vehicles_checked", "over_limit", "letters_issued", "repeat_keepers", "longitude",
              "latitude"]  # fmt: skip
    return header, rows


def speed_enforcement(rng: np.random.Generator) -> tuple[list[str], list[list[Any]]]:
    detections = {"fixed camera": 900, "mobile camera": 500, "average speed camera": 300,
                  "officer detected": 60, "other": 10}  # fmt: skip
    outcomes = {"fixed penalty notice": 0.45, "speed awareness course": 0.45,
                "court summons": 0.08, "other": 0.02}  # fmt: skip
    rows = []
    for m in range(24):
        month = f"{2023 + m // 12}-{m % 12 + 1:02d}"
        for det, mean in detections.items():
            for out, share in outcomes.items():
                rows.append([month, det, out, int(rng.poisson(mean * share))])
    return ["month_issued", "detection", "outcome", "notices"], rows


def call_handling(rng: np.random.Generator) -> tuple[list[str], list[list[Any]]]:
    rows = []
    for m in range(24):
        month = f"{2023 + m // 12}-{m % 12 + 1:02d}"
        for line, mean, within, target in (("999", 21000, 0.9, 10), ("101", 38000, 0.6, "")):
            offered = int(rng.normal(mean, mean * 0.06))
            answered = int(offered * min(0.99, rng.normal(within, 0.03)))
            abandoned = int(offered * abs(rng.normal(0.01 if line == "999" else 0.12, 0.01)))
            avg = round(abs(rng.normal(6 if line == "999" else 140, 2 if line == "999" else 40)), 1)
            rows.append([month, line, offered, answered, abandoned, avg, target])
    header = ["month_of_calls", "line", "calls_offered", "answered_within_target", "abandoned",
              "average_answer_seconds", "target_seconds"]  # fmt: skip
    return header, rows


def police_workforce(rng: np.random.Generator) -> tuple[list[str], list[list[Any]]]:
    base = {"officer": 3000, "pcso": 250, "staff": 2200, "special constable": 200}
    eth = {"white": 0.9, "mixed": 0.02, "asian": 0.05, "black": 0.01, "other": 0.005,
           "not stated": 0.015}  # fmt: skip
    rows = []
    for snap in (dt.date(2023, 3, 31), dt.date(2023, 9, 30), dt.date(2024, 3, 31)):
        for role, total in base.items():
            for e, share in eth.items():
                for sex, s_share in (("female", 0.4), ("male", 0.6)):
                    head = int(rng.poisson(total * share * s_share))
                    fte = round(head * (0.5 if role == "special constable" else 0.93), 1)
                    rows.append([dt.datetime.combine(snap, dt.time()), role, e, sex, head, fte])
    header = ["snapshot_date", "role", "ethnicity_group", "sex", "headcount", "fte"]
    return header, rows


def victims_code(rng: np.random.Generator) -> tuple[list[str], list[list[Any]]]:
    ents = {"written acknowledgement": (2, 0.92), "referral to support services": (4, 0.78),
            "updates within timeframes": (6, 0.7), "victim personal statement offered": (7, 0.6),
            "offender release date communicated": (11, 0.85)}  # fmt: skip
    rows = []
    for fq in ("2023/24 Q1", "2023/24 Q2", "2023/24 Q3", "2023/24 Q4", "2024/25 Q1", "2024/25 Q2"):
        for agency, size in (("police", 900), ("victim services", 120)):
            for ent, (right, rate) in ents.items():
                if agency == "victim services" and ent != "referral to support services":
                    continue
                denom = int(
                    rng.poisson(size if ent != "offender release date communicated" else 14)
                )
                rows.append([fq, agency, ent, right, int(rng.binomial(denom, rate)), denom])
    header = ["reporting_quarter", "agency", "entitlement", "right_number", "numerator",
              "denominator"]  # fmt: skip
    return header, rows


MAKERS: dict[
    str, tuple[Callable[[np.random.Generator], tuple[list[str], list[list[Any]]]], str]
] = {
    "council_asb": (council_asb, "csv"),
    "fire_deliberate": (fire_deliberate, "csv"),
    "ae_assaults": (ae_assaults, "csv"),
    "marac": (marac, "csv"),
    "nrm": (nrm, "csv"),
    "speed_watch": (speed_watch, "csv"),
    "speed_enforcement": (speed_enforcement, "csv"),
    "call_handling": (call_handling, "csv"),
    "police_workforce": (police_workforce, "xlsx"),
    "victims_code": (victims_code, "xlsx"),
}


def example_path(name: str) -> Path:
    return EXAMPLES / f"{name}.synthetic.{MAKERS[name][1]}"


def rows_for(name: str) -> tuple[list[str], list[list[Any]]]:
    """The example's header and rows, from the template's own seeded generator."""
    seed = SEED + sorted(MAKERS).index(name)
    return MAKERS[name][0](np.random.default_rng(seed))


def write(name: str, folder: Path = EXAMPLES) -> Path:
    header, rows = rows_for(name)
    path = folder / example_path(name).name
    folder.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".csv":
        with open(path, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(header)
            w.writerows(rows)
        return path
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = name
    ws.append(header)
    for r in rows:
        ws.append(r)
    about = wb.create_sheet("About")
    about.append(["SYNTHETIC example data made by saferplaces.partners._examples; not real."])
    fixed = dt.datetime(2024, 6, 11)
    wb.properties.created = wb.properties.modified = fixed
    wb.save(path)
    return path


def main() -> None:
    for name in MAKERS:
        print(write(name))


if __name__ == "__main__":
    main()
