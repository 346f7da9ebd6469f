// The page a scanned login QR code opens on the phone: sign in first if needed, then decide.
import { errorText, json, requireSecureContext, requireSignIn, say } from "./companion.js";
import { show } from "./qr-decide.js";

// Checked before the scan: a scanned login this phone cannot confirm is not claimed.
if (requireSecureContext() && requireSignIn()) {
  const token = location.pathname.split("/").pop();
  try {
    // Opened from the link (the phone's camera app or a browser), so no camera consent is
    // involved: only the app's own scanner needs it.
    show(await json("/api/v1/qr-logins/scan", { method: "POST", body: { token, via: "link" } }));
  } catch (error) {
    say(errorText(error), "bad");
  }
}
