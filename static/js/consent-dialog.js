// The consent dialog: shows a purpose's notice and asks once, Allow and Don't allow with
// equal weight. ask(purpose, {method}) resolves to the new consent status, or null when
// the user closed the dialog without deciding (nothing is recorded then).
// The page links /static/css/consent.css.
import { el, json, language, say, t } from "./companion.js";

// What the OS (here: the browser) says about the permission behind a purpose.
const PERMISSION_NAMES = { camera: "camera", location: "geolocation" };
const STATES = { granted: "authorized", denied: "denied", prompt: "not_determined", default: "not_determined" };
export async function osPermission(purpose) {
  try {
    if (purpose === "push") return "Notification" in window ? STATES[Notification.permission] || null : null;
    const name = PERMISSION_NAMES[purpose];
    if (!name || !navigator.permissions) return null;
    return STATES[(await navigator.permissions.query({ name })).state] || null;
  } catch (error) {
    return null; // not every browser can tell; the decision stands without it
  }
}

// The notices are asked for in the page's language, so they read like the page around them.
const lang = encodeURIComponent(language);

async function titleOf(purpose) {
  const catalogue = await json(`/api/v1/purposes?lang=${lang}`);
  const found = catalogue.purposes.find((p) => p.name === purpose);
  return found ? found.title : purpose;
}

async function decide(purpose, notice, decision, method) {
  const body = {
    purpose, decision, method,
    policy_version: notice.policy_version, notice_hash: notice.hash, language: notice.language,
    client_time: new Date().toISOString(),
  };
  const permission = await osPermission(purpose);
  if (permission) body.os_permission = permission;
  return (await json("/api/v1/consents", { method: "POST", body })).status;
}

export async function ask(purpose, { method = "in_app_dialog", title } = {}) {
  const path = `/api/v1/consents/${encodeURIComponent(purpose)}/notice?lang=${lang}`;
  const [notice, heading] = await Promise.all([json(path), title || titleOf(purpose)]);
  const allow = el("button", { type: "button", className: "choice", id: "consent-grant", textContent: t("Allow") });
  const refuse = el("button", { type: "button", className: "choice", id: "consent-refuse", textContent: t("Don't allow") });
  const status = el("p", { className: "status", role: "status" });
  const dialog = el("dialog", { className: "consent" },
    el("h2", { id: "consent-title", textContent: heading }),
    el("p", { className: "notice-text", id: "consent-notice", textContent: notice.text }),
    el("div", { className: "choices" }, allow, refuse),
    status);
  dialog.setAttribute("aria-labelledby", "consent-title");
  dialog.setAttribute("aria-describedby", "consent-notice");
  document.body.append(dialog);
  return new Promise((resolve) => {
    const finish = (result) => { dialog.close(); dialog.remove(); resolve(result); };
    const choose = async (decision) => {
      allow.disabled = refuse.disabled = true;
      try {
        finish(await decide(purpose, notice, decision, method));
      } catch (error) {
        say(error.message, "bad", status);
        allow.disabled = refuse.disabled = false;
      }
    };
    allow.addEventListener("click", () => choose("granted"));
    refuse.addEventListener("click", () => choose("refused"));
    dialog.addEventListener("cancel", (event) => { event.preventDefault(); finish(null); });
    dialog.showModal();
  });
}
