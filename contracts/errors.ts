/** The message of anything thrown, without a stack: what users and models get to see. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}

/**
 * What went wrong, as the CLI and library callers need to know it: the command line
 * (usage), a file or value given to us (input), or the run itself (run).
 */
export type ErrorCategory = 'usage' | 'input' | 'run';

/** The base of every error this project throws on purpose; the CLI maps `category` to an exit code. */
export abstract class AppError extends Error {
  abstract readonly category: ErrorCategory;
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}
