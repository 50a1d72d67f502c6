/**
 * Headers on every dashboard response. The page shows model output, which is
 * untrusted: the CSP allows only this server's own scripts, so even markup
 * that slipped into the DOM could not run anything.
 */

/** Self only: scripts, styles, data and images come from this server; nothing inline, nothing framed. */
export const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The Stately bridge page frames Stately's hosted inspector; everything else stays self-only. */
export const STATELY_CSP = CSP.replace("default-src 'none';", "default-src 'none'; frame-src https://stately.ai https://*.stately.ai;");

export const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Resource-Policy': 'same-origin',
};
