// A signed-in desktop user's home: their reports and their phones (each can be revoked).
import { $, session, dateTime, el, json, rowButton, say, t } from "./desktop.js";

async function showReports() {
  const { reports } = await json("/api/v1/reports", { signIn: true });
  const list = $("reports");
  list.replaceChildren();
  if (!reports.length) list.append(el("li", { className: "muted" }, t("No reports are shared with you yet.")));
  for (const report of reports.slice(0, 5)) {
    list.append(el("li", {},
      el("a", { href: `/reports/${encodeURIComponent(report.id)}`, textContent: report.title }),
      el("span", { className: "muted" }, ` · ${dateTime(report.generated_at)}`)));
  }
}

async function showDevices() {
  const { devices } = await json("/api/v1/web/devices", { signIn: true });
  const list = $("devices");
  list.replaceChildren();
  const live = devices.filter((device) => !device.revoked_at);
  if (!live.length) list.append(el("li", { className: "muted" }, t("No phone is connected to your account yet.")));
  for (const device of live) {
    const revoke = rowButton(t("Revoke"));
    revoke.addEventListener("click", async () => {
      if (!confirm(t("Sign {model} out for good? It will need to sign in again.", { model: device.model }))) return;
      revoke.disabled = true;
      try {
        await json(`/api/v1/web/devices/${encodeURIComponent(device.id)}`, { method: "DELETE" });
        say(t("{model} is signed out.", { model: device.model }), "ok");
        await showDevices();
      } catch (error) {
        revoke.disabled = false;
        say(error.message, "bad");
      }
    });
    list.append(el("li", {}, el("strong", {}, device.model),
      el("span", { className: "muted" }, ` · ${device.os} ${device.os_version} · ${t("last seen {when}", { when: dateTime(device.last_seen_at) })} `),
      revoke));
  }
}

try {
  await session({ signIn: true });
  await Promise.all([showReports(), showDevices()]);
} catch (error) {
  say(error.message, "bad");
}
