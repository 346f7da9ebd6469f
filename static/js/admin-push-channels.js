// Which channel reached whom: in the history, per notification, the devices reached by Web
// Push, by the companion's live stream and only through the in-app inbox; and a chart of
// the channels over time (the period chosen for the outcome chart).
import { api, ready } from "./admin-push.js";
import { $, dateTime, number, say, t } from "./desktop.js";

const SVG = "http://www.w3.org/2000/svg";
const CHANNELS = ["webpush", "live", "inbox"];
const NAMES = { webpush: t("Web Push"), live: t("Live in the app"), inbox: t("Inbox only") };
// The chart counts the inbox by messages kept (one per recipient), not by devices.
const CHART_NAMES = { ...NAMES, inbox: t("Kept in inboxes") };

function svg(name, attributes) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  return element;
}

const countOf = (point, channel) => {
  const value = Number((point.counts || {})[channel]);
  return Number.isFinite(value) && value > 0 ? value : 0;
};

async function fillReached(ids) {
  if (!ids.length) return;
  const { notifications } = await api(`/api/v1/admin/push/channels?ids=${ids.join(",")}`);
  for (const row of $("history").querySelectorAll("tbody tr")) {
    const reached = notifications[row.dataset.id];
    const target = row.querySelector("td.reached");
    if (!reached || !target) continue;
    target.textContent = CHANNELS.map((c) => `${NAMES[c]} ${number(reached[c])}`).join(" · ");
    target.title = t("{count} inbox message(s) kept", { count: number(reached.messages) });
  }
}

async function drawChannels() {
  const hours = $("chart-hours").value;
  const { points } = await api(`/api/v1/admin/push/channel-stats?hours=${hours}`);
  const width = 600, height = 160, left = 36, bottom = 6, top = 6;
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: "none" });
  const totals = points.map((p) => CHANNELS.reduce((sum, c) => sum + countOf(p, c), 0));
  const peak = Math.max(1, ...totals);
  const slot = (width - left) / Math.max(points.length, 1);
  const scale = (height - bottom - top) / peak;
  chart.append(svg("line", { x1: left, y1: height - bottom, x2: width, y2: height - bottom, class: "axis" }));
  const label = svg("text", { x: 2, y: top + 8 });
  label.textContent = number(totals.every((total) => total === 0) ? 0 : peak);
  chart.append(label);
  points.forEach((point, index) => {
    let y = height - bottom;
    for (const channel of CHANNELS) {
      const count = countOf(point, channel);
      if (!count) continue;
      const h = count * scale;
      y -= h;
      const bar = svg("rect", { x: left + index * slot + 0.5, y, width: Math.max(slot - 1, 1), height: h, class: `c-${channel}` });
      const tip = svg("title", {});
      tip.textContent = `${dateTime(point.at)}: ${CHART_NAMES[channel]} ${number(count)}`;
      bar.append(tip);
      chart.append(bar);
    }
  });
  $("channel-chart").replaceChildren(chart);
  const legend = $("channel-legend");
  legend.replaceChildren();
  for (const channel of CHANNELS) {
    const item = document.createElement("li");
    const swatch = document.createElement("span");
    swatch.className = `swatch c-${channel}`;
    item.append(swatch, `${CHART_NAMES[channel]} ${number(points.reduce((sum, p) => sum + countOf(p, channel), 0))}`);
    legend.append(item);
  }
}

const failed = (error) => say(error.message, "bad");
document.addEventListener("push-history-loaded", (event) => fillReached(event.detail).catch(failed));
document.addEventListener("push-sent", () => drawChannels().catch(failed));
$("chart-hours").addEventListener("change", () => drawChannels().catch(failed));
ready.then(drawChannels).catch(failed);
