/** A problem in the tool-bundles config (unknown tool, bad custom module...). Fatal at startup, not a model error. */
export class ToolConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolConfigError';
  }
}
