// The activity rules page (clause 6): every published version of the agreement, newest
// first, with what changed and the full text. Public: no sign-in needed.
import { $, dateTime, el, json, language, list, say, t } from "./desktop.js";

try {
  const [body, catalogue] = await Promise.all([
    json("/api/v1/policies"),
    json(`/api/v1/purposes?lang=${encodeURIComponent(language)}`),
  ]);
  // What changed names purposes (push); people read their titles (Notifications).
  const titles = Object.fromEntries(catalogue.purposes.map((p) => [p.name, p.title]));
  $("status").textContent = body.policies.length ? "" : t("No version has been published yet.");
  $("policies").replaceChildren(...body.policies.map((policy) => {
    const future = new Date(policy.effective_at) > new Date() && policy.version !== body.current;
    const version = { version: policy.version };
    const heading = policy.version === body.current ? t("Version {version} (in effect)", version)
      : future ? t("Version {version} (announced)", version) : t("Version {version}", version);
    const changes = policy.changes.length
      ? t("Asks again about: {purposes}.", { purposes: list(policy.changes.map((name) => titles[name] || name)) })
      : t("Asks nobody again.");
    return el("article", { className: "policy", id: `v-${policy.version}` },
      el("h2", { textContent: heading }),
      el("p", { className: "muted", textContent: t("In effect from {effective}; published {published}.", {
        effective: dateTime(policy.effective_at), published: dateTime(policy.published_at) }) }),
      el("p", { className: "summary", textContent: policy.summary }),
      el("p", { className: "changes", textContent: changes }),
      el("details", {}, el("summary", { textContent: t("Full text") }), el("pre", { textContent: policy.text }),
        el("p", { className: "muted receipt", textContent: `SHA-256 ${policy.text_hash}` })));
  }));
  if (location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView();
} catch (error) {
  say(error.message, "bad");
}
