// What every page needs, desktop and phone alike: its elements, its status line, its
// words in the reader's language, the words a person reads when a call fails, and a
// countdown's "m:ss". The two side modules (desktop.js, companion.js) pass all of it on,
// so a page imports from its side only.

export const $ = (id) => document.getElementById(id);

// The page's language (<html lang>, chosen by the gateway) and the words of the scripts in
// it, from the gateway's catalogue (the page names its address). Loaded before any page
// module runs, since each imports this one; without it the scripts show their own English.
export const language = document.documentElement.lang || "en";
const words = await loadWords(document.documentElement.dataset.catalogue);

async function loadWords(address) {
  if (!address) return {};
  try {
    const response = await fetch(address);
    return response.ok ? await response.json() : {};
  } catch {
    return {};
  }
}

// *text* (the English the script is written in) in the page's language, with each
// "{name}" replaced by params.name.
export function t(text, params = {}) {
  const translated = words[text] || text;
  return translated.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

// A date and time (a Date, or what Date takes) as people of the page's language write it.
export const dateTime = (value, options = { dateStyle: "medium", timeStyle: "short" }) =>
  new Intl.DateTimeFormat(language, options).format(new Date(value));

// A number as people of the page's language write it (*options* as Intl.NumberFormat's).
export const number = (value, options = {}) => new Intl.NumberFormat(language, options).format(value);

// Items (already in words) as a list reads in the page's language: "camera, push" in
// English, "相机、推送" in Chinese.
export const list = (items) => items.join(
  // Translators: what separates the items of a list; in Chinese the enumeration comma "、".
  t(", "));

// How this side saves a language choice (the phone adds its device's token); the default
// is a plain call that sets this browser's choice and, with a session, the account's.
let saveLanguage = (tag) => fetch("/api/v1/language", {
  method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ language: tag }),
});

export function languageSaver(save) {
  saveLanguage = save;
}

// The language switch on every page: save the choice, then show the page again in it.
for (const button of document.querySelectorAll("button[data-language]")) {
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await saveLanguage(button.dataset.language);
    } finally {
      location.reload();
    }
  });
}

// An element with *props* set as properties, and *children* (nodes or text) appended.
export function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

// The button of an action on one row of a list (revoke, end, delete): styled as secondary,
// and of type "button" so that inside a form it submits nothing.
export const rowButton = (text) => el("button", { type: "button", className: "secondary", textContent: text });

// Handle the submission of *form* with *handler*, and only then let the form be sent: its
// submit buttons come disabled in the page, so a form sent before its module has run can
// never go out as a plain GET with its fields (a password) in the address.
export function onSubmit(form, handler) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    return handler(event);
  });
  for (const button of form.querySelectorAll("button[type=submit]")) button.disabled = false;
}

// Show *text* in a status line (the page's #status unless another is named); *kind* is
// "ok", "bad" or nothing, which the stylesheet colours.
export function say(text, kind = "", line = $("status")) {
  line.className = `status ${kind}`.trim();
  line.textContent = text;
}

// What a person reads of a problem+json answer (RFC 9457): its detail, else its title,
// else *fallback* (an answer that is not a problem, from a proxy say).
export function problemText(problem, fallback = "") {
  return (problem && (problem.detail || problem.title)) || fallback;
}

// What a person reads of a failed call: the problem's words when the gateway answered,
// else the error's own message (the network, a refused sign-in).
export function errorText(error, fallback = "") {
  return problemText(error.problem, error.message || fallback);
}

// The body of a failed answer, which need not be JSON (a proxy's error page).
export async function problemOf(response) {
  try { return await response.json(); } catch { return { detail: response.statusText }; }
}

// The JSON of an answer (null for 204). A failure throws an Error whose message is the
// problem's detail, carrying the whole problem and the status for pages that act on them.
export async function answer(response) {
  const body = response.status === 204 ? null : await response.json();
  if (!response.ok) {
    throw Object.assign(new Error(problemText(body, response.statusText)),
                        { problem: body, status: response.status });
  }
  return body;
}

// Whole seconds until *endsAt* (a Date.now() value), never below zero.
export const secondsUntil = (endsAt) => Math.max(0, Math.round((endsAt - Date.now()) / 1000));

// *seconds* as a countdown shows them: "1:05".
export const minutesSeconds = (seconds) =>
  `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;

// Show what is wrong with the fields of *form* named in *problem*, each under its own
// field, and bring the first into view. The gateway names a field in a schema problem's
// `errors` (`[{field}]`) or in the problem's own `field`; *fields* maps the gateway's names
// to the form's elements where they differ, and *texts* holds the words for a field
// (else the problem's detail for its own `field`, or a generic line with the label).
// Returns how many fields it marked; a problem naming none leaves the form as it is.
export function showFieldErrors(form, problem, { fields = {}, texts = {} } = {}) {
  clearFieldErrors(form);
  const named = [];
  if (problem && Array.isArray(problem.errors)) named.push(...problem.errors.map((e) => [e.field, null]));
  if (problem && typeof problem.field === "string") named.push([problem.field, problem.detail]);
  const marked = [];
  for (const [field, detail] of named) {
    const name = String(field || "").split(".")[0];
    const input = fields[name] || form.elements.namedItem(name) || form.querySelector(`#${CSS.escape(name)}`);
    if (!input || !input.id || marked.includes(input)) continue;
    const label = form.querySelector(`label[for="${CSS.escape(input.id)}"]`);
    const text = texts[name] || detail ||
      t("“{field}” is not valid. Check it and try again.", { field: label ? label.textContent.trim() : name });
    const line = el("p", { id: `${input.id}-error`, className: "field-error", textContent: text });
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", line.id);
    input.after(line);
    marked.push(input);
  }
  if (marked.length) {
    marked[0].scrollIntoView({ block: "center" });
    marked[0].focus({ preventScroll: true });
  }
  return marked.length;
}

// Take away what showFieldErrors said about *form*.
export function clearFieldErrors(form) {
  for (const line of form.querySelectorAll(".field-error")) line.remove();
  for (const input of form.querySelectorAll("[aria-invalid]")) {
    input.removeAttribute("aria-invalid");
    input.removeAttribute("aria-describedby");
  }
}
