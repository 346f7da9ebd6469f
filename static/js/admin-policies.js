// Writing a version of the user agreement: its summary and text in Chinese and English,
// the permissions it asks about again, a preview as users will read it (with what it
// changes and whom it asks again), and publishing it.
import { $, clearFieldErrors, el, json, list, number, onSubmit, say, session, showFieldErrors, t } from "./desktop.js";
import { policyArticle } from "./policy-view.js";

const LANGUAGES = ["zh", "en"];
const form = $("draft");
let titles = {}; // purpose -> {zh, en, page}: what each language calls it
let computed = []; // purposes asked again whatever is ticked

const value = (id) => $(id).value.trim();
const ticked = () => [...form.querySelectorAll("input[name=tick]:checked")].map((box) => box.value);
// What the form says, as the API takes it.
function draft() {
  const texts = Object.fromEntries(LANGUAGES.map((code) => [code, { summary: value(`summary-${code}`), text: value(`text-${code}`) }]));
  const effective = value("effective");
  return { version: value("version"), texts, changes: ticked(), ...(effective ? { effective_at: new Date(effective).toISOString() } : {}) };
}

// The gateway names a language's fields "texts.zh.text"; the form's are "text-zh".
function onForm(problem) {
  const rename = (field) => String(field || "").replace(/^texts\.(\w+)\.(\w+)$/, "$2-$1").replace(/^effective_at$/, "effective");
  if (!problem) return problem;
  return { ...problem, field: problem.field && rename(problem.field),
           errors: Array.isArray(problem.errors) ? problem.errors.map((e) => ({ ...e, field: rename(e.field) })) : problem.errors };
}

async function showTicks() {
  const [page, ...each] = await Promise.all([
    json("/api/v1/purposes"), ...LANGUAGES.map((code) => json(`/api/v1/purposes?lang=${code}`))]);
  for (const purpose of page.purposes) titles[purpose.name] = { page: purpose.title };
  LANGUAGES.forEach((code, i) => { for (const p of each[i].purposes) titles[p.name][code] = p.title; });
  ({ changes: computed } = await json("/api/v1/admin/policies/changes", { signIn: true }));
  const boxes = $("ticks");
  for (const purpose of page.purposes) {
    const id = `tick-${purpose.name.replace(/\W/g, "-")}`;
    const forced = computed.includes(purpose.name);
    boxes.append(el("div", { className: "choice" },
      el("input", { type: "checkbox", id, name: "tick", value: purpose.name, className: "inline", checked: forced, disabled: forced }),
      el("label", { htmlFor: id, className: "inline" }, purpose.title, el("span", { className: "muted", textContent: ` · ${purpose.name}` }),
        forced ? el("span", { className: "muted", textContent: ` · ${t("changed since the last version")}` }) : "")));
  }
}

async function showCurrent() {
  const { current } = await json("/api/v1/policies");
  $("in-effect").replaceChildren(current
    ? el("span", {}, t("Version {version} is in effect.", { version: current }), " ", el("a", { href: `/policies#v-${current}`, textContent: t("Every version") }))
    : el("span", { className: "bad", textContent: t("No version is in effect: phones cannot sign in until one is published.") }));
}

async function preview() {
  const body = draft();
  const found = await json("/api/v1/admin/policies/preview", { method: "POST", body: { version: body.version, changes: body.changes } });
  const names = (purposes, code = "page") => list(purposes.map((name) => titles[name]?.[code] || name));
  const lines = [found.changes.length ? t("Publishing asks again about: {purposes}.", { purposes: names(found.changes) }) : t("Publishing asks nobody again.")];
  if (found.partners.length) lines.push(t("Partner systems whose sharing is asked again: {partners}.", { partners: list(found.partners) }));
  lines.push(t("Users asked again: {count}. Of them, {losing} lose a permission until they answer.",
    { count: number(found.users_asked_again), losing: number(found.users_losing_grants) }));
  $("impact").replaceChildren(...lines.map((line) => el("span", { className: "impact-line" }, line, el("br"))));
  const now = new Date().toISOString();
  for (const code of LANGUAGES) {
    const words = body.texts[code];
    const policy = { version: body.version || "…", summary: words.summary, text: words.text, changes: found.changes,
                     effective_at: body.effective_at || now, published_at: now };
    const titlesIn = Object.fromEntries(Object.entries(titles).map(([name, all]) => [name, all[code]]));
    $(`preview-${code}`).replaceChildren(el("h3", { textContent: code === "zh" ? t("Chinese") : t("English") }),
      words.text ? policyArticle(policy, { titles: titlesIn, lang: code }) : el("p", { className: "status bad", textContent: t("No text in this language yet.") }));
  }
  $("notices").replaceChildren(...found.notices.map((notice) => el("li", {},
    el("strong", { textContent: `${titles[notice.purpose]?.page || notice.purpose} · ${notice.language === "zh" ? t("Chinese") : t("English")}` }),
    el("p", { className: "notice-text", lang: notice.language, textContent: notice.text }))));
  $("preview").classList.remove("hidden");
  return found;
}

$("show-preview").addEventListener("click", async () => {
  clearFieldErrors(form);
  try {
    await preview();
    say("");
    $("preview").scrollIntoView({ block: "start" });
  } catch (error) {
    if (!showFieldErrors(form, onForm(error.problem))) say(error.message, "bad");
  }
});

onSubmit(form, async () => {
  clearFieldErrors(form);
  const body = draft();
  try {
    const published = await json("/api/v1/admin/policies", { method: "POST", body });
    say(t("Version {version} is published.", { version: published.version }), "ok");
    form.reset();
    $("preview").classList.add("hidden");
    await showCurrent();
  } catch (error) {
    showFieldErrors(form, onForm(error.problem));
    say(error.message, "bad");
  }
});

try {
  await session({ signIn: true });
  await Promise.all([showTicks(), showCurrent()]);
  say("");
} catch (error) {
  say(error.message, "bad");
}
