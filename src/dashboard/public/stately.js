// Bridge from the run to Stately's hosted inspector in the iframe: the
// events (already in Stately's format, from @statelyai/inspect) arrive over
// SSE and are posted into the frame once it says it is connected, as the
// library's own inspector server does. Needs internet to load stately.ai;
// without it the page says so and nothing else is affected.
// Stately's own origin, or one of its subdomains should the page redirect there.
const STATELY_ORIGIN = /^https:\/\/([a-z0-9-]+\.)*stately\.ai$/;
const INSPECTOR_URL = 'https://stately.ai/inspect';
const frame = document.createElement('iframe');
frame.id = 'inspector';
frame.title = 'Stately inspector';
const status = document.getElementById('stately-status');
const count = document.getElementById('stately-count');
const queue = [];
let connected = false;
let target = null;
let received = 0;

function setStatus(text, state) {
  status.textContent = text;
  status.dataset.state = state;
}

function flush() {
  if (!connected || !frame.contentWindow) return;
  for (const event of queue.splice(0)) frame.contentWindow.postMessage(event, target);
}

// The frame says hello once, when it loads: listen first, then load it (below).
window.addEventListener('message', (e) => {
  if (e.source !== frame.contentWindow || !STATELY_ORIGIN.test(e.origin) || !e.data || e.data.type !== '@statelyai.connected') return;
  // Post only to the origin that answered: the events never go to a page the frame navigated elsewhere.
  target = e.origin;
  connected = true;
  setStatus('connected to Stately', 'connected');
  flush();
});

frame.src = INSPECTOR_URL;
document.body.append(frame);

const source = new EventSource('/api/stately');
source.onmessage = (m) => {
  const batch = JSON.parse(m.data);
  queue.push(...batch);
  received += batch.length;
  count.textContent = `${received} inspection events`;
  flush();
};
source.onerror = () => {
  if (!connected) setStatus('waiting for the run…', 'waiting');
};

setTimeout(() => {
  if (!connected)
    setStatus(
      "Stately's inspector did not answer: it needs internet access to https://stately.ai. The run is unaffected; the local dashboard works offline.",
      'offline',
    );
}, 15000);
