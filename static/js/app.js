// The companion's home: who is signed in, and where to go.
"use strict";

(async () => {
  if (!Companion.requireSignIn()) return;
  const me = await Companion.json("/api/v1/me");
  document.getElementById("who").textContent = `Signed in as ${me.display_name} (${me.username}).`;
  document.getElementById("sign-out").addEventListener("click", async () => {
    await Companion.signOut();
    location.assign("/app/sign-in");
  });
})();
