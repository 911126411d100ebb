// SaferPlaces web maps: a GeoJSON choropleth drawn with MapLibre GL JS, configured entirely by
// data- attributes (no inline script: the site's Content-Security-Policy forbids it).
//
// USE
//   In the page's <head> (templates: {% include "public/areas/_map_head.html" %}):
//     <link rel="stylesheet" href="/static/vendor/maplibre-gl-5.24.1.css">
//     <script defer src="/static/vendor/maplibre-gl-csp-5.24.1.min.js"></script>
//     <script type="module" src="/static/saferplaces/map.js"></script>
//   (and /static/vendor/pmtiles-4.5.0.min.js before map.js when a basemap is configured).
//   In the body, one element per map; every [data-map] element is drawn when this module loads:
//     <div data-map data-geojson-url="/data/downloads/lad/counts.geojson"
//          data-worker-url="/static/vendor/maplibre-gl-csp-worker-5.24.1.min.js"
//          data-value-property="rate_per_1000" data-value-label="Crimes per 1,000 residents"
//          data-link-template="/areas/lad/{code}/" data-label="Map of districts">
//       <p>Fallback text for browsers without JavaScript or WebGL.</p>
//     </div>
//
// ATTRIBUTES (all optional except data-geojson-url and data-worker-url)
//   data-geojson-url       a FeatureCollection of polygons (WGS84) on this site
//   data-worker-url        MapLibre's CSP worker file (so the worker needs no blob: URL)
//   data-value-property    numeric feature property to shade by (none: one colour)
//   data-value-label       legend title for that value
//   data-value-format      "number" (default: 1 decimal below 100, else whole) or "integer"
//   data-breaks            class breaks, comma-separated ("10,20,50"): n breaks make n+1 classes;
//                          default: quintiles of the values present
//   data-colors            colours of the classes, light to dark, comma-separated (default: a
//                          five-class blue ramp readable in greyscale)
//   data-category-property categorical shading instead (e.g. a hotspot class) ...
//   data-category-colors   ... with a JSON object of category → colour ({"Hot spot": "#d4351c"})
//   data-id-property       property naming each feature (default "code"; also its feature-state id)
//   data-name-property     property with each feature's name (default "name")
//   data-link-template     URL of each feature's page; {prop} is replaced by that property
//                          (URL-encoded), e.g. "/areas/lad/{code}/"; a click opens it
//   data-focus             id of a feature to outline and zoom to
//   data-label             accessible name of the map
//   data-list              id of an element holding links with data-area-code="<id>" (the page's
//                          own list): hovering or focusing a link outlines its area. Without it,
//                          a list of links to every feature is added under the map, so every
//                          area can be reached from the keyboard.
//   data-basemap-style     URL of a MapLibre style JSON drawn underneath (pmtiles:// sources work)
//   data-basemap-pmtiles   URL of a raster PMTiles archive drawn underneath
//   data-basemap-attribution  text shown under the map with a basemap
//
// Without a basemap the areas are drawn on a plain background: nothing is fetched from anywhere
// but this site. Keyboard: the map (a focusable canvas) pans with the arrow keys and zooms with
// + and -; the buttons under it zoom and reset; every area is a link in the list. The element
// gets class "app-map--ready" once drawn, or "app-map--failed" (the fallback text stays).
//
// JavaScript API (import { drawMap, initMaps } from "/static/saferplaces/map.js"):
//   initMaps(root = document)  draws every [data-map] element under root not yet drawn
//   drawMap(element)           draws one; returns a Promise of the maplibregl.Map (or null)
//   classBreaks(values, n)     quantile breaks; colourFor(value, breaks, colours)

export const DEFAULT_COLOURS = ["#d2e2f1", "#9fc1e3", "#5694ca", "#1d70b8", "#003078"];
export const NO_DATA_COLOUR = "#f3f2f1";
const OUTLINE = "#505a5f";
const FOCUS = "#0b0c0c";
const HIGHLIGHT = "#ffdd00";

function round2(v) {
  if (v === 0 || !Number.isFinite(v)) return v;
  const p = Math.pow(10, Math.floor(Math.log10(Math.abs(v))) - 1);
  return Math.round(v / p) * p;
}

// Quantile breaks (each class about as many areas); when many areas share a value, so that
// quantiles would merge classes, equal steps between the smallest and largest value instead.
export function classBreaks(values, n = 5) {
  const v = values.filter((x) => typeof x === "number" && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length < 2 || v[0] === v[v.length - 1]) return [];
  const out = [];
  for (let k = 1; k < n; k++) {
    const b = round2(v[Math.min(v.length - 1, Math.floor((k * v.length) / n))]);
    if (!out.includes(b) && b > v[0]) out.push(b);
  }
  if (out.length >= n - 1) return out;
  const equal = [];
  for (let k = 1; k < n; k++) {
    const b = round2(v[0] + ((v[v.length - 1] - v[0]) * k) / n);
    if (!equal.includes(b) && b > v[0]) equal.push(b);
  }
  return equal;
}

export function colourFor(value, breaks, colours) {
  if (typeof value !== "number" || !Number.isFinite(value)) return NO_DATA_COLOUR;
  let k = 0;
  while (k < breaks.length && value >= breaks[k]) k++;
  return colours[Math.min(k, colours.length - 1)];
}

function formatValue(v, how) {
  if (typeof v !== "number" || !Number.isFinite(v)) return "no figure";
  if (how === "integer" || Math.abs(v) >= 100 || Number.isInteger(v)) return Math.round(v).toLocaleString("en-GB");
  return v.toLocaleString("en-GB", { maximumFractionDigits: 1, minimumFractionDigits: 1 });
}

function fillTemplate(template, props) {
  return template.replace(/\{([a-zA-Z0-9_]+)\}/g, (_, key) =>
    encodeURIComponent(props[key] === undefined || props[key] === null ? "" : String(props[key])),
  );
}

function bboxOf(geometry, box = [Infinity, Infinity, -Infinity, -Infinity]) {
  const walk = (c) => {
    if (typeof c[0] === "number") {
      box[0] = Math.min(box[0], c[0]);
      box[1] = Math.min(box[1], c[1]);
      box[2] = Math.max(box[2], c[0]);
      box[3] = Math.max(box[3], c[1]);
    } else c.forEach(walk);
  };
  if (geometry && geometry.coordinates) walk(geometry.coordinates);
  return box;
}

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

function legend(opts) {
  const box = el("div", "app-map__legend");
  if (opts.title) box.appendChild(el("p", "govuk-body-s govuk-!-font-weight-bold govuk-!-margin-bottom-1", opts.title));
  const list = el("ul", "govuk-body-s app-map__legend-list");
  for (const item of opts.items) {
    const li = el("li", "app-map__legend-item");
    const swatch = el("span", "app-map__swatch");
    swatch.style.backgroundColor = item.colour; // CSSOM: allowed by the CSP (no style attribute)
    swatch.setAttribute("aria-hidden", "true");
    li.appendChild(swatch);
    li.appendChild(document.createTextNode(item.label));
    list.appendChild(li);
  }
  box.appendChild(list);
  return box;
}

function numericItems(breaks, colours, how) {
  const items = [];
  const n = breaks.length + 1;
  for (let k = 0; k < n; k++) {
    const lo = k === 0 ? null : breaks[k - 1];
    const hi = k === breaks.length ? null : breaks[k];
    let label;
    if (lo === null && hi === null) label = "All areas";
    else if (lo === null) label = `Below ${formatValue(hi, how)}`;
    else if (hi === null) label = `${formatValue(lo, how)} or more`;
    else label = `${formatValue(lo, how)} to under ${formatValue(hi, how)}`;
    items.push({ colour: colours[Math.min(k, colours.length - 1)], label });
  }
  items.push({ colour: NO_DATA_COLOUR, label: "No figure" });
  return items;
}

function basemapStyle(ds) {
  if (ds.basemapStyle) return ds.basemapStyle;
  const style = { version: 8, sources: {}, layers: [{ id: "background", type: "background", paint: { "background-color": "#ffffff" } }] };
  if (ds.basemapPmtiles) {
    style.sources.basemap = { type: "raster", url: `pmtiles://${new URL(ds.basemapPmtiles, location.href).href}`, tileSize: 256 };
    style.layers.push({ id: "basemap", type: "raster", source: "basemap" });
  }
  return style;
}

export async function drawMap(element) {
  const ds = element.dataset;
  const maplibregl = window.maplibregl;
  if (!maplibregl || !ds.geojsonUrl || element.classList.contains("app-map--ready")) return null;
  const fail = (why) => {
    element.classList.add("app-map--failed");
    const note = element.querySelector(".app-map__fallback");
    if (note && why) note.textContent = why;
    return null;
  };
  let data;
  try {
    const response = await fetch(ds.geojsonUrl, { credentials: "same-origin" });
    if (!response.ok) return fail("The map could not be loaded.");
    data = await response.json();
  } catch (e) {
    return fail("The map could not be loaded.");
  }
  const idProp = ds.idProperty || "code";
  const nameProp = ds.nameProperty || "name";
  const valueProp = ds.valueProperty || "";
  const how = ds.valueFormat || "number";
  const features = (data.features || []).filter((f) => f.geometry);
  features.forEach((f, i) => {
    f.id = i; // feature-state needs numeric ids
    f.properties = f.properties || {};
  });
  // Colours are computed here and stored on each feature, so MapLibre needs no expression logic.
  let items = [];
  if (ds.categoryProperty) {
    let cats = {};
    try {
      cats = JSON.parse(ds.categoryColors || "{}");
    } catch (e) {
      cats = {};
    }
    for (const f of features) f.properties.__colour = cats[f.properties[ds.categoryProperty]] || NO_DATA_COLOUR;
    items = Object.entries(cats).map(([label, colour]) => ({ label, colour }));
  } else if (valueProp) {
    const colours = ds.colors ? ds.colors.split(",").map((c) => c.trim()) : DEFAULT_COLOURS;
    const values = features.map((f) => f.properties[valueProp]);
    const breaks = ds.breaks ? ds.breaks.split(",").map(Number).filter(Number.isFinite) : classBreaks(values, colours.length);
    for (const f of features) f.properties.__colour = colourFor(f.properties[valueProp], breaks, colours);
    items = numericItems(breaks, colours, how);
  } else {
    for (const f of features) f.properties.__colour = DEFAULT_COLOURS[2];
  }
  const box = [Infinity, Infinity, -Infinity, -Infinity];
  let focusBox = null;
  const byCode = new Map();
  for (const f of features) {
    bboxOf(f.geometry, box);
    byCode.set(String(f.properties[idProp]), f);
    if (ds.focus && String(f.properties[idProp]) === ds.focus) focusBox = bboxOf(f.geometry);
  }
  if (!features.length || !Number.isFinite(box[0])) return fail("There are no areas to map.");

  const canvasBox = el("div", "app-map__canvas");
  element.appendChild(canvasBox);
  if (ds.workerUrl && maplibregl.setWorkerUrl) maplibregl.setWorkerUrl(ds.workerUrl);
  if ((ds.basemapPmtiles || ds.basemapStyle) && window.pmtiles && !window.__saferplacesPmtiles) {
    const protocol = new window.pmtiles.Protocol();
    maplibregl.addProtocol("pmtiles", protocol.tile);
    window.__saferplacesPmtiles = true;
  }
  let map;
  try {
    map = new maplibregl.Map({
      container: canvasBox,
      style: basemapStyle(ds),
      bounds: focusBox || box,
      fitBoundsOptions: { padding: 20 },
      attributionControl: false,
      dragRotate: false,
      pitchWithRotate: false,
      touchPitch: false,
      cooperativeGestures: false,
    });
  } catch (e) {
    canvasBox.remove();
    return fail("The map cannot be shown in this browser (it needs WebGL). Every area is listed on this page.");
  }
  map.touchZoomRotate.disableRotation();
  const canvas = map.getCanvas();
  canvas.setAttribute("aria-label", (ds.label || "Map") + ". Use the arrow keys to move and + or - to zoom; every area is also a link in the list.");

  const info = el("p", "govuk-body-s app-map__info");
  info.setAttribute("aria-live", "polite");
  const describe = (f) => {
    if (!f) {
      info.textContent = "";
      return;
    }
    const p = f.properties;
    const what = valueProp ? `${ds.valueLabel || valueProp}: ${formatValue(p[valueProp], how)}` : ds.categoryProperty ? String(p[ds.categoryProperty] ?? "") : "";
    info.textContent = what ? `${p[nameProp]}: ${what}` : String(p[nameProp]);
  };

  let highlighted = null;
  const highlight = (f) => {
    if (highlighted !== null) map.setFeatureState({ source: "areas", id: highlighted }, { hover: false });
    highlighted = f ? f.id : null;
    if (f) map.setFeatureState({ source: "areas", id: f.id }, { hover: true });
    describe(f);
  };

  map.on("load", () => {
    map.addSource("areas", { type: "geojson", data: { type: "FeatureCollection", features } });
    map.addLayer({
      id: "areas-fill",
      type: "fill",
      source: "areas",
      paint: { "fill-color": ["get", "__colour"], "fill-opacity": ds.basemapStyle || ds.basemapPmtiles ? 0.7 : 1 },
    });
    map.addLayer({ id: "areas-line", type: "line", source: "areas", paint: { "line-color": OUTLINE, "line-width": 0.8 } });
    map.addLayer({
      id: "areas-hover",
      type: "line",
      source: "areas",
      paint: { "line-color": HIGHLIGHT, "line-width": ["case", ["boolean", ["feature-state", "hover"], false], 4, 0] },
    });
    if (ds.focus) {
      map.addLayer({
        id: "areas-focus",
        type: "line",
        source: "areas",
        filter: ["==", ["to-string", ["get", idProp]], ds.focus],
        paint: { "line-color": FOCUS, "line-width": 3 },
      });
    }
    element.classList.add("app-map--ready");
  });
  map.on("error", (e) => {
    if (!element.classList.contains("app-map--ready") && e && e.error && /webgl/i.test(String(e.error.message))) {
      canvasBox.remove();
      fail("The map cannot be shown in this browser (it needs WebGL). Every area is listed on this page.");
    }
  });
  map.on("mousemove", "areas-fill", (e) => {
    const f = e.features && e.features[0];
    map.getCanvas().style.cursor = f && ds.linkTemplate ? "pointer" : "";
    highlight(f ? byCode.get(String(f.properties[idProp])) : null);
  });
  map.on("mouseleave", "areas-fill", () => {
    map.getCanvas().style.cursor = "";
    highlight(null);
  });
  if (ds.linkTemplate) {
    map.on("click", "areas-fill", (e) => {
      const f = e.features && e.features[0];
      if (f) window.location.assign(fillTemplate(ds.linkTemplate, f.properties));
    });
  }

  // Controls: plain buttons (GOV.UK styles), not MapLibre's, whose icons are data: URLs the CSP
  // refuses.
  const controls = el("div", "app-map__controls");
  const button = (text, action) => {
    const b = el("button", "govuk-button govuk-button--secondary app-map__button", text);
    b.type = "button";
    b.addEventListener("click", action);
    controls.appendChild(b);
  };
  button("Zoom in", () => map.zoomIn());
  button("Zoom out", () => map.zoomOut());
  button("Show all areas", () => map.fitBounds(box, { padding: 20 }));
  element.appendChild(controls);
  element.appendChild(info);
  if (items.length) element.appendChild(legend({ title: ds.valueLabel || "", items }));
  if ((ds.basemapStyle || ds.basemapPmtiles) && ds.basemapAttribution) {
    element.appendChild(el("p", "govuk-body-s app-map__attribution", ds.basemapAttribution));
  }

  // The keyboard path: links to every area (the page's own list, or one made here).
  let list = ds.list ? document.getElementById(ds.list) : null;
  if (!list && ds.linkTemplate) {
    const details = el("details", "govuk-details app-map__list");
    const summary = el("summary", "govuk-details__summary");
    summary.appendChild(el("span", "govuk-details__summary-text", `Areas on this map (${features.length})`));
    details.appendChild(summary);
    const ul = el("ul", "govuk-list govuk-details__text");
    const sorted = [...features].sort((a, b) => String(a.properties[nameProp]).localeCompare(String(b.properties[nameProp])));
    for (const f of sorted) {
      const li = el("li");
      const a = el("a", "govuk-link", String(f.properties[nameProp]));
      a.href = fillTemplate(ds.linkTemplate, f.properties);
      a.dataset.areaCode = String(f.properties[idProp]);
      if (valueProp) li.append(a, ` (${formatValue(f.properties[valueProp], how)})`);
      else li.append(a);
      ul.appendChild(li);
    }
    details.appendChild(ul);
    element.appendChild(details);
    list = details;
  }
  if (list) {
    const hover = (event) => {
      const a = event.target.closest && event.target.closest("[data-area-code]");
      if (a && byCode.has(a.dataset.areaCode)) highlight(byCode.get(a.dataset.areaCode));
    };
    list.addEventListener("focusin", hover);
    list.addEventListener("mouseover", hover);
    list.addEventListener("focusout", () => highlight(null));
  }
  element.saferplacesMap = map;
  return map;
}

export function initMaps(root = document) {
  return Promise.all([...root.querySelectorAll("[data-map]")].map((e) => drawMap(e)));
}

initMaps();
