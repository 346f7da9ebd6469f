// The privacy centre: my data, my devices, export, delete (agreement 1.1 and the user's rights).
import { $, json, onSubmit, requireSignIn, rowButton, say } from "./companion.js";

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
  fact(list, "Username", me.username);
  fact(list, "Groups", me.groups.join(", "));
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
    const seen = new Date(device.last_seen_at).toLocaleString();
    item.textContent = `${device.model} · ${device.os} ${device.os_version} · last seen ${seen}`;
    if (device.current) item.textContent += " (this device)";
    if (device.revoked_at) {
      item.textContent += " · revoked";
    } else if (!device.current) {
      const revoke = rowButton("Revoke");
      revoke.addEventListener("click", async () => {
        await json(`/api/v1/devices/${device.id}`, { method: "DELETE" });
        say(`${device.model} can no longer sign in.`, "ok");
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
    item.textContent = "Nothing was shared.";
    list.append(item);
  }
  for (const disclosure of disclosures) {
    const item = document.createElement("li");
    const when = new Date(disclosure.sent_at).toLocaleString();
    item.textContent = `${when}: ${disclosure.fields.join(", ")} to ${disclosure.partner} (${disclosure.reason})`;
    list.append(item);
  }
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
      say("Saved.", "ok");
    } catch (error) {
      say(error.message, "bad");
    }
  });

  $("export").addEventListener("click", async () => {
    const document_ = await json("/api/v1/me/export");
    const blob = new Blob([JSON.stringify(document_, null, 2)], { type: "application/json" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = "my-data.json";
    link.click();
    say("Your data was exported.", "ok");
  });

  onSubmit($("delete"), async (event) => {
    event.preventDefault();
    if (!confirm("Delete your account and your personal data? This cannot be undone.")) return;
    try {
      await json("/api/v1/me/delete", { method: "POST", body: { password: $("delete-password").value } });
      localStorage.clear();
      say("Your account was deleted.", "ok");
    } catch (error) {
      say(error.message, "bad");
    }
  });

  await Promise.all([showAccount(), showDevices(), showDisclosures()]);
}
