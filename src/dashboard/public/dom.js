// Building DOM from data safely. Everything that came from a run (task
// titles, model output, event payloads) is untrusted: it only ever becomes a
// text node or an attribute value, never markup: nothing here parses HTML.

const UNSAFE_ATTR = /^(on|href$|src$|srcdoc$|action$|formaction$|style$)/i;

/** el('li', { class: 'task', 'data-status': s }, 'text', childNode) */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  setAttrs(node, attrs);
  for (const child of children) if (child !== null && child !== undefined && child !== false) node.append(child instanceof Node ? child : String(child));
  return node;
}

export function svg(tag, attrs = {}) {
  const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
  setAttrs(node, attrs);
  return node;
}

function setAttrs(node, attrs) {
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.setAttribute('class', String(value));
    else if (key === 'text') node.textContent = String(value);
    else if (UNSAFE_ATTR.test(key)) throw new Error(`refusing to set attribute ${key} from data`);
    else node.setAttribute(key, String(value));
  }
}

export function clear(node) {
  while (node.firstChild) node.firstChild.remove();
}

/** Compact one-line JSON for a payload cell; the full text goes in a title tooltip. */
export function brief(value, max = 160) {
  let text;
  try {
    text = JSON.stringify(value);
  } catch {
    text = String(value);
  }
  if (text === undefined || text === '{}') return '';
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

export function formatMs(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '';
  return ms < 10_000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
