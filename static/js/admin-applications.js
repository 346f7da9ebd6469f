// The applications signing users in with OpenID Connect: list, register one (its secret
// shown once), revoke.
import { $, dateTime, el, json, onSubmit, rowButton, say, session, t } from "./desktop.js";

const CLIENTS = "/api/v1/admin/oidc-clients";
const lines = (text) => text.split(/\s+/).map((line) => line.trim()).filter(Boolean);

async function showClients() {
  const { clients, scopes, issuer } = await json(CLIENTS, { signIn: true });
  $("issuer").textContent = issuer;
  $("made-discovery").textContent = `${issuer}/.well-known/openid-configuration`;
  const rows = $("clients");
  rows.replaceChildren();
  for (const client of clients) {
    const state = el("td", {}, client.revoked_at ? t("Revoked {when}", { when: dateTime(client.revoked_at) }) : t("In use"));
    if (!client.revoked_at) {
      const revoke = rowButton(t("Revoke"));
      revoke.addEventListener("click", async () => {
        if (!confirm(t("Revoke {name}? Its users can no longer sign in with it.", { name: client.name }))) return;
        revoke.disabled = true;
        try {
          await json(`${CLIENTS}/${encodeURIComponent(client.client_id)}`, { method: "DELETE" });
          say(t("{name} is revoked.", { name: client.name }), "ok");
          await showClients();
        } catch (error) {
          revoke.disabled = false;
          say(error.message, "bad");
        }
      });
      state.append(" ", revoke);
    }
    rows.append(el("tr", {}, el("td", {}, client.name), el("td", {}, el("code", {}, client.client_id)),
      el("td", {}, client.redirect_uris.join("\n")), el("td", {}, client.scopes.join(", ")), state));
  }
  say(clients.length ? "" : t("No application yet: register one below."));
  const boxes = $("scopes");
  if (!boxes.querySelector("input")) {
    for (const [scope, meaning] of Object.entries(scopes)) {
      const id = `scope-${scope.replace(/\W/g, "-")}`;
      const always = scope === "openid";
      boxes.append(el("div", { className: "choice" },
        el("input", { type: "checkbox", id, name: "scopes", value: scope, className: "inline",
                      checked: always || scope === "profile", disabled: always }),
        el("label", { htmlFor: id, className: "inline" }, el("code", {}, scope), ` · ${meaning}`)));
    }
  }
}

onSubmit($("register"), async (event) => {
  const form = event.target;
  const scopes = ["openid", ...[...form.querySelectorAll("input[name=scopes]:checked:not(:disabled)")].map((box) => box.value)];
  const body = {
    name: form.name.value.trim(), redirect_uris: lines(form.redirect_uris.value), scopes,
    logout_uris: lines(form.logout_uris.value), public: form.public.checked, consent: form.consent.checked,
  };
  if (form.backchannel_uri.value.trim()) body.backchannel_uri = form.backchannel_uri.value.trim();
  try {
    const made = await json(CLIENTS, { method: "POST", body });
    $("made-id").textContent = made.client_id;
    $("made-secret").textContent = made.client_secret || t("none: a public client uses PKCE");
    $("copy-secret").classList.toggle("hidden", !made.client_secret);
    $("made").classList.remove("hidden");
    say("", "", $("create-status"));
    form.reset();
    await showClients();
  } catch (error) {
    say(error.message, "bad", $("create-status"));
  }
});
$("copy-secret").addEventListener("click", async (event) => {
  await navigator.clipboard.writeText($("made-secret").textContent);
  event.target.textContent = t("Copied");
});

try {
  await session({ signIn: true }); // its CSRF token, for registering and revoking
  await showClients();
} catch (error) {
  say(error.message, "bad");
}
