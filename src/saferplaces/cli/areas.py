"""``saferplaces areas``: boundaries, lookups, denominators, hierarchy, grids, peer groups."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from .. import geo
from ..errors import InputError
from ..geo.hierarchy import Hierarchy
from ..geo.importer import import_areas
from ..geo.store import level_summaries, provenance, save_lookup
from . import console, main, open_workspace, workspace_option


@main.group()
def areas() -> None:
    """Areas: import boundaries and lookups, denominators, hierarchy, grids, peer groups."""


def _warn(lines: list[str]) -> None:
    for line in lines:
        console.print(f"[yellow]Warning:[/] {line}", soft_wrap=True)


@areas.command("import")
@workspace_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--level", required=True, help="Level name, e.g. ward, parish, beat.")
@click.option("--code-field", help="Field holding each area's code.")
@click.option("--name-field", help="Field holding each area's name.")
@click.option("--parent-field", help="Field holding each area's parent code (optional).")
@click.option("--code", help="Code for a single-area file (e.g. police.uk neighbourhood).")
@click.option("--name", help="Name for a single-area file.")
@click.option("--vintage", help="Boundary vintage, e.g. 2022.")
@click.option("--crs", help="CRS when the file declares none, e.g. EPSG:27700.")
@click.option("--layer", help="Layer (GeoPackage) or file inside a zip to read.")
@click.option("--merge", is_flag=True, help="Add/replace these codes, keeping the level's others.")
def import_(
    workspace: Path,
    file: Path,
    level: str,
    code_field: str | None,
    name_field: str | None,
    parent_field: str | None,
    code: str | None,
    name: str | None,
    vintage: str | None,
    crs: str | None,
    layer: str | None,
    merge: bool,
) -> None:
    """Import area boundaries (GeoJSON, GeoPackage, Shapefile/zip, KML/KMZ, police.uk JSON)."""
    ws = open_workspace(workspace)
    try:
        geo.areas.check_level(level)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--level") from None
    imported = import_areas(
        ws, file, level=level, code_field=code_field, name_field=name_field,
        parent_field=parent_field, code=code, name=name, vintage=vintage, crs=crs,
        layer=layer, merge=merge,
    )  # fmt: skip
    result, stored, rep = imported.result, imported.stored, imported.result.report
    _warn(rep.messages())
    if not imported.checked_against and level != "force":
        console.print(
            "Not checked against the force area (import it as level 'force' to check).",
            style="dim",
        )
    console.print(
        f"Imported {len(result.areas)} areas of level '{level}' from {file.name}"
        f" ({rep.source_crs} → EPSG:27700); the level now holds {len(stored)} areas."
    )


@areas.command("list")
@workspace_option
def list_(workspace: Path) -> None:
    """Levels stored in the workspace, and the bundled lookup levels."""
    ws = open_workspace(workspace)
    table = Table("level", "areas", "source", "vintage", "imported")
    for s in level_summaries(ws.lake_dir):
        table.add_row(
            s["level"], str(s["areas"]), s["source"], s["vintage"] or "", s["written_at"] or ""
        )
    console.print(table)
    lookups = geo.store.lookup_levels(ws.lake_dir)
    console.print(f"LSOA lookups stored: {', '.join(lookups) or 'none'}")
    console.print(f"Bundled lookup levels (LSOA 2011 and 2021): {', '.join(geo.LOOKUP_LEVELS)}")


@areas.command("show")
@workspace_option
@click.argument("level")
def show(workspace: Path, level: str) -> None:
    """The areas of a stored level."""
    ws = open_workspace(workspace)
    a = geo.load_areas(ws.lake_dir, level)
    table = Table("code", "name", "parent", "km²")
    for c, n, p, g in zip(a.codes, a.names, a.parent_codes, a.geometries, strict=True):
        table.add_row(str(c), str(n), str(p or ""), f"{g.area / 1e6:,.2f}")
    console.print(table)


@areas.command("lookup")
@workspace_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--level", required=True, help="Level the lookup maps LSOAs to, e.g. ward.")
@click.option("--lsoa-field", required=True, help="Column holding LSOA codes.")
@click.option("--code-field", required=True, help="Column holding area codes.")
@click.option("--name-field", help="Column holding area names.")
def lookup(
    workspace: Path,
    file: Path,
    level: str,
    lsoa_field: str,
    code_field: str,
    name_field: str | None,
) -> None:
    """Import a best-fit LSOA → area lookup (CSV)."""
    ws = open_workspace(workspace)
    lk = geo.read_lookup_csv(
        file, level=level, lsoa_field=lsoa_field, code_field=code_field, name_field=name_field
    )
    warnings = []
    if geo.store.has_level(ws.lake_dir, level):
        areas_ = geo.load_areas(ws.lake_dir, level)
        codes = set(lk.area_code_set())
        unknown = sorted(codes - set(areas_.codes.tolist()))
        if len(unknown) == len(codes):
            raise InputError(
                file,
                f"none of the {len(codes)} area codes in '{code_field}' is a stored '{level}'"
                f" area (e.g. {', '.join(unknown[:3])}; stored e.g."
                f" {', '.join(map(str, areas_.codes[:3]))})",
            )
        if unknown:
            warnings.append(
                f"{len(unknown)} area codes are not stored '{level}' areas:"
                f" {', '.join(unknown[:10])}"
            )
    report = geo.detect_lsoa_vintage(lk.lsoa_codes.tolist())
    if report.unknown:
        warnings.append(f"{report.unknown} LSOA codes are not in either LSOA vintage")
    if report.vintage == "mixed":
        warnings.append(f"the lookup mixes LSOA vintages: {report.describe()}")
    save_lookup(
        ws.lake_dir,
        lk,
        provenance(
            file,
            rows_read=len(lk.lsoa_codes),
            rows_kept=len(lk.lsoa_codes),
            level=level,
            lsoa_vintage=lk.vintage,
        ),
    )
    _warn(warnings)
    v = f"LSOA {lk.vintage}" if lk.vintage else "LSOA codes valid in 2011 and 2021"
    console.print(
        f"Stored lookup of {len(lk.lsoa_codes)} LSOAs ({v}) to {len(lk.area_code_set())}"
        f" '{level}' areas (best fit)."
    )


@areas.command("children")
@workspace_option
@click.argument("code")
@click.option("--level", required=True, help="Level of the areas wanted, e.g. ward.")
@click.option("--vintage", type=click.Choice(["2011", "2021"]), default="2011", show_default=True)
def children(workspace: Path, code: str, level: str, vintage: str) -> None:
    """Areas of LEVEL that lie in area CODE."""
    ws = open_workspace(workspace)
    h = Hierarchy.for_workspace(ws, vintage=2011 if vintage == "2011" else 2021)
    kids = h.children(code, level)
    console.print(f"{len(kids)} areas of level '{level}' in {code} ({h.name_of(code)}):")
    for k in kids:
        console.print(f"  {k}  {h.name_of(k, level)}")


@areas.command("parent")
@workspace_option
@click.argument("code")
@click.option("--level", required=True, help="Level of the parent wanted, e.g. lad.")
@click.option("--vintage", type=click.Choice(["2011", "2021"]), default="2011", show_default=True)
def parent(workspace: Path, code: str, level: str, vintage: str) -> None:
    """The area of LEVEL holding area CODE."""
    ws = open_workspace(workspace)
    h = Hierarchy.for_workspace(ws, vintage=2011 if vintage == "2011" else 2021)
    p = h.parent(code, level)
    if p is None:
        console.print(f"{code} lies in no area of level '{level}'.")
    else:
        console.print(f"{p}  {h.name_of(p, level)}")


@areas.command("partnership")
@workspace_option
@click.option("--level", help="Also list the areas of this level in the partnership.")
def partnership(workspace: Path, level: str | None) -> None:
    """The partnership's own area(s) and force(s), from saferplaces.toml."""
    ws = open_workspace(workspace)
    h = Hierarchy.for_workspace(ws)
    for ref in h.partnership_areas(ws):
        console.print(f"area   {ref.code}  {ref.name}  (level {ref.level})")
    for f in ws.config.partnership.forces:
        console.print(f"force  {f}")
    if level:
        kids = h.partnership_children(ws, level)
        console.print(f"{len(kids)} areas of level '{level}': {', '.join(kids)}")


def _write_json(obj: dict[str, Any] | str, out: Path | None) -> None:
    text = obj if isinstance(obj, str) else json.dumps(obj, separators=(",", ":"))
    if out is None:
        click.echo(text)
    else:
        out.write_text(text, "utf-8")
        console.print(f"Wrote {out} ({len(text.encode()) / 1024:,.0f} KB)")


@areas.command("geojson")
@workspace_option
@click.argument("level")
@click.option("--zoom", type=click.Choice(sorted(geo.ZOOM_TOLERANCES)), default="detail")
@click.option("--tolerance", type=float, help="Simplification tolerance in metres.")
@click.option("--precision", type=click.IntRange(0, 6), default=5, show_default=True)
@click.option("--within", "within_code", help="Only areas lying in this area code.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Output file.")
def geojson(
    workspace: Path,
    level: str,
    zoom: str,
    tolerance: float | None,
    precision: int,
    within_code: str | None,
    out: Path | None,
) -> None:
    """Web-ready GeoJSON of a level (WGS84, simplified, clockwise exterior rings)."""
    ws = open_workspace(workspace)
    a = geo.load_areas(ws.lake_dir, level)
    if within_code:
        a = a.subset(Hierarchy.for_workspace(ws).children(within_code, level))
    web = geo.to_web_geojson(a, zoom=zoom, tolerance=tolerance, precision=precision)
    _write_json(web.dumps(), out)


@areas.command("grid")
@workspace_option
@click.argument("code")
@click.option("--level", help="Level of CODE (found automatically when omitted).")
@click.option(
    "--size",
    type=click.IntRange(min=1),
    default=200,
    show_default=True,
    help="Cell size in metres.",
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Output file.")
def grid(workspace: Path, code: str, level: str | None, size: int, out: Path | None) -> None:
    """A BNG square grid clipped to area CODE, as GeoJSON with stable cell ids."""
    ws = open_workspace(workspace)
    h = Hierarchy.for_workspace(ws)
    lvl = level or h.level_of(code)
    a = h.areas(lvl)
    if a is None or code not in a:
        raise geo.AreaNotFoundError(f"no stored boundary for {code}; import level '{lvl}' first")
    g = geo.square_grid(a.geometry(code), size)
    cells = geo.Areas.build("grid", list(g.ids), None, g.clipped)
    web = geo.to_web_geojson(cells, tolerance=0, precision=6)
    _write_json(web.dumps(), out)


# ---- denominators -------------------------------------------------------------------------


@areas.group()
def denominators() -> None:
    """Denominators for rates: bundled residents/households, or your own (e.g. businesses)."""


@denominators.command("import")
@workspace_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", required=True, help="Denominator name, e.g. businesses.")
@click.option("--year", required=True, type=int, help="Year the counts refer to.")
@click.option("--source", required=True, help="Who published the counts.")
@click.option("--level", required=True, help="Level of the codes, e.g. ward or lsoa.")
@click.option("--code-field", required=True, help="Column holding area codes.")
@click.option("--value-field", required=True, help="Column holding the counts.")
@click.option("--note", default="", help="Anything a reader of a rate should know.")
def denominators_import(
    workspace: Path,
    file: Path,
    name: str,
    year: int,
    source: str,
    level: str,
    code_field: str,
    value_field: str,
    note: str,
) -> None:
    """Import a denominator (CSV, TSV or .xlsx; one row per area)."""
    ws = open_workspace(workspace)
    try:
        d = geo.read_denominators(
            file,
            name=name,
            year=year,
            source=source,
            level=level,
            code_field=code_field,
            value_field=value_field,
            note=note,
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    geo.save_denominator(
        ws.lake_dir, d, provenance(file, rows_read=len(d.values), rows_kept=len(d.values))
    )
    console.print(f"Stored '{d.name}' for {len(d.values)} areas: {d.label}")


@denominators.command("list")
@workspace_option
def denominators_list(workspace: Path) -> None:
    """Stored and bundled denominators."""
    ws = open_workspace(workspace)
    console.print("bundled: residents, 2021 (ONS, Census 2021) by LSOA 2021")
    console.print("bundled: residents, 2011 (ONS, Census 2011) by LSOA 2011")
    console.print("bundled: households, 2011 (ONS, Census 2011) by LSOA 2011")
    for n in geo.populations.denominator_names(ws.lake_dir):
        d = geo.load_denominator(ws.lake_dir, n)
        console.print(f"stored:  {d.label} by {d.level}, {len(d.values)} areas")


# ---- postcodes ----------------------------------------------------------------------------


@areas.group()
def postcodes() -> None:
    """Postcode search for the public area finder, from the ONS postcode lookup (NSPL/ONSPD)."""


@postcodes.command("import")
@workspace_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def postcodes_import(workspace: Path, file: Path) -> None:
    """Import the ONS National Statistics Postcode Lookup (NSPL) or Postcode Directory (ONSPD).

    FILE is the lookup's CSV (from its zip, e.g. Data/NSPL_FEB_2024_UK.csv). Its columns pcds,
    lsoa21 and/or lsoa11, and laua (oslaua in the ONSPD) are read; terminated postcodes and
    postcodes outside England and Wales are skipped. What is kept is, per postcode district
    (BS1 of BS1 4ST), the number of postcodes in each LSOA; it replaces any earlier import."""
    from ..geo.postcodes import import_postcodes

    ws = open_workspace(workspace)
    rep = import_postcodes(ws.lake_dir, file)
    console.print(
        f"Imported {rep.postcodes:,} live postcodes in England and Wales from {rep.source} "
        f"({rep.districts:,} postcode districts, LSOA {'/'.join(map(str, rep.vintages))}); "
        f"skipped {rep.terminated:,} terminated and {rep.outside:,} outside England and Wales."
    )


# ---- peer groups --------------------------------------------------------------------------


@areas.group()
def peers() -> None:
    """Peer groups: sets of comparable areas (most-similar-group style)."""


@peers.command("list")
@workspace_option
def peers_list(workspace: Path) -> None:
    """All peer groups."""
    ws = open_workspace(workspace)
    groups = geo.load_peer_groups(ws.root)
    if not groups:
        console.print("No peer groups yet; add one with 'saferplaces areas peers add'.")
    for g in groups:
        console.print(f"{g.name}  ({g.level}, {len(g.members)} members)  {g.description}")


@peers.command("show")
@workspace_option
@click.argument("name")
def peers_show(workspace: Path, name: str) -> None:
    """Members of a peer group."""
    ws = open_workspace(workspace)
    g = geo.get_peer_group(ws.root, name)
    console.print(f"{g.name} (level {g.level}): {g.description}")
    if g.source:
        console.print(f"source: {g.source}")
    for m in g.members:
        console.print(f"  {m}")


@peers.command("add")
@workspace_option
@click.argument("name")
@click.option("--level", required=True, help="Level of the members, e.g. lad.")
@click.option("--member", "members", multiple=True, required=True, help="Area code (repeat).")
@click.option("--description", default="")
@click.option("--source", default="", help="Where the group comes from, e.g. iQuanta MSG 2024.")
@click.option("--replace", "replace_", is_flag=True, help="Replace a group of the same name.")
def peers_add(
    workspace: Path,
    name: str,
    level: str,
    members: tuple[str, ...],
    description: str,
    source: str,
    replace_: bool,
) -> None:
    """Create (or with --replace, overwrite) a peer group."""
    ws = open_workspace(workspace)
    group = geo.PeerGroup(name, level, list(members), description, source)
    try:
        geo.save_peer_group(ws.root, group, replace_existing=replace_)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    console.print(f"Saved peer group '{name}' with {len(members)} members.")


@peers.command("members")
@workspace_option
@click.argument("name")
@click.option("--add", "add", multiple=True, help="Code to add (repeat).")
@click.option("--remove", "remove", multiple=True, help="Code to remove (repeat).")
def peers_members(
    workspace: Path, name: str, add: tuple[str, ...], remove: tuple[str, ...]
) -> None:
    """Add or remove members of a peer group."""
    ws = open_workspace(workspace)
    try:
        g = geo.update_members(ws.root, name, add=list(add), remove=list(remove))
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    console.print(f"'{name}' now has {len(g.members)} members.")


@peers.command("remove")
@workspace_option
@click.argument("name")
def peers_remove(workspace: Path, name: str) -> None:
    """Delete a peer group."""
    ws = open_workspace(workspace)
    geo.delete_peer_group(ws.root, name)
    console.print(f"Deleted peer group '{name}'.")
