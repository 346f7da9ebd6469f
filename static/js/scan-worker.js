// The scanner's QR decoder where the browser has no BarcodeDetector for QR codes: jsQR
// (vendored, static/vendor/jsqr) off the page's thread, so the viewfinder stays smooth.
// A classic worker: it gets {width, height, pixels} (RGBA, the buffer transferred) and
// answers {text} (null when no code was found in that frame).
/* global jsQR */
importScripts("/static/vendor/jsqr/jsQR.js");

self.onmessage = (event) => {
  const { width, height, pixels } = event.data;
  let text = null;
  try {
    const found = jsQR(new Uint8ClampedArray(pixels), width, height, { inversionAttempts: "attemptBoth" });
    text = found ? found.data : null;
  } catch {
    text = null; // a frame it cannot read is a frame without a code
  }
  self.postMessage({ text });
};
