// The page a scanned login QR code opens on the phone: sign in first if needed, then decide.
// The code on the computer changes every half minute, and signing in (a new user choosing a
// password) takes longer: so a phone that is signed out first takes a hold on the login,
// which stays good for the login's lifetime, and scans with it once signed in.
import { errorText, json, requireSecureContext, requireSignIn, say, signedIn, t } from "./companion.js";
import { show } from "./qr-decide.js";

const token = location.pathname.split("/").pop();
const HELD = `gw_qr_hold:${token}`;

async function holdThenSignIn() {
  try {
    const { hold } = await json("/api/v1/qr-logins/hold", { method: "POST", body: { token } });
    sessionStorage.setItem(HELD, hold);
  } catch (error) {
    // A code that is already spent cannot be held: signing in would not save it.
    say(errorText(error, t("This code can no longer be used. Make a new one on the computer.")), "bad");
    return;
  }
  requireSignIn();
}

// Checked first: a login this phone cannot confirm (no WebCrypto over plain http) is
// neither held nor claimed.
if (!requireSecureContext()) {
  // the page says why
} else if (!signedIn()) {
  await holdThenSignIn();
} else {
  const hold = sessionStorage.getItem(HELD);
  sessionStorage.removeItem(HELD);
  try {
    // Opened from the link (the phone's camera app or a browser), so no camera consent is
    // involved: only the app's own scanner needs it.
    const body = hold ? { hold, via: "link" } : { token, via: "link" };
    show(await json("/api/v1/qr-logins/scan", { method: "POST", body }));
  } catch (error) {
    say(errorText(error), "bad");
  }
}
