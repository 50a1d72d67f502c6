/**
 * Server-Sent Events from a LineSource: first everything buffered after the
 * client's Last-Event-ID (a late joiner gets the run so far), then every new
 * batch. Each SSE message carries a JSON array of records and the sequence
 * number of its last one as `id`, so a reconnecting browser resumes exactly
 * where it stopped. A client that cannot keep up is disconnected rather than
 * buffered without bound; it reconnects and resumes.
 */
import type http from 'node:http';
import type { LineSource } from '../runtime/recordBuffer.js';
import { SECURITY_HEADERS } from './headers.js';

/** Records per SSE message: large replays arrive in pieces the browser can handle. */
const MAX_LINES_PER_MESSAGE = 1000;
/** Bytes queued for one client before it counts as stuck. */
const MAX_QUEUED_BYTES = 32 * 2 ** 20;
const KEEPALIVE_MS = 15_000;

export function frame(lines: string[], lastSeq: number): string {
  let out = '';
  for (let i = 0; i < lines.length; i += MAX_LINES_PER_MESSAGE) {
    const chunk = lines.slice(i, i + MAX_LINES_PER_MESSAGE);
    // Only the last message of a batch names its position: a resume never skips a record
    // (it may repeat a few, which clients drop by their seq). JSON has no raw newlines,
    // so one data line per message is safe.
    const id = i + MAX_LINES_PER_MESSAGE >= lines.length ? `id: ${lastSeq}\n` : '';
    out += `${id}data: [${chunk.join(',')}]\n\n`;
  }
  return out;
}

export function lastEventId(req: http.IncomingMessage, url: URL): number {
  const raw = req.headers['last-event-id'] ?? url.searchParams.get('after') ?? '';
  const n = Number(Array.isArray(raw) ? raw[0] : raw);
  return raw !== '' && Number.isInteger(n) && n >= -1 ? n : -1;
}

export function serveSse(req: http.IncomingMessage, res: http.ServerResponse, source: LineSource, afterSeq: number, onClose?: () => void): void {
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  req.socket.setNoDelay(true);
  const replay = source.replay(afterSeq);
  let head = 'retry: 1000\n\n';
  if (replay.dropped > 0 && afterSeq < 0) head += `event: gap\ndata: {"dropped":${replay.dropped}}\n\n`;
  res.write(head + frame(replay.lines, replay.lastSeq));

  const unsubscribe = source.subscribe((batch) => {
    if (res.writableLength > MAX_QUEUED_BYTES) {
      res.destroy();
      return;
    }
    res.write(frame(batch.lines, batch.lastSeq));
  });
  const keepalive = setInterval(() => res.write(': keep-alive\n\n'), KEEPALIVE_MS);
  keepalive.unref();
  res.on('close', () => {
    unsubscribe();
    clearInterval(keepalive);
    onClose?.();
  });
}
