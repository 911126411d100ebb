"""Detecting personal data in an uploaded file, column by column.

Partner data shared under the Crime and Disorder Act must be *depersonalised* (Prescribed
Information Regulations 2007), and the ISTV standard forbids patient identifiers. A column is
flagged when its header or its values look like:

* **names** — a header such as ``forename``, ``surname``, ``full name``, ``victim name``
  (not ``street name``, ``ward name``, …), or ≥ 30% of values shaped like "Forename Surname"
  / "Surname, Forename" with a common forename and no street word (so "Jasper Street" is not
  a name);
* **full postcodes** — any value containing a full UK postcode (``BB1 2AB``); a postcode
  district (``BB1``) or sector (``BB1 2``) is not personal data;
* **dates of birth** — a header such as ``dob`` or ``date of birth``, or a column whose
  values are mostly dates 10–110 years ago (ages);
* **phone numbers** — UK numbers, in ≥ 20% of values (or any, under a phone header), and
  mobile numbers anywhere in free text;
* **email addresses** — any value containing one;
* **NHS numbers** — ten digits passing the NHS mod-11 check, in ≥ 20% of values (or any,
  under an NHS header).

The importer refuses a file whose *stored* columns are flagged unless the dataset is
``restricted`` (then it warns); columns that are not mapped are never stored, and only warn.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["Finding", "PersonalDataScanner", "nhs_number_valid"]

# Common forenames in England and Wales (ONS baby names and census frequency lists, recent
# and older cohorts); enough to tell "Sarah Jones" from "Peridot Close".
_FORENAMES_TEXT = """
    aaliyah abdul abigail adam adrian ahmed aiden alan albert alex alexander alfie alice
    alison amanda amber amelia amir amy andrea andrew angela ann anna anne anthony archie
    arthur ava barbara barry ben benjamin beth bethany betty bradley brenda brian callum
    cameron carl carol caroline catherine charles charlie charlotte chloe chris christine
    christopher claire clare colin connor craig daisy daniel danielle darren david dawn dean
    debbie deborah dennis derek diane donna dorothy dylan edward eleanor elizabeth ella
    ellie emily emma eric ethan evelyn evie fatima florence frank frederick freddie gary
    gavin gemma geoffrey george georgia gillian gordon grace graham hannah harper harrison
    harry harvey hayley heather helen henry holly ian imogen isaac isabella isabelle isla
    ivy jack jacob jade jake james jamie jane janet jason jayden jean jennifer jessica jill
    joan joanne joe john jonathan jordan joseph josh joshua joyce julie karen kate katherine
    kathleen katie kayleigh keith kelly kenneth kevin kieran kim kyle laura lauren leah lee
    leo leon lewis liam lily linda lisa logan louis louise lucas lucy luke lynn maisie
    malcolm margaret maria marie mark martin mary mason matthew maureen megan melissa mia
    michael michelle mohammed muhammad mohammad nathan neil nicholas nicola noah oliver
    olivia oscar owen pamela patricia paul pauline peter phillip philip poppy rachel rebecca
    reece richard rob robert robin roger ronald rose ross ruby ryan samantha samuel sandra
    sarah scott sean shaun sharon sheila shirley simon sophia sophie stacey stephanie
    stephen steven stuart susan tanya teresa terry theo thomas tina toby tom tony tracey
    tracy victoria wayne william willow yusuf zara zoe
"""
FORENAMES = frozenset(_FORENAMES_TEXT.split())
# Last words that make a capitalised phrase a place, not a person.
_PLACE_WORDS_TEXT = """
    street st road rd close lane avenue ave drive way court place crescent grove terrace
    gardens park square walk row hill view rise green mews parade centre center station
    estate fold brow croft bank side gate yard vale wood field fields meadow meadows hall
    house school church bridge market precinct village town city common moor end corner
"""
_PLACE_WORDS = frozenset(_PLACE_WORDS_TEXT.split())
_NAME_HEADER_WORDS = {
    "forename", "forenames", "surname", "surnames", "firstname", "lastname", "fullname",
    "givenname", "familyname", "maidenname", "middlename",
}  # fmt: skip
_NAME_HEADER_PHRASES = ("first name", "last name", "given name", "family name", "full name",
                        "middle name", "maiden name", "christian name")  # fmt: skip
_PERSON_WORDS = {
    "victim", "patient", "offender", "suspect", "perpetrator", "client", "caller", "person",
    "customer", "keeper", "driver", "owner", "complainant", "witness", "officer", "contact",
    "child", "parent", "referrer", "subject", "resident", "tenant", "student", "pupil",
}  # fmt: skip
_DOB_HEADERS = ("dob", "d o b", "date of birth", "birth date", "birthdate", "born")
_PHONE_HEADERS = ("phone", "telephone", "tel", "mobile", "contact number")
_NHS_HEADERS = ("nhs",)

_POSTCODE = r"(?i)\b[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][ABD-HJLNP-UW-Z]{2}\b"
_EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
_PHONE = r"^\s*(\+44\s?\(?0?\)?\s?|0044\s?|\(?0)[0-9][0-9 ()-]{8,13}$"
_MOBILE_IN_TEXT = r"(\+44\s?7\d{3}|\b07\d{3})\s?\d{3}\s?\d{3}\b"
_NHS = r"^\d{3}[ -]?\d{3}[ -]?\d{4}$"
_NAME_SHAPE = (
    r"^[A-Z][a-z'’-]+( [A-Z][a-z'’-]+){1,3}$|^[A-Z][a-zA-Z'’-]+, [A-Z][a-z'’-]+( [A-Z][a-z'’-]+)?$"
)
_DATEISH = r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}"


def nhs_number_valid(text: str) -> bool:
    """True for a ten-digit NHS number whose check digit is right (modulus 11)."""
    digits = [int(c) for c in text if c.isdigit()]
    if len(digits) != 10:
        return False
    total = sum(d * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == digits[9]


def _words(header: str) -> list[str]:
    return re.sub(r"[^a-z0-9]+", " ", header.casefold()).split()


def _header_has(header: str, phrases: tuple[str, ...]) -> bool:
    text = " " + " ".join(_words(header)) + " "
    return any(f" {p} " in text for p in phrases)


def name_header(header: str) -> bool:
    words = _words(header)
    joined = "".join(words)
    if any(w in _NAME_HEADER_WORDS for w in words) or joined in _NAME_HEADER_WORDS:
        return True
    if _header_has(header, _NAME_HEADER_PHRASES):
        return True
    return "name" in words and (len(words) == 1 or any(w in _PERSON_WORDS for w in words))


@dataclass
class Finding:
    column: str  # the file's header
    kind: str  # names, postcodes, dates_of_birth, phone_numbers, emails, nhs_numbers
    reason: str
    rows: list[int] = field(default_factory=list)  # a few example row numbers

    def describe(self) -> str:
        where = f" (e.g. row {', '.join(str(r) for r in self.rows[:3])})" if self.rows else ""
        return f"'{self.column}': {self.reason}{where}"


@dataclass
class _Stats:
    non_blank: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[int]] = field(default_factory=dict)
    dates: int = 0
    old_dates: int = 0

    def add(self, kind: str, mask: np.ndarray, rows: np.ndarray) -> None:
        n = int(mask.sum())
        if not n:
            return
        self.counts[kind] = self.counts.get(kind, 0) + n
        ex = self.examples.setdefault(kind, [])
        if len(ex) < 3:
            ex.extend(int(r) for r in rows[mask][: 3 - len(ex)])


class PersonalDataScanner:
    """Feed it chunks of text columns; :meth:`findings` says which look personal."""

    def __init__(self, headers: list[str], *, today: dt.date, skip_dates: set[str]) -> None:
        self.headers = headers
        self.today = today
        self.skip_dates = skip_dates  # columns mapped to the dataset's own date column
        self.stats = {h: _Stats() for h in headers}

    def scan(self, header: str, raw: pa.Array, row_numbers: np.ndarray) -> None:
        st = self.stats[header]
        text = pc.utf8_trim_whitespace(raw.cast(pa.string()))
        present = np.asarray(pc.not_equal(text, "").to_numpy(zero_copy_only=False), dtype=bool)
        st.non_blank += int(present.sum())
        if not present.any():
            return

        def match(pattern: str) -> np.ndarray:
            m = pc.match_substring_regex(text, pattern).to_numpy(zero_copy_only=False)
            out: np.ndarray = np.asarray(m, dtype=bool) & present
            return out

        st.add("postcodes", match(_POSTCODE), row_numbers)
        st.add("emails", match(_EMAIL), row_numbers)
        st.add("phone_numbers", match(_PHONE), row_numbers)
        st.add("mobile_in_text", match(_MOBILE_IN_TEXT), row_numbers)
        nhs_shape = match(_NHS)
        if nhs_shape.any():
            vals = text.to_pylist()
            ok = np.array(
                [bool(s) and nhs_shape[i] and nhs_number_valid(s) for i, s in enumerate(vals)]
            )
            st.add("nhs_numbers", ok, row_numbers)
        shaped = match(_NAME_SHAPE)
        if shaped.any():
            vals = text.to_pylist()
            person = np.zeros(len(vals), dtype=bool)
            for i in np.flatnonzero(shaped):
                person[i] = _looks_like_person(vals[i])
            st.add("names", person, row_numbers)
        if header not in self.skip_dates:
            dateish = match(_DATEISH)
            if dateish.any():
                from ._values import _date_of

                lo = self.today.replace(year=self.today.year - 110)
                hi = self.today.replace(year=self.today.year - 10)
                uniq = pc.unique(pc.filter(text, pa.array(dateish))).to_pylist()
                old = {u for u in uniq if (d := _date_of(u)) is not None and lo <= d <= hi}
                parsed = {u for u in uniq if _date_of(u) is not None}
                vals = text.to_pylist()
                st.dates += sum(1 for i in np.flatnonzero(dateish) if vals[i] in parsed)
                st.old_dates += sum(1 for i in np.flatnonzero(dateish) if vals[i] in old)

    def findings(self) -> list[Finding]:
        out: list[Finding] = []
        for h in self.headers:
            st = self.stats[h]
            if not st.non_blank:
                continue
            share = {k: v / st.non_blank for k, v in st.counts.items()}

            def add(kind: str, reason: str, key: str | None = None, h: str = h) -> None:
                out.append(Finding(h, kind, reason, self.stats[h].examples.get(key or kind, [])))

            if name_header(h):
                add("names", "the header names a person's name")
            elif share.get("names", 0) >= 0.3 and st.counts["names"] >= 3:
                add("names", f"{share['names']:.0%} of values look like people's names")
            if st.counts.get("postcodes"):
                add("postcodes", f"{st.counts['postcodes']:,} value(s) hold a full postcode")
            if _header_has(h, _DOB_HEADERS):
                add("dates_of_birth", "the header names a date of birth")
            elif st.dates >= 3 and st.old_dates / st.dates >= 0.5:
                add(
                    "dates_of_birth",
                    f"{st.old_dates / st.dates:.0%} of dates are 10–110 years ago, like ages",
                )
            if st.counts.get("emails"):
                add("emails", f"{st.counts['emails']:,} value(s) hold an email address")
            phone_header = _header_has(h, _PHONE_HEADERS)
            if (share.get("phone_numbers", 0) >= 0.2) or (
                phone_header and st.counts.get("phone_numbers")
            ):
                add("phone_numbers", f"{st.counts['phone_numbers']:,} value(s) are phone numbers")
            elif st.counts.get("mobile_in_text"):
                add(
                    "phone_numbers",
                    f"{st.counts['mobile_in_text']:,} value(s) hold a mobile number",
                    "mobile_in_text",
                )
            if share.get("nhs_numbers", 0) >= 0.2 or (
                _header_has(h, _NHS_HEADERS) and st.counts.get("nhs_numbers")
            ):
                add(
                    "nhs_numbers",
                    f"{st.counts['nhs_numbers']:,} value(s) are valid NHS numbers (mod-11 check)",
                )
        return out


def _looks_like_person(value: str) -> bool:
    if "," in value:
        surname, _, rest = value.partition(",")
        words = rest.split()
        first = words[0] if words else ""
        last = surname.strip().split()[-1] if surname.strip() else ""
    else:
        words = value.split()
        first, last = words[0], words[-1]
    return first.casefold() in FORENAMES and last.casefold() not in _PLACE_WORDS
