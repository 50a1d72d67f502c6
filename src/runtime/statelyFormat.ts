/** What the rest of the code needs to know about Stately's inspector without loading @statelyai/inspect. */

export const STATELY_INSPECTOR_URL = 'https://stately.ai/inspect';

/** Actor registrations are what Stately's inspector cannot draw without: kept past the memory limit. */
export function isStatelyPinned(event: unknown): boolean {
  return (event as { type?: unknown }).type === '@xstate.actor';
}
