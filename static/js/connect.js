// The desktop page of scan to connect a phone: offer a QR code, then approve the phone that
// claimed it after picking the number it shows.
import { $, dateTime, json, minutesSeconds, say, secondsUntil, session, t } from "./desktop.js";
import { watch } from "./qr-wait.js";

let stopWaiting = null;
let timer = null;

const post = (url, body = {}) => json(url, { method: "POST", body });

function ended(text, kind) {
  clearInterval(timer);
  $("qr-box").classList.add("hidden");
  $("claimed").classList.add("hidden");
  $("countdown").textContent = "";
  say(text, kind);
  $("start").textContent = t("Connect another phone");
  $("start").classList.remove("hidden");
}

function showClaim(offer, status) {
  const phone = status.phone;
  const place = phone.place || phone.network || t("unknown");
  clearInterval(timer);
  $("qr-box").classList.add("hidden");
  $("countdown").textContent = "";
  $("phone").replaceChildren(...[
    t("Phone: {model} ({os} {version})", { model: phone.model, os: phone.os, version: phone.os_version }),
    t("Where: {place}", { place }),
    t("Asked at: {time}", { time: dateTime(phone.claimed_at, { timeStyle: "medium" }) }),
  ].map((text) => Object.assign(document.createElement("li"), { textContent: text })));
  let picked = null;
  const buttons = status.choices.map((n) => Object.assign(document.createElement("button"), {
    type: "button", textContent: String(n), ariaLabel: t("Number {number}", { number: n }),
    onclick: (event) => {
      picked = n;
      for (const b of buttons) b.setAttribute("aria-pressed", String(b === event.target));
      $("approve").disabled = false;
    },
  }));
  $("choices").replaceChildren(...buttons);
  $("claimed").classList.remove("hidden");
  say(t("Only approve if this is your phone and it shows the number you pick."));
  $("approve").onclick = async () => {
    $("approve").disabled = $("deny").disabled = true;
    try {
      await post(`/api/v1/enrollments/${offer.id}/approve`, { number: picked });
      ended(t("Connected: {model}. It is now in your devices.", { model: phone.model }), "ok");
    } catch (error) { ended(error.message, "bad"); }
  };
  $("deny").onclick = async () => {
    $("approve").disabled = $("deny").disabled = true;
    try { await post(`/api/v1/enrollments/${offer.id}/deny`); ended(t("Refused. The phone was not connected."), "ok"); }
    catch (error) { ended(error.message, "bad"); }
  };
}

async function begin() {
  if (stopWaiting) stopWaiting();
  $("start").classList.add("hidden");
  $("approve").disabled = true;
  $("deny").disabled = false;
  let offer;
  try { offer = await post("/api/v1/enrollments"); } catch (error) { ended(error.message, "bad"); return; }
  $("qr").src = offer.qr_svg_url;
  $("code").textContent = offer.code;
  $("qr-box").classList.remove("hidden");
  say(t("Scan the code with the phone's camera."));
  const ends = Date.now() + offer.expires_in * 1000;
  timer = setInterval(() => {
    $("countdown").textContent = t("This code expires in {time}", { time: minutesSeconds(secondsUntil(ends)) });
  }, 250);
  stopWaiting = watch(offer.wait.events, offer.wait.poll, (status) => {
    if (status.state === "claimed") showClaim(offer, status);
    else if (status.state === "expired") ended(t("The code expired."), "bad");
    else if (status.state === "denied") ended(t("This code can no longer be used: another phone used it too, or it was refused."), "bad");
  }, "offered");
}

// Signed out (or the session cannot be read): the page says where to sign in.
if (await session().catch(() => null)) {
  $("start").classList.remove("hidden");
  $("start").addEventListener("click", begin);
} else {
  $("signed-out").classList.remove("hidden");
}
