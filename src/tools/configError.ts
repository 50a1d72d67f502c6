import { AppError } from '../../contracts/errors.js';

/** A problem in the tool-bundles config (unknown tool, bad custom module...). Fatal at startup, not a model error. */
export class ToolConfigError extends AppError {
  readonly category = 'input';
}
