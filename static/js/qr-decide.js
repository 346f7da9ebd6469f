// The phone's decision on a QR login: who is asking, three numbers, Confirm or Deny.
// Used by the page a scanned link opens and by the typed-code page.
import { $, dateTime, el, errorText, json, minutesSeconds, say, secondsUntil, signProof, t } from "./companion.js";

// Why to be careful, as the gateway words it: the computer far from the phone's own position
// (only with location consent), else on another network than the phone.
function warnings(scan) {
  if (scan.far_away) return [el("p", { className: "warning far-away", role: "alert", textContent: scan.far_away.text })];
  if (scan.warning) return [el("p", { className: "warning", role: "alert", textContent: scan.warning })];
  return [];
}

// Show *scan* (the gateway's answer to a scan) in #decide and report the outcome in #status.
export function show(scan) {
  const box = $("decide");
  const who = scan.requester;
  const started = dateTime(who.started_at, { timeStyle: "medium" });
  const place = who.place || who.network || t("unknown");
  let picked = null;

  const confirm = el("button", { type: "button", className: "confirm", textContent: t("Confirm"), disabled: true });
  const deny = el("button", { type: "button", className: "deny", textContent: t("Deny") });
  const numbers = scan.choices.map((n) => el("button", {
    type: "button", textContent: String(n), ariaPressed: "false", ariaLabel: t("Number {number}", { number: n }),
    onclick: (event) => {
      picked = n;
      for (const b of numbers) b.setAttribute("aria-pressed", String(b === event.target));
      confirm.disabled = false;
    },
  }));
  // How long is left to decide, from the seconds the gateway gave (the phone's clock may be
  // wrong); at zero the buttons go, since the gateway would refuse them.
  const ends = Date.now() + scan.expires_in * 1000;
  const countdown = el("p", { className: "countdown muted", ariaLive: "off" });
  const tick = () => {
    const left = secondsUntil(ends);
    countdown.textContent = t("Decide within {time}", { time: minutesSeconds(left) });
    if (left === 0) finish(t("This sign-in request has expired. Make a new code on the computer."), "bad");
  };
  const timer = setInterval(tick, 250);
  box.replaceChildren(
    // An OpenID Connect sign-in names the application asking (the gateway words it).
    ...(scan.application ? [el("h2", { id: "asking", className: "asking", textContent: t("{application} wants you to sign in", { application: scan.application }) })] : []),
    countdown,
    el("ul", { className: "who" },
      el("li", { textContent: t("Browser: {browser} on {os}", { browser: who.browser, os: who.os }) }),
      el("li", { textContent: t("Where: {place}", { place }) }),
      el("li", { textContent: t("Asked at: {time}", { time: started }) })),
    ...warnings(scan),
    el("p", { textContent: t("Tap the number the computer shows:") }),
    el("div", { className: "choices", role: "group", ariaLabel: t("numbers") }, ...numbers),
    el("div", { className: "decision" }, confirm, deny),
  );
  box.classList.remove("hidden");
  tick();
  say(t("Only confirm if you are at that computer and started this sign-in yourself."));

  function finish(text, kind) {
    clearInterval(timer);
    box.replaceChildren(el("p", { className: `result ${kind}`, textContent: text }));
    say("");
  }
  const fail = (error) => {
    const type = (error.problem && error.problem.type) || "";
    if (type.endsWith("qr-login-wrong-number")) finish(t("That was not the number on the computer. The sign-in was refused."), "bad");
    else finish(errorText(error, t("That did not work.")), "bad");
  };

  confirm.addEventListener("click", async () => {
    confirm.disabled = deny.disabled = true;
    try {
      const proof = await signProof({ rid: scan.id, num: picked, act: "confirm" }, "qr-login");
      await json(`/api/v1/qr-logins/${scan.id}/confirm`, { method: "POST", body: { number: picked, proof } });
      finish(t("Confirmed. The computer is signing in."), "ok");
    } catch (error) { fail(error); }
  });
  deny.addEventListener("click", async () => {
    confirm.disabled = deny.disabled = true;
    try {
      await json(`/api/v1/qr-logins/${scan.id}/deny`, { method: "POST", body: {} });
      finish(t("Refused. The computer was not signed in."), "ok");
    } catch (error) { fail(error); }
  });
}
