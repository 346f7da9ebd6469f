// The companion's own scanner: with the camera consent (asked in the app's dialog before the
// browser's own prompt), the rear camera reads QR codes continuously, with the browser's
// BarcodeDetector where it reads QR codes, else jsQR in a worker (scan-worker.js). A code
// of this gateway (/q/, /p/, /c/) goes on in the app with via=app_camera; another site's
// address is shown, never opened; anything else is said plainly. The camera stops whenever
// the page is hidden and starts again when it is shown.
import { $, errorText, json, requireSignIn, say, t } from "./companion.js";
import { ask } from "./consent-dialog.js";
import { show } from "./qr-decide.js";

const viewer = $("viewer");
const video = $("video");
const torch = $("torch");
const found = $("found");
const FRAME_MS = 200; // a frame read five times a second is quick enough and spares the battery
const MAX_SIDE = 720; // frames handed to jsQR are scaled down to this

let stream = null;
let starting = false; // getUserMedia is under way
let run = 0; // which start of the camera the reading loop belongs to
let wanted = false; // the camera should run whenever the page is shown
let timer = null;
let detect = null; // (video) => Promise<string|null>, chosen once
let lastText = null;

// -- decoding ------------------------------------------------------------------------------

async function nativeDetector() {
  if (!("BarcodeDetector" in window)) return null;
  try {
    if (!(await window.BarcodeDetector.getSupportedFormats()).includes("qr_code")) return null;
    const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    return async (source) => {
      const codes = await detector.detect(source);
      return codes.length ? codes[0].rawValue : null;
    };
  } catch {
    return null;
  }
}

function workerDetector() {
  const worker = new Worker("/static/js/scan-worker.js");
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  let pending = null;
  worker.onmessage = (event) => { const resolve = pending; pending = null; resolve?.(event.data.text); };
  worker.onerror = () => { const resolve = pending; pending = null; resolve?.(null); };
  return (source) => {
    const scale = Math.min(1, MAX_SIDE / Math.max(source.videoWidth, source.videoHeight));
    canvas.width = Math.round(source.videoWidth * scale);
    canvas.height = Math.round(source.videoHeight * scale);
    context.drawImage(source, 0, 0, canvas.width, canvas.height);
    const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
    return new Promise((resolve) => {
      pending = resolve;
      worker.postMessage({ width: canvas.width, height: canvas.height, pixels: data.buffer }, [data.buffer]);
    });
  };
}

async function chooseDetector() {
  const native = await nativeDetector();
  document.body.dataset.decoder = native ? "barcode-detector" : "jsqr";
  return native || workerDetector();
}

// -- the camera ----------------------------------------------------------------------------

function stopCamera() {
  run += 1;
  clearTimeout(timer);
  timer = null;
  if (stream) for (const track of stream.getTracks()) track.stop();
  stream = null;
  video.srcObject = null;
  viewer.classList.remove("reading");
  torch.classList.add("hidden");
  torch.setAttribute("aria-pressed", "false");
}

async function startCamera() {
  wanted = true;
  if (stream || starting || document.visibilityState !== "visible") return;
  say(t("Starting the camera…"));
  viewer.classList.remove("hidden");
  starting = true;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
  } catch (error) {
    starting = false;
    viewer.classList.add("hidden");
    const blocked = error && error.name === "NotAllowedError";
    say(blocked ? t("The browser does not let the app use the camera. Allow it in the browser's site settings, or type the code instead.")
      : t("The camera cannot be started. Type the code instead."), "bad");
    return;
  }
  starting = false;
  if (!wanted || document.visibilityState !== "visible") { stopCamera(); return; } // hidden meanwhile
  video.srcObject = stream;
  await video.play().catch(() => {});
  offerTorch(stream.getVideoTracks()[0]);
  detect = detect || await chooseDetector();
  viewer.classList.add("reading");
  if (!stream) return; // hidden while the decoder was chosen
  say(t("Hold the QR code inside the frame."));
  read(run);
}

function offerTorch(track) {
  const capabilities = track && track.getCapabilities ? track.getCapabilities() : {};
  if (!capabilities.torch) return;
  torch.classList.remove("hidden");
  torch.onclick = async () => {
    const on = torch.getAttribute("aria-pressed") !== "true";
    try {
      await track.applyConstraints({ advanced: [{ torch: on }] });
      torch.setAttribute("aria-pressed", String(on));
    } catch {
      torch.classList.add("hidden"); // the camera would not switch it after all
    }
  };
}

// Read one frame, act on what it says, and read the next while the camera runs.
async function read(mine) {
  if (mine !== run) return; // the camera stopped (and maybe started again) meanwhile
  let text = null;
  if (video.readyState >= 2 && video.videoWidth) {
    try { text = await detect(video); } catch { text = null; }
  }
  if (mine !== run) return;
  if (text && text !== lastText) {
    lastText = text;
    if (await handle(text)) return;
  }
  timer = setTimeout(() => read(mine), FRAME_MS);
}

// -- what a code says ----------------------------------------------------------------------

const GATEWAY_PATHS = /^\/([qpc])\/([A-Za-z0-9_-]+)$/;

// What *text* read from a code is: {kind: "gateway", flow, token} for this gateway's links,
// {kind: "elsewhere", url} for another site's address, {kind: "other"} for anything else.
function classify(text) {
  let url;
  try { url = new URL(text); } catch { return { kind: "other" }; }
  if (url.protocol !== "http:" && url.protocol !== "https:") return { kind: "other" };
  if (url.origin !== location.origin) return { kind: "elsewhere", url: url.href };
  const match = url.pathname.match(GATEWAY_PATHS);
  return match ? { kind: "gateway", flow: match[1], token: match[2] } : { kind: "other" };
}

function note(text) {
  found.textContent = text;
  found.classList.toggle("hidden", !text);
}

// Act on a code; true when scanning stops here (the code leads on).
async function handle(text) {
  const code = classify(text);
  if (code.kind === "elsewhere") {
    say(t("This code leads to another site. It was not opened; the address is shown below."), "bad");
    note(code.url);
    return false;
  }
  if (code.kind === "other") {
    say(t("This is not a code of this gateway. Scan the QR code shown on the computer."), "bad");
    note(text.slice(0, 300));
    return false;
  }
  note("");
  wanted = false;
  stopCamera();
  viewer.classList.add("hidden");
  if (code.flow === "q") await logIn(code.token);
  else {
    say(t("Opening…"));
    const path = code.flow === "p" ? "/p/" : "/c/";
    location.assign(`${path}${code.token}?via=app_camera`);
  }
  return true;
}

async function logIn(token) {
  say(t("Reading the code…"));
  try {
    show(await json("/api/v1/qr-logins/scan", { method: "POST", body: { token, via: "app_camera" } }));
  } catch (error) {
    say(errorText(error), "bad");
    $("again-row").classList.remove("hidden");
  }
}

// -- the consent, then the camera ----------------------------------------------------------

function refused() {
  wanted = false;
  stopCamera();
  viewer.classList.add("hidden");
  $("refused").classList.remove("hidden");
  say(t("The camera is not allowed, so the app's scanner stays off."));
}

// Ask for the camera in the app's dialog (before the browser asks), then start it. A camera
// refused before is not asked for again unprompted: the page offers to ask.
async function begin({ askEvenIfRefused = false } = {}) {
  try {
    const camera = (await json("/api/v1/consents")).purposes.find((p) => p.purpose === "camera") || {};
    if (!camera.granted) {
      if (camera.state === "refused" && camera.reason !== "policy_changed" && !askEvenIfRefused) {
        refused();
        return;
      }
      const status = await ask("camera");
      if (!status || !status.granted) { refused(); return; }
    }
  } catch (error) {
    say(errorText(error), "bad");
    return;
  }
  $("refused").classList.add("hidden");
  await startCamera();
}

if (requireSignIn()) {
  $("ask-again").addEventListener("click", () => begin({ askEvenIfRefused: true }));
  $("again").addEventListener("click", () => {
    $("again-row").classList.add("hidden");
    $("decide").classList.add("hidden");
    lastText = null;
    note("");
    startCamera();
  });
  // The camera runs only while the page is seen: hidden (another app, the screen off, the
  // page left) stops every track; shown again, it starts where it was.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") stopCamera();
    else if (wanted) startCamera();
  });
  window.addEventListener("pagehide", () => stopCamera());
  window.addEventListener("pageshow", (event) => { if (event.persisted && wanted) startCamera(); });
  begin();
}
