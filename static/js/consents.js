// The companion's permission settings: one switch per purpose, the policy announcement, the
// required permissions, and the history of every device with receipts.
import { $, el, json, requireSignIn, say as sayIn } from "./companion.js";
import { ask } from "./consent-dialog.js";

const lang = encodeURIComponent((navigator.language || "en").slice(0, 35));
const when = (iso) => new Date(iso).toLocaleString();

const STATE_TEXT = {
  granted: "Allowed",
  refused: "Not allowed",
  withdrawn: "Turned off",
  undecided: "Not asked yet: you will be asked when you first use it",
};

const say = (text, ok = true) => sayIn(text, ok ? "ok" : "bad");

function describe(item) {
  if (item.reason === "policy_changed") return "The agreement changed: decide again to use it";
  return STATE_TEXT[item.state];
}

function purposeRow(item) {
  const toggle = el("input", { type: "checkbox", className: "switch", checked: item.granted, id: `switch-${item.purpose}` });
  toggle.setAttribute("role", "switch");
  toggle.dataset.purpose = item.purpose;
  const state = el("div", { className: `state${item.reason === "policy_changed" ? " attention" : ""}`, id: `state-${item.purpose}`, textContent: describe(item) });
  const title = el("label", { className: "title", htmlFor: toggle.id, textContent: item.title });
  const about = el("div", { className: "about" }, title);
  if (item.sensitive) about.append(el("span", { className: "tag", textContent: "sensitive" }));
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
      if (status) say(status.granted ? `${item.title}: allowed.` : `${item.title}: not allowed.`);
    } else {
      await json(`/api/v1/consents/${encodeURIComponent(item.purpose)}`, { method: "DELETE" });
      say(`${item.title}: turned off.`);
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
  const asks = policy.changes.length ? ` It asks again about: ${policy.changes.join(", ")}.` : "";
  $("announcement-text").textContent =
    `The user agreement was updated to version ${policy.version} (in effect ${when(policy.effective_at)}): ${policy.summary}.${asks}`;
  $("announcement-link").href = `/policies#v-${policy.version}`;
  $("announcement-seen").onclick = async () => {
    await json("/api/v1/policy/seen", { method: "POST", body: { version: policy.version } });
    box.classList.add("hidden");
  };
}

async function showReceipt(event, cell) {
  const body = await json(event.receipt_url);
  cell.replaceChildren(el("details", { open: true }, el("summary", { textContent: "Signed receipt (JWT)" }),
    el("code", { className: "receipt", textContent: body.receipt })));
}

function historyTable(device, purpose) {
  const rows = purpose.events.map((event) => {
    const cell = el("td", {}, el("button", { type: "button", className: "small secondary", textContent: "Receipt", onclick: () => showReceipt(event, cell) }));
    const how = `${event.method.replace(/_/g, " ")} · version ${event.policy_version}`;
    return el("tr", {}, el("td", { textContent: when(event.server_time) }),
      el("td", {}, el("span", { className: "decision", textContent: event.decision }), el("br"), el("span", { className: "muted", textContent: how })),
      cell);
  });
  const table = el("table", { className: "history" },
    el("caption", { className: "muted", textContent: purpose.purpose }),
    el("thead", {}, el("tr", {}, ...["When", "Decision", ""].map((t) => el("th", { textContent: t })))),
    el("tbody", {}, ...rows));
  if (!device.current && purpose.state === "granted") {
    const button = el("button", { type: "button", className: "small", textContent: `Turn off ${purpose.purpose} on this device` });
    button.addEventListener("click", async () => {
      await json(`/api/v1/consents/${encodeURIComponent(purpose.purpose)}?device_id=${device.device_id}`, { method: "DELETE" });
      say(`${purpose.purpose}: turned off on ${device.model || "that device"}.`);
      await load();
    });
    return el("div", {}, table, button);
  }
  return table;
}

function history(devices) {
  $("history").replaceChildren(...devices.map((device) => {
    const name = `${device.model || "A removed device"}${device.os ? ` (${device.os})` : ""}${device.current ? " · this device" : ""}${device.revoked ? " · signed out" : ""}`;
    const body = device.purposes.length ? device.purposes.map((p) => historyTable(device, p)) : [el("p", { className: "muted", textContent: "No decisions yet." })];
    return el("div", { className: "device" }, el("h3", { textContent: name }), ...body);
  }));
}

async function load() {
  const [consents, catalogue, past] = await Promise.all([
    json(`/api/v1/consents?lang=${lang}`),
    json(`/api/v1/purposes?lang=${lang}`),
    json("/api/v1/consents/history"),
  ]);
  $("purposes").replaceChildren(...consents.purposes.map(purposeRow));
  $("required").replaceChildren(...catalogue.required.map((p) => el("li", { textContent: `${p.title}: ${p.why}` })));
  announce(consents.policy);
  history(past.devices);
}

if (requireSignIn()) load().catch((error) => say(error.message, false));
