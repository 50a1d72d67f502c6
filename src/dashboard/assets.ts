/**
 * The page's own files (HTML, CSS, JS in src/dashboard/public), served from a
 * fixed list: no path from a URL ever reaches the file system. Nothing is
 * fetched from elsewhere, so the dashboard works with no internet.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** URL path -> file in public/. */
const FILES: Record<string, string> = {
  '/': 'index.html',
  '/index.html': 'index.html',
  '/stately': 'stately.html',
  '/assets/app.js': 'app.js',
  '/assets/model.js': 'model.js',
  '/assets/chart.js': 'chart.js',
  '/assets/runHeader.js': 'runHeader.js',
  '/assets/actorTree.js': 'actorTree.js',
  '/assets/eventLog.js': 'eventLog.js',
  '/assets/checklist.js': 'checklist.js',
  '/assets/gepaPanel.js': 'gepaPanel.js',
  '/assets/dom.js': 'dom.js',
  '/assets/approvals.js': 'approvals.js',
  '/assets/style.css': 'style.css',
  '/assets/stately.js': 'stately.js',
  '/assets/icon.svg': 'icon.svg',
};

export interface Asset {
  body: Buffer;
  type: string;
}

/** public/ next to this module when run from src (tests), or in the package's src when run from dist. */
export function publicDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.join(here, 'public'), path.resolve(here, '..', '..', '..', 'src', 'dashboard', 'public')];
  const found = candidates.find((dir) => fs.existsSync(path.join(dir, 'index.html')));
  if (!found) throw new Error(`the dashboard's page files are missing (looked in ${candidates.join(', ')})`);
  return found;
}

/** Reads every asset once at start: they are small, and a request then never touches the disk. */
export function loadAssets(dir = publicDir()): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const [route, file] of Object.entries(FILES)) {
    const full = path.join(dir, file);
    if (!fs.existsSync(full)) continue;
    assets.set(route, { body: fs.readFileSync(full), type: TYPES[path.extname(file)] ?? 'application/octet-stream' });
  }
  return assets;
}
