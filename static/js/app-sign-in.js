// The companion's password sign-in: registers this browser as a device, then goes back.
import { $, json, onSubmit, requireSecureContext, safeNext, say, signIn, signOut, t } from "./companion.js";

if (requireSecureContext()) onSubmit($("sign-in"), async (event) => {
  event.preventDefault();
  say(t("Signing in…"));
  try {
    await signIn(event.target.username.value, event.target.password.value);
    const me = await json("/api/v1/me");
    if (me.must_change_password) {
      // The gateway refuses everything else until the one-time password is replaced, so the
      // restricted sign-in ends before the page says what to do instead.
      await signOut();
      const link = Object.assign(document.createElement("a"), {
        href: "/sign-in?next=%2Fchange-password", textContent: t("Choose your own password"),
      });
      say("", "bad");
      const [before, after = ""] =
        t("This account still has its one-time password. {link} first, then sign in here again.").split("{link}");
      $("status").replaceChildren(before, link, after);
      return;
    }
    say(t("Signed in."), "ok");
    location.assign(safeNext());
  } catch (error) {
    say(error.message, "bad");
  }
});
