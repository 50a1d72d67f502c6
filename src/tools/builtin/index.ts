/** The built-in tools, configured from the tool-bundles config's limits and web_search section. */
import type { Tool } from '../types.js';
import { createListDirTool } from './listDir.js';
import { createReadFileTool } from './readFile.js';
import { createSearchFilesTool } from './searchFiles.js';
import { updateProgressTool } from './updateProgress.js';
import { createWebSearchTool } from './webSearch.js';
import type { WebSearchConfig } from '../../config/toolBundlesConfig.js';
import { createWriteFileTool } from './writeFile.js';

export interface BuiltinToolOptions {
  maxReadBytes?: number;
  maxWriteBytes?: number;
  webSearch?: WebSearchConfig | null;
}

export function createBuiltinTools(options: BuiltinToolOptions = {}): Tool[] {
  return [
    createReadFileTool(options.maxReadBytes !== undefined ? { maxReadBytes: options.maxReadBytes } : {}),
    createListDirTool(),
    createWriteFileTool(options.maxWriteBytes !== undefined ? { maxWriteBytes: options.maxWriteBytes } : {}),
    createSearchFilesTool(),
    createWebSearchTool(options.webSearch ?? null),
    updateProgressTool,
  ];
}

export { createListDirTool, createReadFileTool, createSearchFilesTool, createWebSearchTool, createWriteFileTool, updateProgressTool };
