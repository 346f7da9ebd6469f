// The Node baseline of the push benchmark: the `web-push` library sends one message to each
// subscription, CONCURRENCY requests in flight over an http keep-alive agent (its own sender,
// sendNotification, only speaks https, so its request builder generateRequestDetails is
// used with node's http module, as its sender does with https). Each message is encrypted
// and signed by the library as sendNotification would. Prints one JSON line: seconds from
// the first request to the last answer, the statuses, and the process's CPU seconds.
//
// Usage: node webpush_peer.js CONFIG.json CONCURRENCY   (where `npm install web-push` put it)
'use strict';

const fs = require('fs');
const http = require('http');
const webpush = require('web-push');

const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const concurrency = Number(process.argv[3]);
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const options = {
  TTL: 3600,
  vapidDetails: {
    subject: config.subject, publicKey: config.publicKey, privateKey: config.privateKey,
  },
};

function send(subscription, index) {
  const payload = JSON.stringify({ ...config.payload, delivery: index });
  const details = webpush.generateRequestDetails(subscription, payload, options);
  const url = new URL(details.endpoint);
  return new Promise((resolve) => {
    const request = http.request({
      method: details.method, hostname: url.hostname, port: url.port, path: url.pathname,
      headers: details.headers, agent,
    }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode));
    });
    request.on('error', () => resolve('error'));
    request.end(details.body);
  });
}

async function main() {
  const subscriptions = config.subscriptions;
  const statuses = {};
  let next = 0;
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  async function lane() {
    while (next < subscriptions.length) {
      const index = next;
      next += 1;
      const status = await send(subscriptions[index], index);
      statuses[status] = (statuses[status] || 0) + 1;
    }
  }
  await Promise.all(Array.from({ length: concurrency }, lane));
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  agent.destroy();
  console.log(JSON.stringify({ elapsed, statuses, cpu: (used.user + used.system) / 1e6 }));
}

main();
