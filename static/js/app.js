// The companion's home: who is signed in, and where to go.
import { $, json, requireSignIn, signOut, t } from "./companion.js";

if (requireSignIn()) {
  const me = await json("/api/v1/me");
  $("who").textContent = t("Signed in as {name} ({username}).", { name: me.display_name, username: me.username });
  $("sign-out").addEventListener("click", async () => {
    await signOut();
    location.assign("/app/sign-in");
  });
}
