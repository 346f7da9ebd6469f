// Users and groups: find, add (with a one-time password shown once), and for the user picked,
// disable or enable, reset the password, change the role and groups, and see and end their
// phones, browser sessions and sign-ins.
import { $, session, dateTime, el, json, onSubmit, rowButton, say, t } from "./desktop.js";

const USERS = "/api/v1/admin/users";
let picked = null; // the id of the user whose details are shown
const groupsOf = (text) => text.split(",").map((name) => name.trim()).filter(Boolean);
const roleName = (role) => (role === "admin" ? t("Administrator") : t("Standard user"));

async function copy(text, button) {
  await navigator.clipboard.writeText(text);
  button.textContent = t("Copied");
}

async function showUsers() {
  const { users } = await json(`${USERS}?${new URLSearchParams({ q: $("q").value })}`, { signIn: true });
  const rows = $("users");
  rows.replaceChildren();
  for (const user of users) {
    const name = el("a", { href: "#detail", textContent: user.display_name });
    name.addEventListener("click", (event) => { event.preventDefault(); pick(user.id); });
    const row = el("tr", { className: user.id === picked ? "picked" : "" },
      el("td", {}, name, el("div", { className: "muted" }, [user.username, user.email].filter(Boolean).join(" · "))),
      el("td", {}, roleName(user.role)),
      el("td", {}, user.groups.join(", ")),
      el("td", {}, user.disabled ? t("Disabled")
        : user.must_change_password ? t("Has a one-time password") : t("Active")));
    rows.append(row);
  }
  say(users.length ? "" : t("Nobody matches."));
}

function describeSignIn(signIn) {
  const how = { "browser.signed-in": t("Browser, with a password"), "qrlogin.redeemed": t("Browser, scanned with a phone"),
                "device.signed-in": t("Phone") }[signIn.action] || signIn.action;
  const where = [signIn.details.browser, signIn.details.os, signIn.details.model, signIn.ip].filter(Boolean).join(" · ");
  return `${dateTime(signIn.at)} · ${how}${where ? ` · ${where}` : ""}`;
}

function listInto(list, items, empty, row) {
  list.replaceChildren();
  if (!items.length) list.append(el("li", { className: "muted" }, empty));
  for (const item of items) list.append(row(item));
}

// A button on a detail row that calls *action* and then shows the user again.
function acting(text, action, done) {
  const button = rowButton(text);
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await action();
      say(done, "ok", $("detail-status"));
      await pick(picked);
    } catch (error) {
      button.disabled = false;
      say(error.message, "bad", $("detail-status"));
    }
  });
  return button;
}

async function pick(userId) {
  picked = userId;
  const found = await json(`${USERS}/${encodeURIComponent(userId)}`);
  const { user } = found;
  $("detail").classList.remove("hidden");
  $("detail-name").textContent = `${user.display_name} (${user.username})`;
  $("detail-facts").textContent = t("{role} · added {when}", { role: roleName(user.role), when: dateTime(user.created_at) });
  $("toggle-disabled").textContent = user.disabled ? t("Enable") : t("Disable");
  $("toggle-disabled").dataset.disabled = String(user.disabled);
  $("toggle-role").textContent = user.role === "admin" ? t("Make a user") : t("Make an administrator");
  $("toggle-role").dataset.role = user.role;
  $("groups").value = user.groups.join(", ");
  $("reset-once").classList.add("hidden");
  const base = `${USERS}/${encodeURIComponent(user.id)}`;
  listInto($("detail-devices"), found.devices.filter((d) => !d.revoked_at), t("No phone."), (device) =>
    el("li", {}, `${device.model} · ${device.os} ${device.os_version} · ${t("last seen {when}", { when: dateTime(device.last_seen_at) })} `,
      acting(t("Revoke"), () => json(`${base}/devices/${encodeURIComponent(device.id)}`, { method: "DELETE" }),
             t("The phone is signed out for good."))));
  listInto($("detail-sessions"), found.sessions, t("No browser is signed in."), (session) =>
    el("li", {}, `${t("since {when}", { when: dateTime(session.created_at) })} · ${session.method === "qr" ? t("scanned with a phone") : t("with a password")} `,
      acting(t("Sign out"), () => json(`${base}/sessions/${encodeURIComponent(session.handle)}`, { method: "DELETE" }),
             t("The browser is signed out."))));
  listInto($("detail-sign-ins"), found.sign_ins, t("No sign-in yet."), (signIn) => el("li", {}, describeSignIn(signIn)));
  await showUsers();
}

async function act(path, options, done) {
  try {
    const answer = await json(`${USERS}/${encodeURIComponent(picked)}${path}`, options);
    say(done, "ok", $("detail-status"));
    await pick(picked);
    return answer;
  } catch (error) {
    say(error.message, "bad", $("detail-status"));
    return null;
  }
}

$("toggle-disabled").addEventListener("click", () => {
  const disabled = $("toggle-disabled").dataset.disabled === "true";
  if (!disabled && !confirm(t("Disable this account? Every browser and phone signed in to it is signed out."))) return;
  act(disabled ? "/enable" : "/disable", { method: "POST" }, disabled ? t("The account is enabled.") : t("The account is disabled."));
});
$("toggle-role").addEventListener("click", () => {
  const role = $("toggle-role").dataset.role === "admin" ? "user" : "admin";
  act("/role", { method: "PUT", body: { role } }, t("The role is changed."));
});
$("reset-password").addEventListener("click", async () => {
  if (!confirm(t("Give this user a new one-time password? Their browsers and phones are signed out."))) return;
  const answer = await act("/password-reset", { method: "POST" }, t("The password is reset."));
  if (answer) {
    $("reset-password-value").textContent = answer.one_time_password;
    $("reset-once").classList.remove("hidden");
  }
});
$("copy-reset").addEventListener("click", (event) => copy($("reset-password-value").textContent, event.target));
$("copy-made").addEventListener("click", (event) => copy($("made-password").textContent, event.target));

onSubmit($("groups-form"), () =>
  act("/groups", { method: "PUT", body: { groups: groupsOf($("groups").value) } }, t("The groups are saved.")));

onSubmit($("create"), async (event) => {
  const form = event.target;
  const body = { username: form.username.value.trim(), role: form.role.value, groups: groupsOf(form.groups.value) };
  if (form.display_name.value.trim()) body.display_name = form.display_name.value.trim();
  if (form.email.value.trim()) body.email = form.email.value.trim();
  try {
    const made = await json(USERS, { method: "POST", body });
    $("made-words").textContent = t("{name} can sign in with this one-time password, shown only now. Give it to them in person; they choose their own at the first sign-in.", { name: made.username });
    $("made-password").textContent = made.one_time_password;
    $("made").classList.remove("hidden");
    say("", "", $("create-status"));
    form.reset();
    await showUsers();
  } catch (error) {
    say(error.message, "bad", $("create-status"));
  }
});

let typing;
$("q").addEventListener("input", () => {
  clearTimeout(typing);
  typing = setTimeout(() => showUsers().catch((error) => say(error.message, "bad")), 200);
});
$("search").addEventListener("submit", (event) => event.preventDefault());

try {
  await session({ signIn: true });
  await showUsers();
} catch (error) {
  say(error.message, "bad");
}
