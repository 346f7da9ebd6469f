// The phone's typed-code page: for a computer whose QR code cannot be scanned.
"use strict";

(() => {
  if (!Companion.requireSignIn()) return;
  const form = document.getElementById("code-form");
  const status = document.getElementById("status");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.className = "status";
    status.textContent = "Checking the code…";
    try {
      const scan = await Companion.json("/api/v1/qr-logins/code", { method: "POST", body: { code: form.code.value } });
      form.classList.add("hidden");
      QrDecide.show(scan);
    } catch (error) {
      status.className = "status bad";
      status.textContent = (error.problem && error.problem.detail) || error.message;
    }
  });
})();
