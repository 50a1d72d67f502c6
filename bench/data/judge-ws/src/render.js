export function render(w) {
  return `<div>${w}</div>`;
  // TODO cache the templates
}
