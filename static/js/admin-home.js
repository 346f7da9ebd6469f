// The administration's home: the set-up checklist, each item with where it is fixed.
import { $, el, json, say, t } from "./desktop.js";

const MARKS = { ok: ["✓", t("Done")], warn: ["!", t("Worth a look")], fail: ["✗", t("To fix")] };

try {
  const { items } = await json("/api/v1/admin/setup", { signIn: true });
  const list = $("checklist");
  for (const item of items) {
    const words = el("div", {}, el("strong", {}, item.check));
    if (item.advice) words.append(el("div", { className: "muted" }, item.advice));
    if (item.fix_url && item.level !== "ok") {
      words.append(el("a", { href: item.fix_url, textContent: t("Fix it") }));
    }
    const [mark, meaning] = MARKS[item.level];
    list.append(el("li", { className: item.level },
      el("span", { className: "mark", title: meaning, ariaLabel: meaning, role: "img" }, mark), words));
  }
  const open = items.filter((item) => item.level !== "ok").length;
  say(open ? t("{count} items to look at.", { count: open }) : t("Everything is set up."), open ? "" : "ok");
} catch (error) {
  say(error.message, "bad");
}
