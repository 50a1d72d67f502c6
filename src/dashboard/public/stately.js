// Bridge from the run to Stately's hosted inspector in the iframe: the
// events (already in Stately's format, from @statelyai/inspect) arrive over
// SSE and are posted into the frame once it says it is connected, as the
// library's own inspector server does. Needs internet to load stately.ai;
// without it the page says so and nothing else is affected.
const STATELY_ORIGIN = 'https://stately.ai';
const frame = document.getElementById('inspector');
const status = document.getElementById('stately-status');
const count = document.getElementById('stately-count');
const queue = [];
let connected = false;
let sent = 0;

function setStatus(text, state) {
  status.textContent = text;
  status.dataset.state = state;
}

function flush() {
  if (!connected || !frame.contentWindow) return;
  for (const event of queue.splice(0)) frame.contentWindow.postMessage(event, STATELY_ORIGIN);
}

window.addEventListener('message', (e) => {
  if (e.origin !== STATELY_ORIGIN || !e.data || e.data.type !== '@statelyai.connected') return;
  connected = true;
  setStatus('connected to Stately', 'connected');
  flush();
});

const source = new EventSource('/api/stately');
source.onmessage = (m) => {
  const batch = JSON.parse(m.data);
  queue.push(...batch);
  sent += batch.length;
  count.textContent = `${sent} inspection events`;
  flush();
};
source.onerror = () => {
  if (!connected) setStatus('waiting for the run…', 'waiting');
};

setTimeout(() => {
  if (!connected) setStatus("Stately's inspector did not answer: it needs internet access to https://stately.ai. The run is unaffected; the local dashboard works offline.", 'offline');
}, 15000);
