// Change the signed-in browser's password. A one-time password (the first admin's) leads
// here at sign-in, and the gateway refuses everything else until it is replaced.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const status = $("status");
  const form = $("change-password");
  let csrf = null;

  function say(text, kind = "") {
    status.className = `status ${kind}`.trim();
    status.textContent = text;
  }

  async function load() {
    const response = await fetch("/api/v1/web/session", { credentials: "same-origin" });
    if (response.status === 401) {
      $("sign-in-link").href = `/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`;
      $("signed-out").classList.remove("hidden");
      return;
    }
    const body = await response.json();
    if (!response.ok) { say(body.detail || "Something went wrong.", "bad"); return; }
    csrf = body.csrf_token;
    form.username.value = body.user.username;
    $("one-time").classList.toggle("hidden", !body.user.must_change_password);
    form.classList.remove("hidden");
    form.current.focus();
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (form.new.value !== form.repeat.value) {
      say("The two new passwords differ.", "bad");
      form.repeat.focus();
      return;
    }
    say("Changing the password…");
    const response = await fetch("/api/v1/web/password", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ current_password: form.current.value, new_password: form.new.value }),
    });
    const body = await response.json();
    if (!response.ok) {
      const field = (body.errors || []).map((e) => e.message).join("; ");
      say(field || body.detail || "The password was not changed.", "bad");
      return;
    }
    form.reset();
    say("Password changed.", "ok");
    location.assign(SameOrigin.next("/"));
  });

  $("sign-out").addEventListener("click", async () => {
    await fetch("/api/v1/web/sign-out", {
      method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf || "" },
    });
    location.assign("/sign-in");
  });

  load();
})();
