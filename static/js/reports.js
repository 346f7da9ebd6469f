// The reports a signed-in viewer may preview, each linking to its page with the QR code.
import { $, json, say, t } from "./desktop.js";
import { when } from "./report-view.js";

let body;
try {
  body = await json("/api/v1/reports", { signIn: true });
} catch (error) {
  say(error.message, "bad");
}
if (body) {
  say(body.reports.length ? "" : t("No reports are shared with you yet."));
  const list = $("reports");
  for (const report of body.reports) {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = `/reports/${encodeURIComponent(report.id)}`;
    link.textContent = report.title;
    const meta = document.createElement("span");
    meta.className = "muted";
    meta.textContent = " · " + t("generated {time}", { time: when(report.generated_at) });
    item.append(link, meta);
    list.append(item);
  }
}
