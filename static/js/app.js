// The companion's home: who is signed in, and where to go.
import { $, json, requireSignIn, signOut } from "./companion.js";

if (requireSignIn()) {
  const me = await json("/api/v1/me");
  $("who").textContent = `Signed in as ${me.display_name} (${me.username}).`;
  $("sign-out").addEventListener("click", async () => {
    await signOut();
    location.assign("/app/sign-in");
  });
}
