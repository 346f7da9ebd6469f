// The partner systems (agreement 5): each one's recipient, purpose, fields and webhook,
// whose consent covers those terms, what was disclosed to it; and a form to change the
// terms, which makes every consent to the old terms stale.
import { $, clearFieldErrors, dateTime, el, json, list, number, onSubmit, rowButton, say, session, showFieldErrors, t } from "./desktop.js";

const PARTNERS = "/api/v1/admin/partners";
const form = $("terms");
let known = { partners: [] };
let editing = null; // the partner whose terms the form shows

const OUTCOMES = () => ({ delivered: t("delivered"), failed: t("failed") });

function consentCell(partner) {
  if (!partner.complete) return el("td", { className: "muted" }, t("Not shared: its terms are incomplete."));
  return el("td", {},
    el("div", {}, t("Users consenting to these terms: {count}", { count: number(partner.grants) })),
    partner.stale_grants
      ? el("div", { className: "stale" }, t("Users who consented to earlier terms, asked again: {count}", { count: number(partner.stale_grants) }))
      : el("div", { className: "fresh" }, t("No consent is stale")));
}

function disclosuresCell(partner) {
  const cell = el("td", {}, t("{count} in all", { count: number(partner.disclosures) }));
  if (partner.recent.length) {
    const outcomes = OUTCOMES();
    cell.append(el("details", {}, el("summary", { textContent: t("Recent") }),
      el("ul", { className: "plain" }, ...partner.recent.map((d) => el("li", {},
        `${dateTime(d.sent_at)} · ${list(d.fields.map((f) => known.field_names[f] || f))} · ${outcomes[d.outcome] || d.outcome}`)))));
  }
  return cell;
}

function row(partner) {
  const edit = rowButton(t("Change the terms"));
  edit.addEventListener("click", () => showForm(partner));
  return el("tr", { id: `partner-${partner.name}` },
    el("td", {}, el("strong", { textContent: partner.name }), el("div", {}, edit)),
    el("td", {}, partner.recipient ? el("div", {}, partner.recipient, el("div", { className: "muted", textContent: partner.contact })) : el("span", { className: "muted", textContent: t("Not set") })),
    el("td", {}, partner.purpose ? known.purpose_names[partner.purpose] : el("span", { className: "muted", textContent: t("Not set") })),
    el("td", {}, partner.fields.length ? list(partner.fields.map((f) => known.field_names[f] || f)) : el("span", { className: "muted", textContent: t("None") })),
    el("td", {}, partner.webhook_host ? el("code", { textContent: partner.webhook_host }) : el("span", { className: "muted", textContent: t("Not set") })),
    consentCell(partner), disclosuresCell(partner));
}

function showForm(partner) {
  editing = partner;
  clearFieldErrors(form);
  say("", "", $("edit-status"));
  $("edit-title").textContent = t("Terms of {partner}", { partner: partner.name });
  form.recipient.value = partner.recipient || "";
  form.contact.value = partner.contact || "";
  form.webhook_url.value = partner.webhook_url || "";
  form.purpose.value = partner.purpose || known.purposes[0];
  for (const box of form.querySelectorAll("input[name=field]")) box.checked = partner.fields.includes(box.value);
  $("stale-warning").textContent = partner.grants
    ? t("Saving a change makes the consent of the users who agreed to these terms ({count}) stale: they are asked again, and nothing about them is shared until they agree to the new terms.", { count: number(partner.grants) })
    : t("Saving a change makes every consent to the current terms stale: users are asked again before anything is shared.");
  $("edit").classList.remove("hidden");
  $("edit").scrollIntoView({ block: "start" });
}

async function showPartners() {
  known = await json(PARTNERS, { signIn: true });
  $("partners").replaceChildren(...known.partners.map(row));
  // Each cell carries its column's heading, which a phone shows above it (admin.css).
  const headings = [...document.querySelectorAll("thead th")].map((th) => th.textContent);
  for (const cells of document.querySelectorAll("#partners tr")) {
    [...cells.children].forEach((cell, i) => { if (i) cell.dataset.label = headings[i]; });
  }
  say(known.partners.length ? "" : t("No partner system is named: list them in the GATEWAY_PARTNERS setting, then set their terms here."));
  if (!form.purpose.options.length) {
    form.purpose.append(...known.purposes.map((name) => el("option", { value: name, textContent: known.purpose_names[name] })));
    $("fields").append(...known.fields.map((name) => el("div", { className: "choice" },
      el("input", { type: "checkbox", id: `field-${name}`, name: "field", value: name, className: "inline" }),
      el("label", { htmlFor: `field-${name}`, className: "inline", textContent: known.field_names[name] }))));
  }
}

onSubmit(form, async () => {
  clearFieldErrors(form);
  const body = {
    recipient: form.recipient.value.trim(), contact: form.contact.value.trim(), purpose: form.purpose.value,
    webhook_url: form.webhook_url.value.trim(),
    fields: [...form.querySelectorAll("input[name=field]:checked")].map((box) => box.value),
  };
  try {
    await json(`${PARTNERS}/${encodeURIComponent(editing.name)}`, { method: "PUT", body });
    const before = editing.grants;
    await showPartners();
    const now = known.partners.find((p) => p.name === editing.name);
    if (now) showForm(now);
    const asked = before - (now ? now.grants : 0);
    say(asked > 0 ? t("The terms are saved. Users asked again: {count}.", { count: number(asked) })
      : t("The terms are saved."), "ok", $("edit-status"));
  } catch (error) {
    const problem = error.problem && Array.isArray(error.problem.errors) && error.problem.errors.some((e) => String(e.field).startsWith("fields"))
      ? { ...error.problem, errors: error.problem.errors.map((e) => String(e.field).startsWith("fields") ? { field: "fields" } : e) } : error.problem;
    showFieldErrors(form, problem, { fields: { fields: $("fields") } });
    say(error.message, "bad", $("edit-status"));
  }
});

try {
  await session({ signIn: true });
  await showPartners();
} catch (error) {
  say(error.message, "bad");
}
