// The phone's report preview. Opens a preview link (or a typed code) with this device's
// sign-in, keeps the grant it gets in this tab only (sessionStorage: never in a URL, gone
// when the tab closes), shows the report, and wipes it the moment the grant ends: when its
// time is up, or when the gateway says it was revoked or access was removed.
import { $, api, dateTime, minutesSeconds, onSubmit, problemOf, requireSignIn, say as sayIn, secondsUntil, t } from "./companion.js";
import { render } from "./report-view.js";

const KEY = "gw.preview";
const POLL_MS = 15000;
const state = $("state");
const report = $("report");
const ends = $("ends");
const form = $("code-form");
let timers = [];
let blobUrl = null;

const MESSAGES = {
  "report-refused": t("You are not allowed to see this report. Ask its owner for access."),
  "report-not-found": t("This report is no longer available."),
  "preview-link-unknown": t("This preview link or code is not known. Check it and try again."),
  "preview-link-expired": t("This preview code has expired. Scan the code on the screen again."),
  "consent-required": t("Scanning with the app's camera needs your permission to use the camera. " +
    "Allow it in the app's settings, or open the link with your phone's camera app."),
  "preview-wrong-device": t("This preview was opened on another device."),
  "preview-grant-invalid": t("This preview is not valid."),
  "rate-limited": t("Too many attempts. Wait a minute and try again."),
};
MESSAGES["validation-failed"] = MESSAGES["preview-link-unknown"];  // a mangled link or code
const ENDED = {
  expired: t("This preview has ended. Scan the code again to see the report."),
  revoked: t("This preview was ended by the report's owner."),
  removed: t("This report is no longer available."),
};

const slug = (problem) => ((problem && problem.type) || "").split(":").pop();

// The preview's status line, hidden while it has nothing to say.
function say(text, kind = "") {
  sayIn(text, kind, state);
  state.classList.toggle("hidden", !text);
}

// Forget everything of the report: the drawing, the image, the grant, the timers.
function wipe() {
  timers.forEach(clearInterval);
  timers = [];
  report.replaceChildren();
  ends.textContent = "";
  ends.classList.add("hidden");
  if (blobUrl) URL.revokeObjectURL(blobUrl);
  blobUrl = null;
  sessionStorage.removeItem(KEY);
}

function end(problem) {
  wipe();
  say(ENDED[problem.reason] || MESSAGES[slug(problem)] || problem.detail || ENDED.expired, "bad");
}

function showForm() {
  form.classList.remove("hidden");
  form.code.focus();
}

async function open(body) {
  form.classList.add("hidden");
  say(t("Opening the preview…"));
  let response;
  try {
    response = await api("/api/v1/previews/open", { method: "POST", body: JSON.stringify(body) });
  } catch {
    say(t("The gateway cannot be reached. Check the connection and try again."), "bad");
    return;
  }
  if (response.status === 401) {  // the sign-in ended meanwhile: sign in, then come back
    requireSignIn();
    return;
  }
  history.replaceState(null, "", "/app/preview");  // the link's token leaves the address bar
  if (!response.ok) {
    const problem = await problemOf(response);
    wipe();
    say(MESSAGES[slug(problem)] || problem.detail, "bad");
    if (["preview-link-unknown", "preview-link-expired", "validation-failed"].includes(slug(problem))) showForm();
    return;
  }
  const grant = await response.json();
  sessionStorage.setItem(KEY, JSON.stringify({ grant: grant.grant }));
  await show();
}

function countdown(seconds, iso) {
  const endsAt = Date.now() + seconds * 1000;
  const at = dateTime(iso, { hour: "2-digit", minute: "2-digit" });
  const tick = () => {
    const left = secondsUntil(endsAt);
    if (left === 0) return end({ reason: "expired" });
    ends.textContent = t("Preview ends at {time} (in {left}).", { time: at, left: minutesSeconds(left) });
  };
  ends.classList.remove("hidden");
  tick();
  timers.push(setInterval(tick, 1000));
}

async function check(headers) {
  let response;
  try { response = await api("/api/v1/previews/current", { headers }); } catch { return; }
  if (response.status === 401) { wipe(); requireSignIn(); return; }
  if (!response.ok) end(await problemOf(response));
}

async function show() {
  const saved = JSON.parse(sessionStorage.getItem(KEY) || "null");
  if (!saved) { say(""); showForm(); return; }
  const headers = { "X-Preview-Grant": saved.grant };
  const response = await api("/api/v1/previews/current/content", { headers });
  if (response.status === 401) { wipe(); requireSignIn(); return; }
  if (!response.ok) { end(await problemOf(response)); return; }
  const content = await response.json();
  let snapshotSrc = null;
  if (content.snapshot) {
    const image = await api("/api/v1/previews/current/snapshot", { headers });
    if (!image.ok) { end(await problemOf(image)); return; }
    blobUrl = snapshotSrc = URL.createObjectURL(await image.blob());
  }
  say("");
  render(report, content, { snapshotSrc });
  countdown(content.expires_in, content.expires_at);
  // Revocation reaches the phone on its next request: ask now and then, and on return.
  timers.push(setInterval(() => check(headers), POLL_MS));
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && sessionStorage.getItem(KEY)) check(headers);
  });
}

onSubmit(form, (event) => {
  event.preventDefault();
  open({ code: form.code.value.trim() });
});

if (requireSignIn()) {
  const link = location.pathname.match(/^\/p\/([^/]+)$/);
  if (link) {
    // The app's own scanner opens links with ?via=app_camera; that scan needs camera consent.
    const via = new URLSearchParams(location.search).get("via") === "app_camera" ? "app_camera" : "link";
    open({ token: decodeURIComponent(link[1]), via });
  } else {
    show();
  }
}
