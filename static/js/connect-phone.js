// The phone's side of scan to connect: decide on the camera, claim the offer, show the
// number, and once the computer approves, keep the tokens. For /c/<token> and /app/connect.
"use strict";

(async () => {
  const $ = (id) => document.getElementById(id);
  const say = (text, kind = "") => { $("status").className = `status ${kind}`; $("status").textContent = text; };
  const match = location.pathname.match(/^\/c\/([A-Za-z0-9_-]+)$/);
  const token = match ? match[1] : null;
  $("server").textContent = `Server: ${location.host}`;
  if (!token) $("code-form").classList.remove("hidden");

  // The camera notice under the current policy: the decision goes with the claim.
  const catalogue = await (await fetch("/api/v1/purposes")).json();
  const camera = catalogue.purposes.find((p) => p.name === "camera");
  let decisions = null;

  const jti = () => Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");

  async function claim() {
    const device = await Companion.deviceDescription();
    // A phone that was connected before is that device again only with its own key's proof;
    // for a new phone the gateway ignores it.
    const device_proof = await Companion.signProof(
      { act: "enroll", sub: device.device_id, iat: Math.floor(Date.now() / 1000), jti: jti() }, "enrollment");
    const body = { device, device_proof, consents: decisions || [] };
    if (token) { body.token = token; body.via = "link"; } else { body.code = $("code").value; }
    say("Connecting…");
    const response = await fetch("/api/v1/enrollments/claim", {
      method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    const claimed = await response.json();
    if (!response.ok) { say(claimed.detail || "This code cannot be used.", "bad"); return; }
    $("consent").classList.add("hidden");
    $("connect").classList.add("hidden");
    $("code-form").classList.add("hidden");
    $("number").textContent = claimed.number;
    $("match").classList.remove("hidden");
    say("Waiting for the computer…");
    QrWait.watch(claimed.wait.events, claimed.wait.poll, async (status) => {
      $("match").classList.add("hidden");
      if (status.state === "approved") {
        const tokens = await fetch(claimed.tokens_url, {
          method: "POST", credentials: "same-origin", headers: { "X-Enrollment-Secret": claimed.claim_secret },
        });
        const body = await tokens.json();
        if (!tokens.ok) { say(body.detail || "The tokens could not be fetched.", "bad"); return; }
        Companion.adoptTokens(body);
        say("Connected. This phone is signed in.", "ok");
        $("done").classList.remove("hidden");
      } else if (status.state === "denied") say("The computer refused this phone.", "bad");
      else if (status.state === "expired") say("The code expired. Make a new one on the computer.", "bad");
    }, "claimed");
  }

  const decide = (decision) => {
    decisions = [{ purpose: "camera", decision, policy_version: camera.notice.policy_version,
                   notice_hash: camera.notice.hash, language: camera.notice.language }];
    claim();
  };

  if (camera && camera.notice) {
    $("consent-title").textContent = camera.title;
    $("consent-text").textContent = camera.notice.text;
    $("consent").classList.remove("hidden");
    $("allow").addEventListener("click", () => decide("granted"));
    $("refuse").addEventListener("click", () => decide("refused"));
  } else {
    $("connect").classList.remove("hidden");
    $("connect").addEventListener("click", claim);
  }
})();
