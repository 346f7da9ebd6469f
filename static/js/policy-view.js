// One version of the agreement as people read it (the activity rules page), and as the
// administration previews a version before publishing it: the same rendering for both.
import { dateTime, el, list, t } from "./page.js";

// *policy* as the API gives it ({version, summary, text, text_hash, changes, effective_at,
// published_at}); *titles* names the purposes for people; *current* is the version in
// effect; *lang* the language of the text (for the browser's reading and fonts).
export function policyArticle(policy, { titles = {}, current = null, lang = "" } = {}) {
  const future = new Date(policy.effective_at) > new Date() && policy.version !== current;
  const version = { version: policy.version };
  const heading = policy.version === current ? t("Version {version} (in effect)", version)
    : future ? t("Version {version} (announced)", version) : t("Version {version}", version);
  const changes = policy.changes.length
    ? t("Asks again about: {purposes}.", { purposes: list(policy.changes.map((name) => titles[name] || name)) })
    : t("Asks nobody again.");
  const words = lang ? { lang } : {};
  return el("article", { className: "policy", id: `v-${policy.version}` },
    el("h2", { textContent: heading }),
    el("p", { className: "muted", textContent: t("In effect from {effective}; published {published}.", {
      effective: dateTime(policy.effective_at), published: dateTime(policy.published_at) }) }),
    el("p", { className: "summary", textContent: policy.summary, ...words }),
    el("p", { className: "changes", textContent: changes }),
    el("details", {}, el("summary", { textContent: t("Full text") }), el("pre", { textContent: policy.text, ...words }),
      policy.text_hash ? el("p", { className: "muted receipt", textContent: `SHA-256 ${policy.text_hash}` }) : ""));
}
