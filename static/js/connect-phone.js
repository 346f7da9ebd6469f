// The phone's side of scan to connect: decide on the camera, claim the offer, show the
// number, and once the computer approves, keep the tokens. For /c/<token> and /app/connect.
// The phone is not signed in yet: its calls carry no token, only the claim's secret.
import { $, adoptTokens, deviceDescription, language, problemText, requireSecureContext, say, signProof, t } from "./companion.js";
import { watch } from "./qr-wait.js";

const match = location.pathname.match(/^\/c\/([A-Za-z0-9_-]+)$/);
const token = match ? match[1] : null;
// The app's own scanner opens links with ?via=app_camera; that scan needs the camera granted.
const via = new URLSearchParams(location.search).get("via") === "app_camera" ? "app_camera" : "link";
$("server").textContent = t("Server: {host}", { host: location.host });
// Over plain http the phone cannot make its key: the page says so and offers nothing.
const secure = requireSecureContext();
if (!token && secure) $("code-form").classList.remove("hidden");

// The camera notice under the current policy, in the page's language: the decision goes
// with the claim.
const catalogue = await (await fetch(`/api/v1/purposes?lang=${encodeURIComponent(language)}`)).json();
const camera = catalogue.purposes.find((p) => p.name === "camera");
let decisions = null;

// A POST of the claim (no device token: the phone has none yet); its JSON answer, or null
// once the status line says why it failed (*fallback* when the answer is not a problem).
async function post(url, { body, headers = {} }, fallback) {
  const response = await fetch(url, {
    method: "POST", credentials: "same-origin", headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answered = await response.json();
  if (response.ok) return answered;
  say(problemText(answered, fallback), "bad");
  return null;
}

async function claim() {
  const device = await deviceDescription();
  // A phone that was connected before is that device again only with its own key's proof;
  // for a new phone the gateway ignores it.
  const device_proof = await signProof({ act: "enroll", sub: device.device_id }, "enrollment");
  const body = { device, device_proof, consents: decisions || [] };
  if (token) { body.token = token; body.via = via; } else { body.code = $("code").value; }
  say(t("Connecting…"));
  const claimed = await post("/api/v1/enrollments/claim",
                             { body, headers: { "Content-Type": "application/json" } },
                             t("This code cannot be used."));
  if (!claimed) return;
  $("consent").classList.add("hidden");
  $("connect").classList.add("hidden");
  $("code-form").classList.add("hidden");
  $("number").textContent = claimed.number;
  $("match").classList.remove("hidden");
  say(t("Waiting for the computer…"));
  watch(claimed.wait.events, claimed.wait.poll, async (status) => {
    $("match").classList.add("hidden");
    if (status.state === "approved") {
      const tokens = await post(claimed.tokens_url, { headers: { "X-Enrollment-Secret": claimed.claim_secret } },
                                t("The computer approved this phone, but it could not be signed in. Try again."));
      if (!tokens) return;
      adoptTokens(tokens);
      say(t("Connected. This phone is signed in."), "ok");
      $("done").classList.remove("hidden");
    } else if (status.state === "denied") say(t("The computer refused this phone."), "bad");
    else if (status.state === "expired") say(t("The code expired. Make a new one on the computer."), "bad");
  }, "claimed");
}

const decide = (decision) => {
  decisions = [{ purpose: "camera", decision, policy_version: camera.notice.policy_version,
                 notice_hash: camera.notice.hash, language: camera.notice.language }];
  claim();
};

if (secure && camera && camera.notice) {
  $("consent-title").textContent = camera.title;
  $("consent-text").textContent = camera.notice.text;
  $("consent").classList.remove("hidden");
  $("allow").addEventListener("click", () => decide("granted"));
  $("refuse").addEventListener("click", () => decide("refused"));
} else if (secure) {
  $("connect").classList.remove("hidden");
  $("connect").addEventListener("click", claim);
}
