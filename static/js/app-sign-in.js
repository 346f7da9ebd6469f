// The companion's password sign-in: registers this browser as a device, then goes back.
// A one-time password (a new user's) is replaced right here by the user's own, and the page
// then goes on as well: a login the phone was scanning still completes.
import { $, json, onSubmit, requireSecureContext, safeNext, say, signIn, signOut, t } from "./companion.js";

const chooser = $("choose-password");

// The user's own password in place of *oneTime*: the phone signs in with the one-time
// password again only to replace it, and is signed out again if that fails.
async function replace(username, oneTime, chosen) {
  await signIn(username, oneTime);
  try {
    await json("/api/v1/me/password", { method: "POST", body: { current_password: oneTime, new_password: chosen } });
  } catch (error) {
    await signOut();
    throw error;
  }
}

// The gateway refuses everything but a password change to a sign-in made with a one-time
// password, so that sign-in ends at once; the form asks for the user's own password instead.
function chooseOwn(username, oneTime) {
  $("sign-in").classList.add("hidden");
  chooser.username.value = username;
  chooser.classList.remove("hidden");
  chooser.after($("status")); // what happens is said under the form in use
  say("");
  chooser.new.focus();
  onSubmit(chooser, async () => {
    if (chooser.new.value !== chooser.repeat.value) {
      say(t("The two new passwords differ."), "bad");
      chooser.repeat.focus();
      return;
    }
    say(t("Changing the password…"));
    try {
      await replace(username, oneTime, chooser.new.value);
    } catch (error) {
      say(error.message, "bad");
      return;
    }
    chooser.reset();
    say(t("Password changed."), "ok");
    location.assign(safeNext());
  });
}

if (requireSecureContext()) onSubmit($("sign-in"), async (event) => {
  event.preventDefault();
  const { username, password } = event.target;
  say(t("Signing in…"));
  try {
    await signIn(username.value, password.value);
    const me = await json("/api/v1/me");
    if (me.must_change_password) {
      await signOut();
      chooseOwn(username.value, password.value);
      return;
    }
    say(t("Signed in."), "ok");
    location.assign(safeNext());
  } catch (error) {
    say(error.message, "bad");
  }
});
