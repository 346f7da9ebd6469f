// Password sign-in for a browser; the session cookie is HttpOnly, set by the gateway.
"use strict";

document.getElementById("sign-in").addEventListener("submit", async (event) => {
  event.preventDefault();
  const status = document.getElementById("status");
  const form = event.target;
  status.className = "status";
  status.textContent = "Signing in…";
  const response = await fetch("/api/v1/web/sign-in", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    credentials: "same-origin",
    body: JSON.stringify({ username: form.username.value, password: form.password.value }),
  });
  const body = await response.json();
  if (!response.ok) {
    status.className = "status bad";
    status.textContent = body.detail || "Sign-in failed.";
    return;
  }
  status.className = "status ok";
  status.textContent = `Signed in as ${body.user.display_name}.`;
  const next = new URLSearchParams(location.search).get("next");
  if (body.user.must_change_password) {
    // A one-time password is good for one thing: choosing a real one (then on to `next`).
    const onward = next && new URL(SameOrigin.target(next, location.href)).pathname !== "/change-password";
    location.assign(`/change-password${onward ? `?next=${encodeURIComponent(next)}` : ""}`);
    return;
  }
  const target = SameOrigin.target(next, null);
  if (target) location.assign(target);
});
