/**
 * Starts the real @modelcontextprotocol/server-everything over Streamable HTTP
 * on 127.0.0.1 and a free port. The server itself listens on $PORT on every
 * interface; tests must bind loopback and port 0, so listen() is redirected
 * and the chosen port is printed as "LISTENING <port>".
 */
import net from 'node:net';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const callback = args.find((a) => typeof a === 'function');
  this.once('listening', () => process.stdout.write(`LISTENING ${this.address().port}\n`));
  return listen.call(this, 0, '127.0.0.1', callback);
};
const require = createRequire(import.meta.url);
const pkg = path.dirname(require.resolve('@modelcontextprotocol/server-everything/package.json'));
await import(pathToFileURL(path.join(pkg, 'dist', 'transports', 'streamableHttp.js')).href);
