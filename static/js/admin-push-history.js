// The history of notifications (newest first) with a per-device breakdown on click, and
// the chart of deliveries over time by outcome, drawn as SVG.
import { api, cell, ready, stateName, when } from "./admin-push.js";
import { $, dateTime, list, number, say, t } from "./desktop.js";

const SVG = "http://www.w3.org/2000/svg";
const OUTCOMES = ["delivered", "retrying", "suppressed", "pruned", "failed", "expired"];
const AUDIENCES = { everyone: t("Everyone"), topic: t("A topic's subscribers") };

function svg(name, attributes) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  return element;
}

// How many deliveries of *outcome* a point of the chart counts: 0 for a step without any
// (or an answer that leaves the count out), never NaN.
const countOf = (point, outcome) => {
  const value = Number((point.counts || {})[outcome]);
  return Number.isFinite(value) && value > 0 ? value : 0;
};

async function loadHistory() {
  const { notifications } = await api("/api/v1/admin/push/notifications?limit=50");
  const body = $("history").querySelector("tbody");
  body.replaceChildren();
  for (const notification of notifications) {
    const { states, displayed, total, done } = notification.progress;
    const row = document.createElement("tr");
    row.className = "pick";
    row.dataset.id = notification.id;
    cell(row, when(notification.created_at));
    cell(row, notification.title);
    const audience = notification.audience;
    cell(row, audience.kind === "users" ? list(audience.users)
      : audience.kind === "groups" ? list(audience.groups)
      : (AUDIENCES[audience.kind] || audience.kind) + (notification.topic ? `: ${notification.topic}` : ""));
    cell(row, `${number(states.delivered)}/${number(total)}`);
    cell(row, number(displayed));
    cell(row, list(OUTCOMES.slice(2).filter((s) => states[s]).map((s) => `${stateName(s)} ${number(states[s])}`)));
    cell(row, done ? t("complete") : notification.expanded_at ? t("sending") : t("scheduled"));
    cell(row, "", "reached"); // filled by admin-push-channels.js
    row.addEventListener("click", () => breakdown(notification.id));
    body.append(row);
  }
  document.dispatchEvent(new CustomEvent("push-history-loaded", { detail: notifications.map((n) => n.id) }));
}

async function breakdown(id) {
  const detail = await api(`/api/v1/admin/push/notifications/${id}`);
  $("breakdown").classList.remove("hidden");
  $("breakdown-title").textContent = t("“{title}”: {count} device(s)", { title: detail.title, count: number(detail.deliveries.length) });
  const rows = $("breakdown-rows");
  rows.replaceChildren();
  for (const delivery of detail.deliveries) {
    const row = document.createElement("tr");
    cell(row, delivery.device_id.slice(0, 8));
    cell(row, delivery.origin);
    cell(row, stateName(delivery.state));
    cell(row, delivery.attempts);
    cell(row, delivery.last_status);
    cell(row, delivery.reason);
    cell(row, when(delivery.displayed_at));
    rows.append(row);
  }
}

async function drawChart() {
  const hours = $("chart-hours").value;
  const { points, step_seconds: step } = await api(`/api/v1/admin/push/stats?hours=${hours}`);
  const width = 600, height = 200, left = 36, bottom = 18, top = 6;
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: "none" });
  const totals = points.map((p) => OUTCOMES.reduce((sum, o) => sum + countOf(p, o), 0));
  const peak = Math.max(1, ...totals);
  const empty = totals.every((total) => total === 0);
  const slot = (width - left) / Math.max(points.length, 1);
  const scale = (height - bottom - top) / peak;
  chart.append(svg("line", { x1: left, y1: height - bottom, x2: width, y2: height - bottom, class: "axis" }));
  const label = svg("text", { x: 2, y: top + 8 });
  label.textContent = number(empty ? 0 : peak);
  chart.append(label);
  if (empty) {
    const none = svg("text", { x: left + (width - left) / 2, y: (height - bottom) / 2, "text-anchor": "middle", class: "empty" });
    none.textContent = t("No deliveries in this period.");
    chart.append(none);
  }
  points.forEach((point, index) => {
    let y = height - bottom;
    for (const outcome of OUTCOMES) {
      const count = countOf(point, outcome);
      if (!count) continue;
      const h = count * scale;
      y -= h;
      const bar = svg("rect", { x: left + index * slot + 0.5, y, width: Math.max(slot - 1, 1), height: h, class: `o-${outcome}` });
      const tip = svg("title", {});
      tip.textContent = `${dateTime(point.at)}: ${stateName(outcome)} ${number(count)}`;
      bar.append(tip);
      chart.append(bar);
    }
  });
  for (const index of [0, points.length - 1]) {
    if (!points[index]) continue;
    const tick = svg("text", { x: left + index * slot, y: height - 4, "text-anchor": index ? "end" : "start" });
    // Past an hour the two ends are on different days: each says its day too.
    const format = Number(hours) > 1 ? { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" }
      : { hour: "2-digit", minute: "2-digit" };
    tick.textContent = dateTime(points[index].at, format);
    chart.append(tick);
  }
  $("chart").replaceChildren(chart);
  $("chart").dataset.step = String(step);
  const legend = $("chart-legend");
  legend.replaceChildren();
  for (const outcome of OUTCOMES) {
    const item = document.createElement("li");
    const swatch = document.createElement("span");
    swatch.className = `swatch o-${outcome}`;
    item.append(swatch, `${stateName(outcome)} ${number(points.reduce((sum, p) => sum + countOf(p, outcome), 0))}`);
    legend.append(item);
  }
}

$("chart-hours").addEventListener("change", drawChart);
document.addEventListener("push-sent", () => { loadHistory(); drawChart(); });

ready.then(() => Promise.all([loadHistory(), drawChart()]))
  .catch((error) => say(error.message, "bad"));
