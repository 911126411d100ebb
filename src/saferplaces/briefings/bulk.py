"""Briefings for every area of a level in one run: HTML, PDF and JSON per area, an index page
and a zip of the lot.

Statistics are computed once for the level (:meth:`BriefingSet.prepare`); each area's content
is then picked out in this process and its HTML and PDF are written by a pool of worker
processes (WeasyPrint is the slow part, and it is single-threaded). The workers are forked
*before* the statistics are computed, so they start from a process with no DuckDB connection
(whose threads could hold locks a forked child might need), and they load WeasyPrint and the
print stylesheet while the statistics run. ``spawn`` would avoid the question but re-imports the
caller's main module, which breaks a plain script without an ``if __name__ == "__main__"``
guard; it is used where ``fork`` does not exist. A failure in one area (bad data, a rendering
error) is recorded in the report and on the index page, and the other areas carry on.
"""

from __future__ import annotations

import json
import multiprocessing
import re
import time
import traceback
import warnings as _warnings
import zipfile
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..indicators.cube import MartCube
from ..workspace import Workspace
from .config import BriefingsConfig
from .content import BriefingSet
from .render import MAX_PAGES, copy_assets, pdf_available, render_html, render_index

ASSETS = "assets"
INDEX = "index.html"
REPORT = "report.json"


@dataclass
class BriefingResult:
    code: str
    name: str
    stem: str = ""
    html: str | None = None
    pdf: str | None = None
    json: str | None = None
    pages: int | None = None
    headline: str = ""
    error: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class BulkReport:
    level: str
    out_dir: Path
    index: Path
    zip: Path | None
    period: str
    results: list[BriefingResult]
    warnings: list[str]
    timings: dict[str, float]
    workers: int

    @property
    def written(self) -> list[BriefingResult]:
        return [r for r in self.results if r.ok]

    @property
    def failures(self) -> list[BriefingResult]:
        return [r for r in self.results if not r.ok]

    @property
    def ok(self) -> bool:
        return not self.failures


ProgressCallback = Callable[[int, int, BriefingResult], None]

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def file_stem(code: str, taken: set[str]) -> str:
    """A safe, unique file name for an area code (codes come from users' boundary files)."""
    base = _UNSAFE.sub("_", code).strip("_")[:80] or "area"
    stem, k = base, 2
    while stem.lower() in taken:
        stem, k = f"{base}-{k}", k + 1
    taken.add(stem.lower())
    return stem


def _render_task(
    content: dict[str, Any], folder: str, stem: str, pdf: bool, css_govuk: str | None
) -> dict[str, Any]:
    """Write one area's HTML (and PDF); runs in a worker process. Never raises."""
    out: dict[str, Any] = {"code": content["area"]["code"], "seconds": {}}
    try:
        base = Path(folder)
        t0 = time.perf_counter()
        html = render_html(
            content,
            mode="web",
            assets=f"{ASSETS}/",
            css_govuk=css_govuk,
            pdf_href=f"{stem}.pdf" if pdf else None,
            index_href=INDEX,
        )
        (base / f"{stem}.html").write_text(html, "utf-8")
        out["html"] = f"{stem}.html"
        t1 = time.perf_counter()
        out["seconds"]["html"] = t1 - t0
        if pdf:
            from .render import render_pdf_pages

            pages = render_pdf_pages(content, base / f"{stem}.pdf")
            out["pdf"] = f"{stem}.pdf"
            out["pages"] = pages
            out["seconds"]["pdf"] = time.perf_counter() - t1
    except Exception as exc:  # one area's failure must not stop the others
        out["error"] = f"{type(exc).__name__}: {exc}"
        out["traceback"] = traceback.format_exc(limit=6)
    return out


def generate_briefings(
    ws: Workspace,
    level: str,
    out_dir: str | Path,
    *,
    areas: Sequence[str] | None = None,
    pdf: bool = True,
    workers: int = 2,
    make_zip: bool = True,
    config: BriefingsConfig | None = None,
    cube: MartCube | None = None,
    progress: ProgressCallback | None = None,
    on_prepared: Callable[[int], None] | None = None,
) -> BulkReport:
    """Write the briefings of every area of ``level`` (or of ``areas``) into ``out_dir``."""
    t_start = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if pdf and not pdf_available():
        pdf = False
        no_pdf = True
    else:
        no_pdf = False
    n_workers = max(1, min(workers, len(areas) if areas else workers)) if pdf else 1
    pool = _start_pool(n_workers) if n_workers > 1 else None
    try:
        return _generate(
            ws, level, out, t_start, pool, n_workers, no_pdf,
            areas=areas, pdf=pdf, make_zip=make_zip, config=config, cube=cube,
            progress=progress, on_prepared=on_prepared,
        )  # fmt: skip
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


def _start_pool(n: int) -> ProcessPoolExecutor:
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    pool = ProcessPoolExecutor(
        n, mp_context=multiprocessing.get_context(method), initializer=_init_worker
    )
    with _warnings.catch_warnings():
        # Python 3.12+ warns about fork() in a process with threads. The children only render
        # (Jinja2, WeasyPrint) and never use DuckDB or any lock those threads hold.
        _warnings.simplefilter("ignore", DeprecationWarning)
        for f in [pool.submit(_ping) for _ in range(n)]:
            f.result()
    return pool


def _init_worker() -> None:
    from .render import _print_stylesheet

    if pdf_available():
        _print_stylesheet()  # parse the print stylesheet once per worker, up front


def _ping() -> int:
    return 0


def _generate(
    ws: Workspace,
    level: str,
    out: Path,
    t_start: float,
    pool: ProcessPoolExecutor | None,
    n_workers: int,
    no_pdf: bool,
    *,
    areas: Sequence[str] | None,
    pdf: bool,
    make_zip: bool,
    config: BriefingsConfig | None,
    cube: MartCube | None,
    progress: ProgressCallback | None,
    on_prepared: Callable[[int], None] | None,
) -> BulkReport:
    bset = BriefingSet.prepare(ws, level, cube=cube, config=config)
    t_prepared = time.perf_counter()
    warnings: list[str] = []
    unknown = bset.config.unknown_codes(set(bset.codes))
    if unknown and bset.config.areas:
        # The file can hold several levels' areas: only say so for codes of no stored level.
        warnings.append(
            "briefings.yaml has text for areas not in level "
            f"'{level}': {', '.join(unknown[:10])}{' …' if len(unknown) > 10 else ''}"
        )
    if no_pdf:
        warnings.append("WeasyPrint is not installed (the 'pdf' extra): no PDFs were written.")
    wanted = list(dict.fromkeys(areas)) if areas else list(bset.codes)
    css_govuk = copy_assets(out / ASSETS)
    results: dict[str, BriefingResult] = {}
    taken: set[str] = {INDEX.removesuffix(".html"), REPORT.removesuffix(".json")}
    total = len(wanted)
    done = 0
    if on_prepared is not None:
        on_prepared(total)

    def finish(r: BriefingResult) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total, r)

    futures: list[tuple[BriefingResult, Future[dict[str, Any]]]] = []
    content_s = 0.0
    for code in wanted:
        name = bset.names[bset.level.index[code]] if code in bset.level.index else code
        res = BriefingResult(code, name)
        results[code] = res
        t0 = time.perf_counter()
        try:
            content = bset.content(code)
            res.stem = file_stem(code, taken)
            res.headline = content["headline"]["title"]
            (out / f"{res.stem}.json").write_text(
                json.dumps(content, ensure_ascii=False, separators=(",", ":")), "utf-8"
            )
            res.json = f"{res.stem}.json"
        except Exception as exc:
            res.error = f"{type(exc).__name__}: {exc}"
            res.seconds["content"] = time.perf_counter() - t0
            finish(res)
            continue
        res.seconds["content"] = time.perf_counter() - t0
        content_s += res.seconds["content"]
        if pool is not None:
            futures.append(
                (res, pool.submit(_render_task, content, str(out), res.stem, pdf, css_govuk))
            )
        else:
            _apply(res, _render_task(content, str(out), res.stem, pdf, css_govuk))
            finish(res)
    owner = {id(fut): res for res, fut in futures}
    for fut in as_completed([f for _, f in futures]):
        res = owner[id(fut)]
        try:
            _apply(res, fut.result())
        except Exception as exc:  # a worker died: report it against this area
            res.error = f"{type(exc).__name__}: {exc}"
        finish(res)
    ordered = [results[c] for c in wanted]
    for r in ordered:
        if r.pages is not None and r.pages > MAX_PAGES:
            warnings.append(f"{r.code}: the PDF has {r.pages} pages (at most {MAX_PAGES} wanted)")
    period = ""
    if bset.figures.counts:
        first = next(iter(bset.figures.counts.values()))
        period = next((e.period for e in first if e.period), "")
    meta = {
        "partnership": ws.config.partnership.name,
        "level": level,
        "level_label": bset.level.label,
        "period": period,
        "generated": bset.generated,
        "zip": f"briefings-{level}.zip" if make_zip else None,
        "pdf": pdf,
    }
    (out / INDEX).write_text(
        render_index(
            [asdict(r) for r in ordered if r.ok],
            [{"code": r.code, "name": r.name, "error": r.error or ""} for r in ordered if not r.ok],
            meta,
            css_govuk=css_govuk,
            assets=f"{ASSETS}/",
        ),
        "utf-8",
    )
    t_rendered = time.perf_counter()
    html_s = sum(r.seconds.get("html", 0.0) for r in ordered)
    pdf_s = sum(r.seconds.get("pdf", 0.0) for r in ordered)
    timings = {
        "statistics": t_prepared - t_start,
        "content": content_s,
        "html": html_s,
        "pdf": pdf_s,
        "render_wall": t_rendered - t_prepared,
    }
    zip_path = None
    if make_zip:
        zip_path = out / str(meta["zip"])
        _zip(out, zip_path)
    timings["zip"] = time.perf_counter() - t_rendered
    timings["total"] = time.perf_counter() - t_start
    report = BulkReport(
        level, out, out / INDEX, zip_path, period, ordered, warnings, timings, n_workers
    )
    (out / REPORT).write_text(
        json.dumps(
            {
                "level": level,
                "period": period,
                "generated": bset.generated,
                "workers": n_workers,
                "timings": timings,
                "warnings": warnings,
                "results": [asdict(r) for r in ordered],
            },
            indent=1,
        ),
        "utf-8",
    )
    return report


def _apply(res: BriefingResult, task: dict[str, Any]) -> None:
    res.html = task.get("html")
    res.pdf = task.get("pdf")
    res.pages = task.get("pages")
    res.error = task.get("error")
    res.seconds.update(task.get("seconds", {}))


def _zip(folder: Path, target: Path) -> None:
    tmp = target.with_suffix(".zip.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for p in sorted(folder.rglob("*")):
            if p.is_file() and p != target and p != tmp and p.suffix != ".tmp":
                # PDFs are already compressed: storing them is as small and much faster.
                kind = zipfile.ZIP_STORED if p.suffix == ".pdf" else zipfile.ZIP_DEFLATED
                zf.write(p, p.relative_to(folder).as_posix(), compress_type=kind)
    tmp.replace(target)
