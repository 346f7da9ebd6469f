// The companion's password sign-in: registers this browser as a device, then goes back.
"use strict";

document.getElementById("sign-in").addEventListener("submit", async (event) => {
  event.preventDefault();
  const status = document.getElementById("status");
  status.className = "status";
  status.textContent = "Signing in…";
  try {
    await Companion.signIn(event.target.username.value, event.target.password.value);
    const me = await Companion.json("/api/v1/me");
    if (me.must_change_password) {
      // The gateway refuses everything else until the one-time password is replaced, so the
      // restricted sign-in ends before the page says what to do instead.
      await Companion.signOut();
      const link = Object.assign(document.createElement("a"), {
        href: "/sign-in?next=%2Fchange-password", textContent: "Choose your own password",
      });
      status.className = "status bad";
      status.replaceChildren("This account still has its one-time password. ", link, " first, then sign in here again.");
      return;
    }
    status.className = "status ok";
    status.textContent = "Signed in.";
    location.assign(Companion.safeNext());
  } catch (error) {
    status.className = "status bad";
    status.textContent = error.message;
  }
});
