// Password sign-in for a browser; the session cookie is HttpOnly, set by the gateway.
import { $, onSubmit, problemText, sameOrigin, say, send, t } from "./desktop.js";

// Scanning with the phone instead goes on to the same place afterwards.
const goingTo = new URLSearchParams(location.search).get("next");
if (goingTo) $("phone-link").href = `/login?next=${encodeURIComponent(goingTo)}`;

onSubmit($("sign-in"), async (event) => {
  event.preventDefault();
  const form = event.target;
  say(t("Signing in…"));
  const response = await send("/api/v1/web/sign-in", {
    method: "POST", body: { username: form.username.value, password: form.password.value },
  });
  const body = await response.json();
  if (!response.ok) {
    say(problemText(body, t("Sign-in failed.")), "bad");
    return;
  }
  say(t("Signed in as {name}.", { name: body.user.display_name }), "ok");
  const next = new URLSearchParams(location.search).get("next");
  if (body.user.must_change_password) {
    // A one-time password is good for one thing: choosing a real one (then on to `next`).
    const onward = next && new URL(sameOrigin.target(next, location.href)).pathname !== "/change-password";
    location.assign(`/change-password${onward ? `?next=${encodeURIComponent(next)}` : ""}`);
    return;
  }
  // Back where the browser came from, else to the user's home.
  location.assign(sameOrigin.target(next, "/home"));
});
