// Change the signed-in browser's password. A one-time password (the first admin's) leads
// here at sign-in, and the gateway refuses everything else until it is replaced.
import { $, clearFieldErrors, json, onSubmit, problemText, sameOrigin, say, send, session, showFieldErrors, t } from "./desktop.js";

const form = $("change-password");

async function load() {
  let me;
  try {
    me = await session();
  } catch (error) {
    say(problemText(error.problem, t("Something went wrong.")), "bad");
    return;
  }
  if (!me) {
    $("sign-in-link").href = `/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`;
    $("signed-out").classList.remove("hidden");
    return;
  }
  form.username.value = me.user.username;
  $("one-time").classList.toggle("hidden", !me.user.must_change_password);
  form.classList.remove("hidden");
  form.current.focus();
}

onSubmit(form, async (event) => {
  event.preventDefault();
  if (form.new.value !== form.repeat.value) {
    say(t("The two new passwords differ."), "bad");
    form.repeat.focus();
    return;
  }
  say(t("Changing the password…"));
  try {
    await json("/api/v1/web/password", {
      method: "POST", body: { current_password: form.current.value, new_password: form.new.value },
    });
  } catch (error) {
    // A field the gateway refused is marked under its input; the words people read are the
    // problem's (its errors' messages are pydantic's, in English, for developers).
    showFieldErrors(form, error.problem, { fields: { current_password: form.current, new_password: form.new } });
    say(problemText(error.problem, t("The password was not changed.")), "bad");
    return;
  }
  form.reset();
  clearFieldErrors(form);
  say(t("Password changed."), "ok");
  location.assign(sameOrigin.next("/home"));
});

$("sign-out").addEventListener("click", async () => {
  await send("/api/v1/web/sign-out", { method: "POST" });
  location.assign("/sign-in");
});

load();
