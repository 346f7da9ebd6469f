// The companion's password sign-in: registers this browser as a device, then goes back.
"use strict";

document.getElementById("sign-in").addEventListener("submit", async (event) => {
  event.preventDefault();
  const status = document.getElementById("status");
  status.className = "status";
  status.textContent = "Signing in…";
  try {
    await Companion.signIn(event.target.username.value, event.target.password.value);
    status.className = "status ok";
    status.textContent = "Signed in.";
    location.assign(Companion.safeNext());
  } catch (error) {
    status.className = "status bad";
    status.textContent = error.message;
  }
});
