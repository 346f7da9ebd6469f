// The companion's notification settings: subscribe this device (push consent first),
// topics to opt out of, quiet hours. The subscription is registered again on every visit,
// so a rotated VAPID key or a replaced browser subscription heals itself.
import { $, api, base64url, json, onSubmit, requireSignIn, say as sayIn, t } from "./companion.js";

const state = $("push-state");
const say = (line, text, kind = "") => sayIn(text, kind, line);
const supported = "serviceWorker" in navigator && "PushManager" in window;
// Safari on iPhone and iPad delivers Web Push only to a web app added to the Home Screen;
// in a Safari tab, `navigator.standalone` is false (it is true once installed).
const apple = /iPhone|iPad|iPod/.test(navigator.userAgent) ||
  (/Macintosh/.test(navigator.userAgent) && navigator.maxTouchPoints > 1); // iPadOS asks as a Mac
if (apple && navigator.standalone === false) $("home-screen-hint").classList.remove("hidden");

const b64ToBytes = (text) => Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));

async function registration() {
  return navigator.serviceWorker.register("/app/push-sw.js", { scope: "/app/" });
}

async function register(browserSubscription, key) {
  try {
    return await json("/api/v1/push/subscription", {
      method: "PUT", body: { ...browserSubscription.toJSON(), application_server_key: key },
    });
  } catch (error) {
    if (error.problem && error.problem.type.endsWith("consent-required")) {
      $("consent-link").classList.remove("hidden");
      say(state, t("Allow the Notifications permission first."), "bad");
      return null;
    }
    throw error;
  }
}

async function subscribe(forceNew = false) {
  const { public_key: key } = await json("/api/v1/push/vapid-key");
  const reg = await registration();
  let current = await reg.pushManager.getSubscription();
  const usesKey = current && current.options.applicationServerKey &&
    base64url(current.options.applicationServerKey) === key;
  if (current && (forceNew || !usesKey)) { await current.unsubscribe(); current = null; }
  current = current || await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: b64ToBytes(key) });
  return register(current, key);
}

function show(subscription) {
  $("push-on").classList.toggle("hidden", Boolean(subscription));
  $("push-off").classList.toggle("hidden", !subscription);
  if (subscription) say(state, t("On: delivered through {service}.", { service: subscription.origin }), "ok");
}

async function refresh() {
  if (!supported) { say(state, t("This browser cannot receive push notifications."), "bad"); return; }
  const reg = await navigator.serviceWorker.getRegistration("/app/");
  const browserSub = reg && await reg.pushManager.getSubscription();
  if (browserSub && Notification.permission === "granted") {
    show(await subscribe(false)); // registers again: heals rotations and replacements
    return;
  }
  show(null);
  say(state, t("Off on this device."));
}

async function loadTopics() {
  const { topics } = await json("/api/v1/push/topics");
  const list = $("topics");
  list.replaceChildren();
  if (!topics.length) { list.textContent = t("No topics yet."); return; }
  for (const topic of topics) {
    const item = document.createElement("li");
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.className = "inline";
    box.checked = !topic.opted_out;
    box.addEventListener("change", async () => {
      await api(`/api/v1/push/topics/${encodeURIComponent(topic.name)}/opt-out`,
                          { method: box.checked ? "DELETE" : "PUT" });
    });
    label.append(box, ` ${topic.title}`);
    const about = document.createElement("span");
    about.className = "muted";
    about.textContent = topic.description ? ` · ${topic.description}` : "";
    item.append(label, about);
    list.append(item);
  }
}

async function loadQuiet() {
  const { quiet_hours: hours } = await json("/api/v1/push/quiet-hours");
  $("quiet-zone").value = hours ? hours.timezone : Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (hours) { $("quiet-starts").value = hours.starts; $("quiet-ends").value = hours.ends; }
  say($("quiet-state"), hours ? t("Quiet from {start} to {end}.", { start: hours.starts, end: hours.ends }) : t("No quiet hours."));
}

if (requireSignIn()) {
  $("push-on").addEventListener("click", async () => {
    try {
      if (await Notification.requestPermission() !== "granted") {
        say(state, t("The browser's notification permission was not given."), "bad");
        return;
      }
      show(await subscribe(false));
    } catch (error) {
      say(state, error.message || t("Could not turn notifications on."), "bad");
    }
  });

  $("push-off").addEventListener("click", async () => {
    await api("/api/v1/push/subscription", { method: "DELETE" });
    const reg = await navigator.serviceWorker.getRegistration("/app/");
    const browserSub = reg && await reg.pushManager.getSubscription();
    if (browserSub) await browserSub.unsubscribe();
    show(null);
    say(state, t("Off on this device."));
  });

  if (supported) {
    navigator.serviceWorker.addEventListener("message", (event) => {
      if (event.data && event.data.type === "push-subscription-changed") subscribe(true).then(show);
    });
  }

  onSubmit($("quiet"), async (event) => {
    event.preventDefault();
    try {
      await json("/api/v1/push/quiet-hours", { method: "PUT", body: {
        starts: $("quiet-starts").value, ends: $("quiet-ends").value, timezone: $("quiet-zone").value.trim() } });
      await loadQuiet();
    } catch (error) {
      say($("quiet-state"), error.message, "bad");
    }
  });
  $("quiet-clear").addEventListener("click", async () => {
    await api("/api/v1/push/quiet-hours", { method: "DELETE" });
    await loadQuiet();
  });

  await Promise.all([refresh().catch((error) => say(state, error.message, "bad")), loadTopics(), loadQuiet()]);
}
