// /app/consent?purpose=camera&next=/app/...: asks for one purpose with its notice, then goes
// on to `next`. Other pages send the user here when the gateway answers consent-required.
"use strict";

(async () => {
  if (!Companion.requireSignIn()) return;
  const status = document.getElementById("status");
  const purpose = new URLSearchParams(location.search).get("purpose") || "";
  try {
    const result = await ConsentDialog.ask(purpose);
    status.className = "status ok";
    status.textContent = result === null ? "Nothing was changed." : result.granted ? "Allowed." : "Not allowed.";
    location.assign(Companion.safeNext("/app/consents"));
  } catch (error) {
    status.className = "status bad";
    status.textContent = error.message;
  }
})();
