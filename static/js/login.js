// The desktop login page: show a QR code and a typed code, wait for the phone, sign in, and
// go on: to the application or BI server that asked, else where the browser was going
// (`?next=`), else the user's home.
import { $, minutesSeconds, problemText, sameOrigin, say, secondsUntil, send, t } from "./desktop.js";
import { watch } from "./qr-wait.js";

const query = new URLSearchParams(location.search);
const oidcRequest = query.get("oidc"); // an application's sign-in request (OpenID Connect)
let stopWaiting = null;
let timers = [];
let scanned = false; // the phone has scanned the current login

function clearTimers() {
  timers.forEach(clearInterval);
  timers = [];
}

// The login is over without a sign-in (refused, expired, failed): the code, the number and
// the countdown go, since none of them can be used any more, and one button makes a new code.
function ended(text) {
  clearTimers();
  if (stopWaiting) stopWaiting();
  stopWaiting = null;
  $("qr-box").classList.add("hidden");
  $("match").classList.add("hidden");
  $("countdown").textContent = "";
  say(text, "bad");
  $("again").classList.remove("hidden");
  $("again").focus();
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
    // A scanned code is not shown again (the phone has it), so it is not redrawn either.
    if (nextRotation !== null && Date.now() >= nextRotation && left > 0 && !scanned) {
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
  if (!response.ok) { ended(problemText(body, t("The sign-in could not be finished."))); return; }
  $("qr-box").classList.add("hidden");
  $("countdown").textContent = "";
  say(t("Signed in as {name}.", { name: body.user.display_name }), "ok");
  if (oidcRequest) {
    // An application's sign-in request waits: the gateway continues it and sends this
    // browser back to the application.
    location.assign(`/oidc/continue/${encodeURIComponent(oidcRequest)}`);
    return;
  }
  if (body.return_url) {
    // Hand the assertion to the BI server in a POST body: never in a URL.
    const form = $("deliver");
    form.action = body.return_url;
    $("assertion").value = body.assertion;
    if (body.return_state) $("deliver-state").value = body.return_state; else $("deliver-state").remove();
    form.submit();
    return;
  }
  location.assign(sameOrigin.next("/home"));
}

function onStatus(login, status) {
  $("match").classList.toggle("hidden", status.state !== "scanned");
  switch (status.state) {
    case "pending":
      say(t("Waiting for your phone…"));
      break;
    case "scanned":
      scanned = true;
      $("number").textContent = status.number;
      $("qr").classList.add("faded");
      say(t("Code scanned. Tap the same number on your phone, then confirm."));
      break;
    case "confirmed":
      clearTimers();
      redeem(login);
      break;
    case "denied":
      ended(status.reason === "wrong-number"
        ? t("The number tapped on the phone was not this one, so the sign-in was refused. Make a new code and try again.")
        : t("The sign-in was refused on the phone."));
      break;
    case "expired":
      ended(t("This code has expired."));
      break;
    default:
      ended(problemText(status.problem, t("Something went wrong.")));
  }
}

async function begin() {
  if (stopWaiting) stopWaiting();
  clearTimers();
  scanned = false;
  $("again").classList.add("hidden");
  $("qr").classList.remove("faded");
  $("code").textContent = "";
  $("qr-box").classList.remove("hidden");
  $("match").classList.add("hidden");
  say(t("Preparing a code…"));
  const request = {};
  for (const name of ["return_to", "state", "nonce", "oidc"]) if (query.get(name)) request[name] = query.get(name);
  const response = await send("/api/v1/qr-logins", { method: "POST", body: request });
  const login = await response.json();
  if (!response.ok) { ended(problemText(login, t("No code could be made."))); return; }
  $("qr").src = `${login.qr_svg_url}?r=${login.rotation}`;
  $("code").textContent = login.code;
  say(t("Waiting for your phone…"));
  startClocks(login);
  stopWaiting = watch(login.wait.events, login.wait.poll,
                      (status) => onStatus(login, status), "pending");
}

// An image that cannot be drawn (the gateway restarted, the network dropped) is hidden
// rather than shown broken; the typed code still works meanwhile.
$("qr").addEventListener("error", () => $("qr").classList.add("invisible"));
$("qr").addEventListener("load", () => $("qr").classList.remove("invisible"));
$("again").addEventListener("click", begin);
// With a password instead, the application's request goes on after that sign-in too, and so
// does the way to where this browser was going.
const onward = oidcRequest ? `/oidc/continue/${oidcRequest}` : query.get("next");
if (onward && $("password-link")) $("password-link").href = `/sign-in?next=${encodeURIComponent(onward)}`;
begin();
