// The BI server's integration keys: list with their last use, create one with its scopes
// (the key shown once, with a command to try it), revoke.
import { $, dateTime, el, json, onSubmit, rowButton, say, session, t } from "./desktop.js";

const KEYS = "/api/v1/admin/integrations";

let me = ""; // the administrator's username, whom the example calls address

// A first call for a scope, to paste into a terminal on the BI server.
const TRIES = {
  "push:send": (key) => `curl -X POST ${location.origin}/api/v1/push/notifications \\
  -H "Authorization: Bearer ${key}" -H "Content-Type: application/json" \\
  -d '{"audience": {"kind": "users", "users": ["${me}"]}, "title": "Hello from the BI server"}'`,
  "reports:write": (key) => `curl -X PUT ${location.origin}/api/v1/reports/first-report \\
  -H "Authorization: Bearer ${key}" -H "Content-Type: application/json" \\
  -d '{"title": "First report", "owner": "${me}", "summary": {"key_figures": [{"label": "Revenue", "value": 1200}]}}'`,
};

async function copy(text, button) {
  await navigator.clipboard.writeText(text);
  button.textContent = t("Copied");
}

async function showKeys() {
  const { integrations, scopes } = await json(KEYS, { signIn: true });
  const rows = $("keys");
  rows.replaceChildren();
  for (const key of integrations) {
    const state = el("td", {}, key.revoked_at ? t("Revoked {when}", { when: dateTime(key.revoked_at) }) : t("In use"));
    if (!key.revoked_at) {
      const revoke = rowButton(t("Revoke"));
      revoke.addEventListener("click", async () => {
        if (!confirm(t("Revoke the key of {name}? Its calls are refused from now on.", { name: key.name }))) return;
        revoke.disabled = true;
        try {
          await json(`${KEYS}/${encodeURIComponent(key.id)}`, { method: "DELETE" });
          say(t("The key of {name} is revoked.", { name: key.name }), "ok");
          await showKeys();
        } catch (error) {
          revoke.disabled = false;
          say(error.message, "bad");
        }
      });
      state.append(" ", revoke);
    }
    rows.append(el("tr", {}, el("td", {}, key.name), el("td", {}, key.scopes.join(", ")),
      el("td", {}, key.last_used_at ? dateTime(key.last_used_at) : t("Never")), state));
  }
  say(integrations.length ? "" : t("No key yet: create one below for your BI server."));
  const boxes = $("scopes");
  if (!boxes.querySelector("input")) {
    for (const [scope, meaning] of Object.entries(scopes)) {
      const id = `scope-${scope.replace(/\W/g, "-")}`;
      boxes.append(el("div", { className: "choice" },
        el("input", { type: "checkbox", id, name: "scopes", value: scope, className: "inline" }),
        el("label", { htmlFor: id, className: "inline" }, el("code", {}, scope), ` · ${meaning}`)));
    }
  }
}

onSubmit($("create"), async (event) => {
  const form = event.target;
  const scopes = [...form.querySelectorAll("input[name=scopes]:checked")].map((box) => box.value);
  if (!scopes.length) {
    say(t("Choose at least one scope."), "bad", $("create-status"));
    form.querySelector("input[name=scopes]").focus();
    return;
  }
  try {
    const made = await json(KEYS, { method: "POST", body: { name: form.name.value.trim(), scopes } });
    $("made-key").textContent = made.key;
    const tried = scopes.find((scope) => TRIES[scope]);
    $("made-curl").textContent = tried ? TRIES[tried](made.key) : "";
    $("made-try").classList.toggle("hidden", !tried);
    $("made").classList.remove("hidden");
    say("", "", $("create-status"));
    form.reset();
    await showKeys();
  } catch (error) {
    say(error.message, "bad", $("create-status"));
  }
});
$("copy-key").addEventListener("click", (event) => copy($("made-key").textContent, event.target));
$("copy-curl").addEventListener("click", (event) => copy($("made-curl").textContent, event.target));

try {
  me = (await session({ signIn: true })).user.username;
  await showKeys();
} catch (error) {
  say(error.message, "bad");
}
