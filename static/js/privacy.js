// The privacy centre: my data, my devices, export, delete (agreement 1.1 and the user's rights).
import {
  $, clearFieldErrors, dateTime, el, json, list as listOf, number, onSubmit, requireSignIn, rowButton, say, showFieldErrors, t,
} from "./companion.js";

// The fields of an account a partner may get, as the page names them.
const FIELD_NAMES = {
  username: t("Username"), display_name: t("Display name"), email: t("Email"), phone: t("Phone"), groups: t("Groups"),
};

function fact(list, term, value) {
  const dt = document.createElement("dt");
  dt.textContent = term;
  const dd = document.createElement("dd");
  dd.textContent = value || "—";
  list.append(dt, dd);
}

async function showAccount() {
  const me = await json("/api/v1/me");
  const list = $("account");
  list.replaceChildren();
  fact(list, t("Username"), me.username);
  fact(list, t("Groups"), listOf(me.groups));
  const form = $("profile");
  form.display_name.value = me.display_name;
  form.email.value = me.email || "";
  form.phone.value = me.phone || "";
}

async function showDevices() {
  const { devices } = await json("/api/v1/devices");
  const list = $("devices");
  list.replaceChildren();
  for (const device of devices) {
    const item = document.createElement("li");
    let text = t("{model} · {os} {version} · last seen {time}", {
      model: device.model, os: device.os, version: device.os_version, time: dateTime(device.last_seen_at) });
    if (device.current) text = t("{device} (this device)", { device: text });
    if (device.revoked_at) text = t("{device} · revoked", { device: text });
    item.textContent = text;
    if (!device.revoked_at && !device.current) {
      const revoke = rowButton(t("Revoke"));
      revoke.addEventListener("click", async () => {
        await json(`/api/v1/devices/${device.id}`, { method: "DELETE" });
        say(t("{model} can no longer sign in.", { model: device.model }), "ok");
        showDevices();
      });
      item.append(" ", revoke);
    }
    list.append(item);
  }
}

async function showDisclosures() {
  const { disclosures } = await json("/api/v1/me/disclosures");
  const list = $("disclosures");
  list.replaceChildren();
  if (!disclosures.length) {
    const item = document.createElement("li");
    item.textContent = t("Nothing was shared.");
    list.append(item);
  }
  for (const disclosure of disclosures) {
    const item = document.createElement("li");
    const fields = listOf(disclosure.fields.map((field) => FIELD_NAMES[field] || field));
    item.textContent = t("{time}: {fields} to {partner} ({reason})", {
      time: dateTime(disclosure.sent_at), fields, partner: disclosure.partner, reason: disclosure.reason });
    list.append(item);
  }
}

// How long each kind of data is kept (clause 2.2), as the gateway's settings say.
async function showRetention() {
  const { retention } = await json("/api/v1/privacy/retention");
  const list = $("retention");
  list.replaceChildren();
  for (const kind of retention) {
    const period = kind.days < 1 ? t("{hours} hours", { hours: Math.round(kind.days * 24) })
      : t("{days} days", { days: Math.round(kind.days) });
    const item = document.createElement("li");
    item.append(kind.what, " · ", Object.assign(document.createElement("strong"), { textContent: period }));
    list.append(item);
  }
}

// What the gateway refused in the profile, said under the field it concerns.
const FIELD_PROBLEMS = {
  email: t("This is not an e-mail address. Write it as name@example.com."),
  phone: t("This is not a phone number. Write digits, with + and the country code if needed."),
};

// Once the account is gone, nothing of it stays on the screen: only what happened, and the
// way back to the app (which now asks to sign in).
function showDeleted() {
  localStorage.clear();
  const main = document.querySelector("main");
  main.replaceChildren(main.querySelector("h1"), $("status"), $("back"));
  say(t("Your account is deleted. Your personal data was erased and this phone is signed out."), "ok");
}

if (requireSignIn()) {
  onSubmit($("profile"), async (event) => {
    event.preventDefault();
    const form = event.target;
    const body = { display_name: form.display_name.value };
    if (form.email.value) body.email = form.email.value;
    if (form.phone.value) body.phone = form.phone.value;
    try {
      await json("/api/v1/me", { method: "PATCH", body });
      clearFieldErrors(form);
      say(t("Saved."), "ok");
    } catch (error) {
      const marked = showFieldErrors(form, error.problem, { texts: FIELD_PROBLEMS });
      say(marked ? t("Not saved: correct the marked field.") : error.message, "bad");
    }
  });

  $("export").addEventListener("click", async () => {
    const document_ = await json("/api/v1/me/export");
    const blob = new Blob([JSON.stringify(document_, null, 2)], { type: "application/json" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = "my-data.json";
    link.click();
    // The file's keys stay the same in every language; the list says what each holds.
    const names = document_.section_names || {};
    $("export-sections").replaceChildren(...Object.keys(names).map((key) => {
      const rows = Array.isArray(document_[key]) ? document_[key].length : 1;
      return el("li", {}, el("strong", { textContent: names[key] }), " ",
        el("span", { className: "muted" }, t("entries: {count} · key “{key}”", { count: number(rows), key })));
    }));
    $("exported").classList.remove("hidden");
    say(t("Your data was exported."), "ok");
  });

  onSubmit($("delete"), async (event) => {
    event.preventDefault();
    if (!confirm(t("Delete your account and your personal data? This cannot be undone."))) return;
    try {
      await json("/api/v1/me/delete", { method: "POST", body: { password: $("delete-password").value } });
      showDeleted();
    } catch (error) {
      say(error.message, "bad");
    }
  });

  await Promise.all([showAccount(), showDevices(), showDisclosures(), showRetention()]);
}
