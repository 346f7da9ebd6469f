// The companion's permission settings: one switch per purpose, the policy announcement, the
// required permissions, and the history of every device with receipts.
import { $, dateTime, el, json, language, list, requireSignIn, say as sayIn, t } from "./companion.js";
import { ask } from "./consent-dialog.js";

const lang = encodeURIComponent(language);  // the notices and titles in the page's language

const STATE_TEXT = {
  granted: t("Allowed"),
  refused: t("Not allowed"),
  withdrawn: t("Turned off"),
  undecided: t("Not asked yet: you will be asked when you first use it"),
};

// How a decision was made, as the history shows it.
const METHOD_TEXT = {
  in_app_dialog: t("asked in the app"),
  settings_toggle: t("switched in the settings"),
  os_permission_sync: t("changed in the phone's settings"),
  admin: t("changed by an administrator"),
  enrollment: t("asked when the phone was connected"),
};

// Each purpose's title (camera -> "Camera"), once the catalogue is loaded.
let titles = {};
const titleOf = (purpose) => titles[purpose] || purpose;

const say = (text, ok = true) => sayIn(text, ok ? "ok" : "bad");

function describe(item) {
  if (item.reason === "policy_changed") return t("The agreement changed: decide again to use it");
  if (item.reason === "terms_changed") return t("What is shared changed: decide again to use it");
  return STATE_TEXT[item.state];
}

function purposeRow(item) {
  const toggle = el("input", { type: "checkbox", className: "switch", checked: item.granted, id: `switch-${item.purpose}` });
  toggle.setAttribute("role", "switch");
  toggle.dataset.purpose = item.purpose;
  const state = el("div", { className: `state${["policy_changed", "terms_changed"].includes(item.reason) ? " attention" : ""}`, id: `state-${item.purpose}`, textContent: describe(item) });
  const title = el("label", { className: "title", htmlFor: toggle.id, textContent: item.title });
  const about = el("div", { className: "about" }, title);
  if (item.sensitive) about.append(el("span", { className: "tag", textContent: t("sensitive") }));
  about.append(state);
  toggle.setAttribute("aria-describedby", state.id);
  toggle.addEventListener("change", () => change(item, toggle));
  return el("li", { id: `purpose-${item.purpose}` }, about, toggle);
}

// Turning on asks with the notice first; turning off withdraws at once, in one call.
async function change(item, toggle) {
  toggle.disabled = true;
  try {
    if (toggle.checked) {
      const status = await ask(item.purpose, { method: "settings_toggle", title: item.title });
      const words = { purpose: item.title };
      if (status) say(status.granted ? t("{purpose}: allowed.", words) : t("{purpose}: not allowed.", words));
    } else {
      await json(`/api/v1/consents/${encodeURIComponent(item.purpose)}`, { method: "DELETE" });
      say(t("{purpose}: turned off.", { purpose: item.title }));
    }
  } catch (error) {
    say(error.message, false);
  }
  await load();
}

function announce(policy) {
  const box = $("announcement");
  box.classList.toggle("hidden", !(policy && policy.unseen));
  if (!policy || !policy.unseen) return;
  const words = { version: policy.version, date: dateTime(policy.effective_at), summary: policy.summary,
                  purposes: list(policy.changes.map(titleOf)) };
  // The first version updates nothing: it is introduced, not announced as a change.
  const first = t("The user agreement (version {version}, in effect since {date}) says what this app does with your data. Please read it.", words);
  const updated = policy.changes.length
    ? t("The user agreement was updated to version {version} (in effect {date}): {summary}. It asks again about: {purposes}.", words)
    : t("The user agreement was updated to version {version} (in effect {date}): {summary}.", words);
  $("announcement-text").textContent = policy.first ? first : updated;
  box.setAttribute("aria-label", policy.first ? t("User agreement") : t("Policy update"));
  Object.assign($("announcement-link"), { href: `/policies#v-${policy.version}`,
                                          textContent: policy.first ? t("Read it") : t("Read what changed") });
  $("announcement-seen").onclick = async () => {
    await json("/api/v1/policy/seen", { method: "POST", body: { version: policy.version } });
    box.classList.add("hidden");
  };
}

async function showReceipt(event, cell) {
  const body = await json(event.receipt_url);
  cell.replaceChildren(el("details", { open: true }, el("summary", { textContent: t("Signed receipt (JWT)") }),
    el("code", { className: "receipt", textContent: body.receipt })));
}

function historyTable(device, purpose) {
  const rows = purpose.events.map((event) => {
    const cell = el("td", {}, el("button", { type: "button", className: "small secondary", textContent: t("Receipt"), onclick: () => showReceipt(event, cell) }));
    const how = t("{method} · version {version}", {
      method: METHOD_TEXT[event.method] || event.method.replace(/_/g, " "), version: event.policy_version });
    return el("tr", {}, el("td", { textContent: dateTime(event.server_time) }),
      el("td", {}, el("span", { className: "decision", textContent: STATE_TEXT[event.decision] || event.decision }), el("br"), el("span", { className: "muted", textContent: how })),
      cell);
  });
  const table = el("table", { className: "history" },
    el("caption", { className: "muted", textContent: titleOf(purpose.purpose) }),
    el("thead", {}, el("tr", {}, ...[t("When"), t("Decision"), ""].map((text) => el("th", { textContent: text })))),
    el("tbody", {}, ...rows));
  if (!device.current && purpose.state === "granted") {
    const button = el("button", { type: "button", className: "small", textContent: t("Turn off {purpose} on this device", { purpose: titleOf(purpose.purpose) }) });
    button.addEventListener("click", async () => {
      await json(`/api/v1/consents/${encodeURIComponent(purpose.purpose)}?device_id=${device.device_id}`, { method: "DELETE" });
      const where = device.model || t("that device");
      say(t("{purpose}: turned off on {device}.", { purpose: titleOf(purpose.purpose), device: where }));
      await load();
    });
    return el("div", {}, table, button);
  }
  return table;
}

function history(devices) {
  $("history").replaceChildren(...devices.map((device) => {
    const model = device.model || t("A removed device");
    const name = [device.os ? t("{model} ({os})", { model, os: device.os }) : model,
      ...(device.current ? [t("this device")] : []), ...(device.revoked ? [t("signed out")] : [])].join(" · ");
    const body = device.purposes.length ? device.purposes.map((p) => historyTable(device, p)) : [el("p", { className: "muted", textContent: t("No decisions yet.") })];
    return el("div", { className: "device" }, el("h3", { textContent: name }), ...body);
  }));
}

async function load() {
  const [consents, catalogue, past] = await Promise.all([
    json(`/api/v1/consents?lang=${lang}`),
    json(`/api/v1/purposes?lang=${lang}`),
    json("/api/v1/consents/history"),
  ]);
  titles = Object.fromEntries(catalogue.purposes.map((p) => [p.name, p.title]));
  $("purposes").replaceChildren(...consents.purposes.map(purposeRow));
  $("required").replaceChildren(...catalogue.required.map((p) => el("li", { textContent: t("{title}: {why}", { title: p.title, why: p.why }) })));
  announce(consents.policy);
  history(past.devices);
}

if (requireSignIn()) load().catch((error) => say(error.message, false));
