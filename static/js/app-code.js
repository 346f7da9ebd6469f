// The phone's typed-code page: for a computer whose QR code cannot be scanned.
import { $, errorText, json, onSubmit, requireSecureContext, requireSignIn, say, t } from "./companion.js";
import { show } from "./qr-decide.js";

if (requireSecureContext() && requireSignIn()) {
  const form = $("code-form");
  onSubmit(form, async (event) => {
    event.preventDefault();
    say(t("Checking the code…"));
    try {
      const scan = await json("/api/v1/qr-logins/code", { method: "POST", body: { code: form.code.value } });
      form.classList.add("hidden");
      show(scan);
    } catch (error) {
      say(errorText(error), "bad");
    }
  });
}
