// The push console's shared part: the admin session, calls to the API, and the settings,
// VAPID keys, alerts and topics sections. The send and history parts
// (admin-push-send.js, admin-push-history.js) import what they need from here.
import {
  $, clearFieldErrors, dateTime, el, json, list, number, onSubmit, rowButton, say, session, showFieldErrors, t,
} from "./desktop.js";

// A call of the console's; a signed-out browser goes to sign in first.
export const api = (path, options = {}) => json(path, { ...options, signIn: true });

export function cell(row, text, className) {
  const td = document.createElement("td");
  td.textContent = text === null || text === undefined ? "" : String(text);
  if (className) td.className = className;
  row.append(td);
  return td;
}

export const when = (iso) => (iso ? dateTime(iso) : "");

// A failed call about *form*: what is wrong with a field is said under that field (and
// scrolled to); anything else in *line*, the form's own status line, scrolled to as well.
export function formError(form, error, line, options = {}) {
  if (showFieldErrors(form, error.problem, options)) { say("", "", line); return; }
  say(error.message, "bad", line);
  line.scrollIntoView({ block: "nearest" });
}

// What the console warns of before anything else, at the top of the page: what keeps
// notifications from going out as they should.
function showWarnings(settings) {
  const items = [];
  if (!settings.subject) {
    const fix = el("a", { href: "#subject", textContent: t("Set a VAPID contact") });
    fix.addEventListener("click", () => $("subject").focus());
    items.push(el("li", { className: "notice", id: "warning-no-subject" },
      t("No VAPID contact: push services may refuse every notification, as they cannot reach whoever sends them."), " ", fix));
  }
  if (settings.allow_insecure_local) {
    items.push(el("li", { className: "notice", id: "warning-test-mode",
      textContent: t("Test mode: pushes may go to local http addresses. Turn GATEWAY_PUSH_ALLOW_INSECURE_LOCAL_ENDPOINTS off outside tests.") }));
  }
  $("warnings").replaceChildren(...items);
}

// A delivery's state (and the counts' terms), as the console names it.
export const STATE_NAMES = {
  queued: t("queued"), sending: t("sending"), retrying: t("retrying"), delivered: t("delivered"),
  suppressed: t("suppressed"), pruned: t("pruned"), failed: t("failed"), expired: t("expired"),
};
export const stateName = (state) => STATE_NAMES[state] || state;

const KEY_STATES = { current: t("in use"), previous: t("previous"), retired: t("retired") };
const SUBJECT_SOURCES = { console: t("console"), setting: t("gateway setting"), "public-url": t("public URL") };
const ALERT_KINDS = {
  "our-fault": t("Our error"), "mass-prune": t("Many subscriptions gone at once"),
  "unsafe-endpoint": t("Unsafe push address"), "no-subject": t("No VAPID subject"),
};
const URGENCIES = { "very-low": t("very-low"), low: t("low"), normal: t("normal"), high: t("high") };

async function loadSettings() {
  const settings = await api("/api/v1/admin/push/settings");
  showWarnings(settings);
  $("subject").value = settings.subject_source === "console" ? settings.subject : "";
  $("subject").placeholder = settings.subject || "mailto:ops@example.com";
  $("subject-source").textContent = settings.subject
    ? t("In use: {subject} (from the {source}).", { subject: settings.subject,
        source: SUBJECT_SOURCES[settings.subject_source] || settings.subject_source.replace("-", " ") })
    : t("No subject yet: notifications cannot be sent until you set one.");
  $("hosts").value = settings.console_hosts.join("\n");
  $("fixed-hosts").textContent = t("Always allowed: {hosts}.", { hosts: list(settings.builtin_hosts.concat(settings.operator_hosts)) }) +
    (settings.allow_insecure_local ? " " + t("TEST MODE: local http endpoints are allowed.") : "");
  const keys = $("keys");
  keys.replaceChildren();
  for (const key of settings.keys) {
    const row = el("tr");
    cell(row, "").append(el("code", { className: "key", textContent: key.public_key }));
    cell(row, KEY_STATES[key.state] || key.state);
    cell(row, when(key.created_at));
    cell(row, number(key.subscriptions));
    const actions = cell(row, "");
    if (key.state === "previous") {
      const retire = rowButton(t("Retire"));
      retire.addEventListener("click", () => act(`/api/v1/admin/push/keys/${encodeURIComponent(key.kid)}/retire`,
        t("Key retired: its devices will subscribe again.")));
      actions.append(retire);
    }
    keys.append(row);
  }
}

// Change a setting or a key, say *done*, and draw the settings again.
async function act(path, done, options = { method: "POST" }) {
  try {
    await api(path, options);
    say(done, "ok");
    await loadSettings();
  } catch (error) {
    say(error.message, "bad");
  }
}

export async function loadAlerts() {
  const { alerts } = await api("/api/v1/admin/push/alerts");
  $("alerts-section").classList.toggle("hidden", !alerts.length);
  const list = $("alerts");
  list.replaceChildren();
  for (const alert of alerts) {
    const item = el("li", { className: "alert",
      textContent: `${ALERT_KINDS[alert.kind] || alert.kind} · ${alert.origin} · ×${number(alert.count)}: ${alert.detail} ` });
    const resolve = rowButton(t("Resolve"));
    resolve.addEventListener("click", async () => {
      await api(`/api/v1/admin/push/alerts/${alert.id}/resolve`, { method: "POST" });
      await loadAlerts();
    });
    item.append(resolve);
    list.append(item);
  }
}

async function loadTopics() {
  const { topics } = await api("/api/v1/admin/push/topics");
  const list = $("topics");
  const select = $("topic");
  list.replaceChildren();
  select.replaceChildren(new Option(t("(none)"), ""));
  for (const topic of topics) {
    const text = t("{name}: {title} · TTL {ttl}s · {urgency}", {
      name: topic.name, title: topic.title, ttl: topic.ttl, urgency: URGENCIES[topic.urgency] || topic.urgency });
    const item = el("li", { textContent: `${text} ` });
    const remove = rowButton(t("Delete"));
    remove.addEventListener("click", async () => {
      await api(`/api/v1/admin/push/topics/${encodeURIComponent(topic.name)}`, { method: "DELETE" });
      await loadTopics();
    });
    item.append(remove);
    list.append(item);
    select.append(new Option(topic.title, topic.name));
  }
}

onSubmit($("settings-form"), async (event) => {
  event.preventDefault();
  const form = event.target;
  try {
    await api("/api/v1/admin/push/settings", { method: "PUT", body: {
      subject: $("subject").value.trim(),
      hosts: $("hosts").value.split(/\s+/).filter(Boolean) } });
    clearFieldErrors(form);
    say(t("Settings saved."), "ok", $("settings-status"));
    await loadSettings();
  } catch (error) {
    formError(form, error, $("settings-status"));
  }
});

onSubmit($("topic-form"), async (event) => {
  event.preventDefault();
  try {
    await api(`/api/v1/admin/push/topics/${encodeURIComponent($("topic-name").value.trim())}`, {
      method: "PUT", body: { title: $("topic-title").value.trim(), ttl: Number($("topic-ttl").value),
        urgency: $("topic-urgency").value, description: $("topic-description").value.trim() } });
    clearFieldErrors(event.target);
    say("", "", $("topic-status"));
    event.target.reset();
    await loadTopics();
  } catch (error) {
    formError(event.target, error, $("topic-status"), { fields: {
      name: $("topic-name"), title: $("topic-title"), ttl: $("topic-ttl"), urgency: $("topic-urgency"),
      description: $("topic-description") } });
  }
});

$("rotate").addEventListener("click", () => act("/api/v1/admin/push/keys/rotate",
  t("New key in use for new subscriptions; older ones keep working.")));

// Settled once the session is read and the sections are drawn: the other parts wait for it.
export const ready = (async () => {
  await session({ signIn: true });
  await Promise.all([loadSettings(), loadAlerts(), loadTopics()]);
  say("");
})().catch((error) => say(error.message, "bad"));
