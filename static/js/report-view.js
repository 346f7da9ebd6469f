// Draws a report's preview content: title, when it was generated, and either the snapshot
// image or the summary (key figures, a table, and a bar or line chart as SVG). Used by the
// desktop report page and the phone's preview page. Text goes in with textContent only, so
// nothing a BI server sends can become markup.
import { dateTime, number, t } from "./page.js";

const SVG = "http://www.w3.org/2000/svg";
const format = (value) => number(value, { maximumFractionDigits: 2 });

function el(name, attrs = {}, text) {
  const node = document.createElement(name);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

function svg(name, attrs = {}, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

const show = (value) => (typeof value === "number" ? format(value) : value ?? "");
export const when = (iso) => dateTime(iso, { dateStyle: "medium", timeStyle: "short" });

function keyFigures(figures) {
  const list = el("div", { class: "figures" });
  for (const figure of figures) {
    const box = el("div", { class: "figure" });
    box.append(el("span", { class: "figure-label" }, figure.label));
    const value = el("span", { class: "figure-value" }, show(figure.value));
    if (figure.unit) value.append(el("span", { class: "figure-unit" }, ` ${figure.unit}`));
    box.append(value);
    if (typeof figure.change === "number") {
      const sign = figure.change > 0 ? "+" : "";
      box.append(el("span", { class: `figure-change ${figure.change < 0 ? "down" : "up"}` },
        `${sign}${format(figure.change)} %`));
    }
    list.append(box);
  }
  return list;
}

function table(spec) {
  const wrap = el("div", { class: "table-wrap" });
  const node = el("table", { class: "summary-table" });
  const head = el("tr");
  for (const column of spec.columns) head.append(el("th", { scope: "col" }, column));
  node.appendChild(el("thead")).append(head);
  const body = node.appendChild(el("tbody"));
  for (const row of spec.rows) {
    const line = el("tr");
    row.forEach((cell) => line.append(el("td", typeof cell === "number" ? { class: "num" } : {}, show(cell))));
    body.append(line);
  }
  wrap.append(node);
  return wrap;
}

// A nice step for about four gridlines over [0, span].
function step(span) {
  const raw = span / 4;
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw) || raw;
}

function chart(spec) {
  const W = 340, H = 210, left = 44, right = 8, top = 12, bottom = 30;
  const values = spec.series.flatMap((s) => s.values).filter((v) => typeof v === "number");
  let low = Math.min(0, ...values), high = Math.max(0, ...values);
  if (high === low) high = low + 1;
  const tick = step(high - low);
  low = Math.floor(low / tick) * tick;
  high = Math.ceil(high / tick) * tick;
  const plotW = W - left - right, plotH = H - top - bottom;
  const y = (v) => top + plotH - ((v - low) / (high - low)) * plotH;
  const band = plotW / spec.categories.length;

  const root = svg("svg", { class: `chart chart-${spec.kind}`, viewBox: `0 0 ${W} ${H}`, role: "img",
    "aria-label": spec.title || t("Chart"), "data-kind": spec.kind });
  root.append(svg("title", {}, spec.title || t("Chart")));
  for (let v = low; v <= high + tick / 2; v += tick) {
    root.append(svg("line", { class: "grid", x1: left, x2: W - right, y1: y(v), y2: y(v) }));
    root.append(svg("text", { class: "axis", x: left - 4, y: y(v) + 4, "text-anchor": "end" }, show(Number(v.toPrecision(12)))));
  }
  const every = Math.ceil(spec.categories.length / 8);
  spec.categories.forEach((name, i) => {
    if (i % every) return;
    root.append(svg("text", { class: "axis", x: left + band * (i + 0.5), y: H - bottom + 16, "text-anchor": "middle" }, name));
  });

  spec.series.forEach((series, s) => {
    const group = svg("g", { class: `series series-${s}`, "data-series": series.name });
    if (spec.kind === "bar") {
      const width = (band * 0.8) / spec.series.length;
      series.values.forEach((v, i) => {
        if (typeof v !== "number") return;
        const x = left + band * i + band * 0.1 + width * s;
        const bar = svg("rect", { class: "bar", x, y: Math.min(y(v), y(0)), width: Math.max(width - 1, 1),
          height: Math.max(Math.abs(y(0) - y(v)), 1) });
        bar.append(svg("title", {}, `${series.name}, ${spec.categories[i]}: ${show(v)}`));
        group.append(bar);
      });
    } else {
      // A gap (null) ends one line and starts the next.
      let points = [];
      const flush = () => {
        if (points.length > 1) group.append(svg("polyline", { class: "line", points: points.join(" ") }));
        if (points.length === 1) group.append(svg("circle", { class: "dot", cx: points[0].split(",")[0], cy: points[0].split(",")[1], r: 2.5 }));
        points = [];
      };
      series.values.forEach((v, i) => {
        if (typeof v !== "number") return flush();
        points.push(`${(left + band * (i + 0.5)).toFixed(1)},${y(v).toFixed(1)}`);
      });
      flush();
    }
    root.append(group);
  });

  const figure = el("figure", { class: "chart-figure" });
  if (spec.title) figure.append(el("figcaption", {}, spec.unit ? t("{title} ({unit})", { title: spec.title, unit: spec.unit }) : spec.title));
  figure.append(root);
  const legend = el("ul", { class: "legend" });
  spec.series.forEach((series, s) => {
    const item = el("li", { class: `series-${s}` });
    item.append(el("span", { class: "swatch", "aria-hidden": "true" }), document.createTextNode(series.name));
    legend.append(item);
  });
  figure.append(legend);
  return figure;
}

// content: a ReportContent from the API; options.snapshotSrc: where the image is.
export function render(container, content, options = {}) {
  const parts = [el("h1", { class: "report-title" }, content.title)];
  const [before, after = ""] = t("Generated {time}").split("{time}");
  const meta = el("p", { class: "muted report-generated" }, before);
  meta.append(el("time", { datetime: content.generated_at }, when(content.generated_at)), after);
  parts.push(meta);
  if (content.snapshot && options.snapshotSrc) {
    parts.push(el("img", { class: "snapshot", src: options.snapshotSrc, alt: t("Snapshot of {title}", { title: content.title }),
      width: content.snapshot.width, height: content.snapshot.height }));
  }
  const summary = content.summary;
  if (summary) {
    if (summary.key_figures && summary.key_figures.length) parts.push(keyFigures(summary.key_figures));
    if (summary.chart) parts.push(chart(summary.chart));
    if (summary.table) parts.push(table(summary.table));
  }
  container.replaceChildren(...parts);
}
