// The page a scanned login QR code opens on the phone: sign in first if needed, then decide.
"use strict";

(async () => {
  if (!Companion.requireSignIn()) return;
  const token = location.pathname.split("/").pop();
  const status = document.getElementById("status");
  try {
    // Opened from the link (the phone's camera app or a browser), so no camera consent is
    // involved: only the app's own scanner needs it.
    const scan = await Companion.json("/api/v1/qr-logins/scan", { method: "POST", body: { token, via: "link" } });
    QrDecide.show(scan);
  } catch (error) {
    status.className = "status bad";
    status.textContent = (error.problem && error.problem.detail) || error.message;
  }
})();
