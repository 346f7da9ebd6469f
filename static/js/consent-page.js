// /app/consent?purpose=camera&next=/app/...: asks for one purpose with its notice, then goes
// on to `next`. Other pages send the user here when the gateway answers consent-required.
import { requireSignIn, safeNext, say, t } from "./companion.js";
import { ask } from "./consent-dialog.js";

if (requireSignIn()) {
  const purpose = new URLSearchParams(location.search).get("purpose") || "";
  try {
    const result = await ask(purpose);
    say(result === null ? t("Nothing was changed.") : result.granted ? t("Allowed.") : t("Not allowed."), "ok");
    location.assign(safeNext("/app/consents"));
  } catch (error) {
    say(error.message, "bad");
  }
}
