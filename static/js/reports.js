// The reports a signed-in viewer may preview, each linking to its page with the QR code.
"use strict";

(async () => {
  const status = document.getElementById("status");
  const response = await fetch("/api/v1/reports", { credentials: "same-origin" });
  if (response.status === 401) {
    location.assign(`/sign-in?next=${encodeURIComponent(location.pathname)}`);
    return;
  }
  const body = await response.json();
  if (!response.ok) {
    status.className = "status bad";
    status.textContent = body.detail;
    return;
  }
  status.textContent = body.reports.length ? "" : "No reports are shared with you yet.";
  const list = document.getElementById("reports");
  for (const report of body.reports) {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = `/reports/${encodeURIComponent(report.id)}`;
    link.textContent = report.title;
    const meta = document.createElement("span");
    meta.className = "muted";
    meta.textContent = ` · generated ${ReportView.when(report.generated_at)}`;
    item.append(link, meta);
    list.append(item);
  }
})();
