/**
 * Replay pins prompts: a run recorded with `--record FILE` also writes
 * `FILE.prompts.json`, the prompt components the run played; `--replay FILE`
 * runs with exactly those (and with learning off), so the replayed requests
 * are the recorded ones even after online learning changed the live prompts.
 */
import fsp from 'node:fs/promises';
import { writeFileAtomic } from '../util/jsonl.js';

export const pinnedPromptsFile = (recording: string): string => `${recording}.prompts.json`;

export async function writePinnedPrompts(recording: string, prompts: Record<string, string>): Promise<void> {
  await writeFileAtomic(pinnedPromptsFile(recording), `${JSON.stringify({ format: 'gepa-aime/pinned-prompts', prompts }, null, 2)}\n`);
}

/** The prompts a recording was made with; null when the recording has none (made before prompts were pinned). */
export async function readPinnedPrompts(recording: string): Promise<Record<string, string> | null> {
  let text: string;
  try {
    text = await fsp.readFile(pinnedPromptsFile(recording), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  let doc: { prompts?: unknown };
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new Error(`${pinnedPromptsFile(recording)} is not valid JSON: ${(err as Error).message}`);
  }
  const p = doc.prompts;
  if (!p || typeof p !== 'object' || Object.values(p).some((v) => typeof v !== 'string')) {
    throw new Error(`${pinnedPromptsFile(recording)}: "prompts" must map component names to texts`);
  }
  return p as Record<string, string>;
}
