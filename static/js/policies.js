// The activity rules page (clause 6): every published version of the agreement, newest
// first, with what changed and the full text. Public: no sign-in needed.
import { $, el, json, say } from "./desktop.js";

const when = (iso) => new Date(iso).toLocaleString();
try {
  const body = await json("/api/v1/policies");
  $("status").textContent = body.policies.length ? "" : "No version has been published yet.";
  $("policies").replaceChildren(...body.policies.map((policy) => {
    const future = new Date(policy.effective_at) > new Date() && policy.version !== body.current;
    const label = policy.version === body.current ? " (in effect)" : future ? " (announced)" : "";
    const changes = policy.changes.length
      ? `Asks again about: ${policy.changes.join(", ")}.`
      : "Asks nobody again.";
    return el("article", { className: "policy", id: `v-${policy.version}` },
      el("h2", { textContent: `Version ${policy.version}${label}` }),
      el("p", { className: "muted", textContent: `In effect from ${when(policy.effective_at)}; published ${when(policy.published_at)}.` }),
      el("p", { className: "summary", textContent: policy.summary }),
      el("p", { className: "changes", textContent: changes }),
      el("details", {}, el("summary", { textContent: "Full text" }), el("pre", { textContent: policy.text }),
        el("p", { className: "muted receipt", textContent: `SHA-256 ${policy.text_hash}` })));
  }));
  if (location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView();
} catch (error) {
  say(error.message, "bad");
}
