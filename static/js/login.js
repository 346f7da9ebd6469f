// The desktop login page: show a QR code and a typed code, wait for the phone, sign in.
import { $, minutesSeconds, problemText, say, secondsUntil, send, t } from "./desktop.js";
import { watch } from "./qr-wait.js";

const query = new URLSearchParams(location.search);
let stopWaiting = null;
let timers = [];

function clearTimers() {
  timers.forEach(clearInterval);
  timers = [];
}

function showAgain(show) {
  $("again").classList.toggle("hidden", !show);
  $("qr").classList.toggle("faded", show);
}

// The countdown and the redraw of the QR code each time a new one is in force, from
// durations the server gave (so a wrong clock on this computer does not matter).
function startClocks(login) {
  const received = Date.now();
  const ends = received + login.expires_in * 1000;
  let rotation = login.rotation;
  let nextRotation = login.rotates_in == null ? null : received + login.rotates_in * 1000;
  const tick = () => {
    const left = secondsUntil(ends);
    $("countdown").textContent = t("This code expires in {time}", { time: minutesSeconds(left) });
    if (nextRotation !== null && Date.now() >= nextRotation && left > 0) {
      rotation += 1;
      nextRotation += login.rotates_every * 1000;
      $("qr").src = `${login.qr_svg_url}?r=${rotation}`;
    }
  };
  tick();
  timers.push(setInterval(tick, 250));
}

async function redeem(login) {
  say(t("Confirmed on your phone. Signing you in…"));
  // The login's own CSRF token: this browser has no session yet.
  const response = await send(`/api/v1/qr-logins/${login.id}/redeem`, { method: "POST", token: login.csrf_token });
  const body = await response.json();
  if (!response.ok) { say(problemText(body, t("The sign-in could not be finished.")), "bad"); showAgain(true); return; }
  $("qr-box").classList.add("hidden");
  $("countdown").textContent = "";
  say(t("Signed in as {name}.", { name: body.user.display_name }), "ok");
  if (body.return_url) {
    // Hand the assertion to the BI server in a POST body: never in a URL.
    const form = $("deliver");
    form.action = body.return_url;
    $("assertion").value = body.assertion;
    if (body.return_state) $("deliver-state").value = body.return_state; else $("deliver-state").remove();
    form.submit();
  }
}

function onStatus(login, status) {
  $("match").classList.toggle("hidden", status.state !== "scanned");
  switch (status.state) {
    case "pending":
      say(t("Waiting for your phone…"));
      break;
    case "scanned":
      $("number").textContent = status.number;
      $("qr").classList.add("faded");
      say(t("Code scanned. Tap the same number on your phone, then confirm."));
      break;
    case "confirmed":
      clearTimers();
      redeem(login);
      break;
    case "denied":
      clearTimers();
      say(t("The sign-in was refused on the phone."), "bad");
      showAgain(true);
      break;
    case "expired":
      clearTimers();
      $("countdown").textContent = "";
      say(t("This code has expired."), "bad");
      showAgain(true);
      break;
    default:
      clearTimers();
      say(problemText(status.problem, t("Something went wrong.")), "bad");
      showAgain(true);
  }
}

async function begin() {
  if (stopWaiting) stopWaiting();
  clearTimers();
  showAgain(false);
  $("qr-box").classList.remove("hidden");
  $("match").classList.add("hidden");
  say(t("Preparing a code…"));
  const request = {};
  for (const name of ["return_to", "state", "nonce"]) if (query.get(name)) request[name] = query.get(name);
  const response = await send("/api/v1/qr-logins", { method: "POST", body: request });
  const login = await response.json();
  if (!response.ok) { say(problemText(login, t("No code could be made.")), "bad"); showAgain(true); return; }
  $("qr").src = `${login.qr_svg_url}?r=${login.rotation}`;
  $("code").textContent = login.code;
  say(t("Waiting for your phone…"));
  startClocks(login);
  stopWaiting = watch(login.wait.events, login.wait.poll,
                      (status) => onStatus(login, status), "pending");
}

$("again").addEventListener("click", begin);
begin();
