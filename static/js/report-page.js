// The desktop report page: the report's preview content with a QR code beside it that
// phones scan to preview the report; for its owner and admins, who is previewing it now.
import { $, dateTime, minutesSeconds, number, problemOf, rowButton, secondsUntil, send, session, t } from "./desktop.js";
import { render } from "./report-view.js";

const reportId = decodeURIComponent(location.pathname.split("/").pop());
const api = `/api/v1/reports/${encodeURIComponent(reportId)}`;
const time = (iso) => dateTime(iso, { hour: "2-digit", minute: "2-digit" });
let renewTimer = null;
let countdownTimer = null;
let qrUrl = null;

// Every call of this page sends a signed-out browser to sign in first.
const call = (path, options = {}) => send(path, { ...options, signIn: true });

function stopCode() {
  clearTimeout(renewTimer);
  clearInterval(countdownTimer);
}

async function newCode() {
  stopCode();
  const response = await call(`${api}/preview-links`, { method: "POST" });
  if (!response.ok) {
    $("qr-status").textContent = (await problemOf(response)).detail;
    return;
  }
  const link = await response.json();
  if (qrUrl) URL.revokeObjectURL(qrUrl);
  // The SVG stays sharp on a projector at any size; the PNG is for pasting into slides.
  qrUrl = URL.createObjectURL(new Blob([link.qr_svg], { type: "image/svg+xml" }));
  $("qr").src = qrUrl;
  $("code").textContent = link.code;
  $("png").href = `data:image/png;base64,${link.qr_png}`;
  const endsAt = Date.now() + link.expires_in * 1000;
  const tick = () => {
    $("qr-status").textContent = t("This code works for {time} more; a new one follows.", { time: minutesSeconds(secondsUntil(endsAt)) });
  };
  tick();
  countdownTimer = setInterval(tick, 1000);
  // A screen or slide stays up for a while: renew before expiry so the code shown always works.
  renewTimer = setTimeout(newCode, Math.max(link.expires_in - 20, 5) * 1000);
}

function grantRow(grant) {
  const row = document.createElement("tr");
  const cells = [
    t("{name} ({username})", { name: grant.display_name, username: grant.username }),
    t("{model}, {os}", { model: grant.device_model, os: grant.device_os }),
    time(grant.created_at),
    time(grant.expires_at),
  ];
  for (const text of cells) {
    const cell = document.createElement("td");
    cell.textContent = text;
    row.append(cell);
  }
  const button = rowButton(t("End"));
  button.addEventListener("click", async () => {
    button.disabled = true;
    const response = await call(`${api}/grants/${encodeURIComponent(grant.id)}`, { method: "DELETE" });
    $("grants-status").textContent = response.ok ? t("Ended the preview of {name}.", { name: grant.display_name }) : (await problemOf(response)).detail;
    loadGrants();
  });
  const last = document.createElement("td");
  last.append(button);
  row.append(last);
  return row;
}

async function loadGrants() {
  const response = await call(`${api}/grants`);
  if (!response.ok) {
    $("grants-panel").classList.add("hidden");
    return false;
  }
  const list = await response.json();
  $("grants-panel").classList.remove("hidden");
  $("grants").tBodies[0].replaceChildren(...list.grants.map(grantRow));
  $("grants").classList.toggle("hidden", list.grants.length === 0);
  $("grants-empty").classList.toggle("hidden", list.grants.length > 0);
  return true;
}

$("new-code").addEventListener("click", newCode);
$("revoke-all").addEventListener("click", async () => {
  const response = await call(`${api}/grants`, { method: "DELETE" });
  const body = response.ok ? await response.json() : await problemOf(response);
  $("grants-status").textContent = response.ok ? t("Previews ended: {count}.", { count: number(body.revoked) }) : body.detail;
  loadGrants();
});

await session({ signIn: true });
const response = await call(api);
if (response.ok) {
  const content = await response.json();
  document.title = `${content.title} · Companion Gateway`;
  render($("report"), content, { snapshotSrc: content.snapshot ? `${api}/snapshot` : null });
  $("qr-panel").classList.remove("hidden");
  await newCode();
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") newCode(); else stopCode();
  });
} else {
  const refusal = document.createElement("p");
  refusal.className = "status bad";
  refusal.textContent = (await problemOf(response)).detail;
  $("report").replaceChildren(refusal);
}
if (await loadGrants()) setInterval(loadGrants, 10000);
