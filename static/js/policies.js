// The activity rules page (clause 6): every published version of the agreement, newest
// first, with what changed and the full text, in the page's language. Public: no sign-in
// needed.
import { $, json, language, say, t } from "./desktop.js";
import { policyArticle } from "./policy-view.js";

try {
  const lang = encodeURIComponent(language);
  const [body, catalogue] = await Promise.all([
    json(`/api/v1/policies?lang=${lang}`),
    json(`/api/v1/purposes?lang=${lang}`),
  ]);
  // What changed names purposes (push); people read their titles (Notifications).
  const titles = Object.fromEntries(catalogue.purposes.map((p) => [p.name, p.title]));
  $("status").textContent = body.policies.length ? "" : t("No version has been published yet.");
  $("policies").replaceChildren(...body.policies.map((policy) => policyArticle(policy, { titles, current: body.current })));
  if (location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView();
} catch (error) {
  say(error.message, "bad");
}
