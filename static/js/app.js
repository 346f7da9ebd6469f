// The companion's home: who is signed in, where to go, and the inbox's unread count,
// kept live by the event stream (a new message shows as a banner at once).
import { $, json, requireSignIn, signOut, t } from "./companion.js";
import { openInboxStream, showBanner, showUnread } from "./inbox-live.js";

if (requireSignIn()) {
  const me = await json("/api/v1/me");
  $("who").textContent = t("Signed in as {name} ({username}).", { name: me.display_name, username: me.username });
  $("sign-out").addEventListener("click", async () => {
    await signOut();
    location.assign("/app/sign-in");
  });
  showUnread((await json("/api/v1/inbox/unread")).unread);
  openInboxStream((kind, data) => {
    if (typeof data.unread === "number") showUnread(data.unread);
    if (kind === "message") showBanner(data.message);
  });
}
